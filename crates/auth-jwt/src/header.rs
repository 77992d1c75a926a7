use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use tasks_ports::AuthError;

use crate::algorithm::SigningAlgorithm;
use crate::json;

/// The JWS protected header members this crate acts on.
///
/// Every other member is ignored on purpose: `jku`, `x5u`, `jwk` and `x5c` would let the
/// token pick its own key, so keys only ever come from our configuration.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct JwsHeader {
    pub(crate) alg: SigningAlgorithm,
    pub(crate) kid: Option<String>,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    kid: Option<String>,
    #[serde(default, deserialize_with = "member_present")]
    crit: bool,
}

/// True whenever the member is there, even as `null`.
fn member_present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(deserializer)?;
    Ok(true)
}

impl JwsHeader {
    pub(crate) fn from_json(json: &[u8]) -> Result<Self, AuthError> {
        let raw: RawHeader =
            json::from_object(json).map_err(|_| AuthError::invalid("malformed JWS header"))?;
        // We implement no JWS extension, so RFC 7515 §4.1.11 requires refusing any `crit`.
        if raw.crit {
            return Err(AuthError::invalid("crit header parameter present"));
        }
        if raw.alg == "none" {
            return Err(AuthError::invalid("alg none"));
        }
        let alg =
            SigningAlgorithm::from_name(&raw.alg).ok_or(AuthError::invalid("unsupported alg"))?;
        Ok(Self { alg, kid: raw.kid })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<JwsHeader, AuthError> {
        JwsHeader::from_json(json.as_bytes())
    }

    #[test]
    fn reads_alg_and_kid() {
        let header = parse(r#"{"alg":"EdDSA","kid":"k1","typ":"JWT"}"#).unwrap();
        assert_eq!(header.alg, SigningAlgorithm::EdDsa);
        assert_eq!(header.kid.as_deref(), Some("k1"));
        assert_eq!(parse(r#"{"alg":"ES512"}"#).unwrap().kid, None);
    }

    #[test]
    fn rejects_alg_none_in_any_spelling() {
        assert_eq!(
            parse(r#"{"alg":"none"}"#),
            Err(AuthError::invalid("alg none"))
        );
        assert_eq!(
            parse(r#"{"alg":"NONE"}"#),
            Err(AuthError::invalid("unsupported alg"))
        );
    }

    #[test]
    fn rejects_any_crit_member() {
        for header in [
            r#"{"alg":"ES256","crit":["exp"],"exp":1}"#,
            r#"{"alg":"ES256","crit":[]}"#,
            r#"{"alg":"ES256","crit":null}"#,
        ] {
            assert_eq!(
                parse(header),
                Err(AuthError::invalid("crit header parameter present")),
                "{header}"
            );
        }
    }

    #[test]
    fn ignores_key_location_members() {
        let header = parse(
            r#"{"alg":"RS256","kid":"k1","jku":"https://evil.example/jwks",
                "x5u":"https://evil.example/cert","x5c":["MIIB"],
                "jwk":{"kty":"oct","k":"c2VjcmV0"}}"#,
        )
        .unwrap();
        assert_eq!(
            header,
            JwsHeader {
                alg: SigningAlgorithm::Rs256,
                kid: Some("k1".into())
            }
        );
    }

    #[test]
    fn rejects_malformed_headers() {
        for header in [
            "",
            "null",
            r#"["ES256"]"#,
            r#"{"kid":"k1"}"#,
            r#"{"alg":256}"#,
            r#"{"alg":"ES256","kid":7}"#,
            r#"{"alg":"ES256","alg":"HS256"}"#,
            r#"{"alg":"ES256""#,
        ] {
            assert_eq!(
                parse(header),
                Err(AuthError::invalid("malformed JWS header")),
                "{header}"
            );
        }
    }
}
