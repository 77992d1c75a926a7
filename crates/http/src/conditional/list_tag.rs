//! The entity tag of one list answer: a digest of everything the answer says, so the same
//! query over the same tasks gets the same tag, and any difference another.

use actix_web::http::header::HeaderValue;
use sha2::{Digest, Sha256};

/// How many bytes of the digest the tag keeps: far more than enough to tell answers apart.
const TAG_BYTES: usize = 16;

/// The tag of an answer with this JSON `body`, `X-Total-Count` and `Link` (if any): the
/// opaque part (between the quotes) and the `ETag` field value.
pub fn list_tag(body: &[u8], total: u64, link: Option<&str>) -> (String, HeaderValue) {
    let mut digest = Sha256::new();
    // Each part is framed by its length, so no two answers run together alike.
    for part in [
        body,
        total.to_string().as_bytes(),
        link.unwrap_or_default().as_bytes(),
    ] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    let opaque: String = digest.finalize()[..TAG_BYTES]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let value = HeaderValue::from_str(&format!("\"{opaque}\""))
        .expect("hex digits in quotes make a valid header value");
    (opaque, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_answer_has_the_same_strong_tag() {
        let (opaque, value) = list_tag(b"[]", 0, None);
        assert_eq!(opaque.len(), 2 * TAG_BYTES);
        assert_eq!(value, format!("\"{opaque}\"").as_str());
        assert_eq!(list_tag(b"[]", 0, None).0, opaque);
    }

    #[test]
    fn any_difference_changes_the_tag() {
        let base = list_tag(b"[1]", 5, Some("<a>")).0;
        assert_ne!(list_tag(b"[2]", 5, Some("<a>")).0, base, "body");
        assert_ne!(list_tag(b"[1]", 6, Some("<a>")).0, base, "total");
        assert_ne!(list_tag(b"[1]", 5, Some("<b>")).0, base, "link");
        assert_ne!(list_tag(b"[1]", 5, None).0, base, "no link");
    }
}
