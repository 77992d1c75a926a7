use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tasks_domain::RequestFingerprint;

use crate::error::ApiError;

/// The fingerprint of a JSON body, the same for every spelling of the same JSON (member
/// order, whitespace, escapes): the SHA-256 of its canonical form.
pub fn fingerprint(body: &[u8]) -> Result<RequestFingerprint, ApiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| ApiError::MalformedJson(error.to_string()))?;
    let mut canonical = Vec::with_capacity(body.len());
    write_canonical(&value, &mut canonical);
    let digest: String = Sha256::digest(&canonical)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Ok(RequestFingerprint::new(format!("sha256:{digest}")))
}

/// Compact JSON with every object's members sorted by name. Sorted here rather than
/// trusted to the map, whose order depends on serde_json's `preserve_order` feature.
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<_> = members.iter().collect();
            sorted.sort_unstable_by_key(|(name, _)| *name);
            out.push(b'{');
            for (index, (name, member)) in sorted.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_plain(name, out);
                out.push(b':');
                write_canonical(member, out);
            }
            out.push(b'}');
        }
        scalar => write_plain(scalar, out),
    }
}

/// A name or scalar, as serde_json writes it.
fn write_plain(value: &impl Serialize, out: &mut Vec<u8>) {
    serde_json::to_writer(out, value).expect("writing JSON to memory cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(body: &str) -> RequestFingerprint {
        fingerprint(body.as_bytes()).unwrap()
    }

    #[test]
    fn spelling_does_not_matter() {
        let first = of(r#"{"title": "once", "completed": false, "x": {"b": [1, 2], "a": null}}"#);
        for same in [
            r#"{"completed":false,"title":"once","x":{"a":null,"b":[1,2]}}"#,
            "\n{ \"x\" : { \"a\" : null , \"b\" : [ 1 , 2 ] } ,\t\"title\":\"\\u006fnce\", \"completed\" : false }\n",
        ] {
            assert_eq!(of(same), first, "{same}");
        }
    }

    #[test]
    fn content_does() {
        let first = of(r#"{"title": "a"}"#);
        for other in [
            r#"{"title": "b"}"#,
            r#"{"title": "a", "completed": false}"#,
            r#"{"title": ["a"]}"#,
            r#"{"Title": "a"}"#,
            r#"{"x": [1, 2], "title": "a"}"#,
        ] {
            assert_ne!(of(other), first, "{other}");
        }
        assert_ne!(
            of(r#"{"x": [1, 2]}"#),
            of(r#"{"x": [2, 1]}"#),
            "arrays keep their order"
        );
    }

    #[test]
    fn is_a_named_sha256() {
        let value = of("{}");
        let digest = value.as_str().strip_prefix("sha256:").unwrap();
        assert_eq!(digest.len(), 64);
        assert!(digest.bytes().all(|byte| byte.is_ascii_hexdigit()));
    }
}
