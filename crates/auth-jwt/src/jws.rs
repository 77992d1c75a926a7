use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use tasks_ports::AuthError;

use crate::header::JwsHeader;

/// Longest token accepted; a longer one is refused before anything in it is decoded.
pub(crate) const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A compact JWS (`header.payload.signature`) whose header has been decoded and checked.
pub(crate) struct Jws<'a> {
    pub(crate) header: JwsHeader,
    signing_input: &'a str,
    payload: &'a str,
    signature: &'a str,
}

impl<'a> Jws<'a> {
    pub(crate) fn parse(token: &'a str) -> Result<Self, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::invalid("token longer than 8 KiB"));
        }
        let mut segments = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(AuthError::invalid("not a compact JWS"));
        };
        let header_json =
            decode_segment(header).ok_or(AuthError::invalid("header is not base64url"))?;
        Ok(Self {
            header: JwsHeader::from_json(&header_json)?,
            signing_input: &token[..header.len() + 1 + payload.len()],
            payload,
            signature,
        })
    }

    /// Checks the signature with a key jsonwebtoken can verify.
    pub(crate) fn signed_with(&self, key: &DecodingKey, alg: Algorithm) -> bool {
        jsonwebtoken::crypto::verify(self.signature, self.signing_input.as_bytes(), key, alg)
            .unwrap_or(false)
    }

    pub(crate) fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    pub(crate) fn signature(&self) -> Option<Vec<u8>> {
        decode_segment(self.signature)
    }

    /// The claims JSON; only meaningful once the signature has been verified.
    pub(crate) fn payload(&self) -> Option<Vec<u8>> {
        decode_segment(self.payload)
    }
}

/// Base64url without padding, as RFC 7515 requires; padded or non-canonical input is refused.
pub(crate) fn decode_segment(segment: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(segment).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithm::SigningAlgorithm;
    use crate::test_support::b64;

    fn header(json: &str) -> String {
        b64(json.as_bytes())
    }

    fn reason(result: Result<Jws<'_>, AuthError>) -> &'static str {
        match result {
            Err(AuthError::Invalid { reason }) => reason,
            Err(other) => panic!("unexpected error {other:?}"),
            Ok(_) => panic!("unexpectedly parsed"),
        }
    }

    #[test]
    fn splits_the_three_segments() {
        let token = format!("{}.cGF5bG9hZA.c2ln", header(r#"{"alg":"ES512","kid":"k"}"#));
        let jws = Jws::parse(&token).unwrap();
        assert_eq!(jws.header.alg, SigningAlgorithm::Es512);
        assert_eq!(jws.payload().unwrap(), b"payload");
        assert_eq!(jws.signature().unwrap(), b"sig");
        assert_eq!(
            jws.signing_input(),
            token.rsplit_once('.').unwrap().0.as_bytes()
        );
    }

    #[test]
    fn refuses_tokens_over_8_kib_before_decoding() {
        // Not even a JWS: only the length can have caused this reason.
        let oversized = "!".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(reason(Jws::parse(&oversized)), "token longer than 8 KiB");
        let at_limit = "!".repeat(MAX_TOKEN_BYTES);
        assert_eq!(reason(Jws::parse(&at_limit)), "not a compact JWS");
    }

    #[test]
    fn refuses_other_segment_counts() {
        let h = header(r#"{"alg":"HS256"}"#);
        for token in [
            String::new(),
            h.clone(),
            format!("{h}.e30"),
            format!("{h}.e30.c2ln.c2ln"),
        ] {
            assert_eq!(reason(Jws::parse(&token)), "not a compact JWS", "{token}");
        }
    }

    #[test]
    fn refuses_headers_that_are_not_base64url() {
        let padded = format!("{}=.e30.c2ln", header(r#"{"alg":"HS256"}"#));
        for token in ["!!.e30.c2ln", "eyJ+.e30.c2ln", padded.as_str()] {
            assert_eq!(
                reason(Jws::parse(token)),
                "header is not base64url",
                "{token}"
            );
        }
    }

    #[test]
    fn undecodable_payload_or_signature_yield_none() {
        let token = format!("{}.e3!.c2l=", header(r#"{"alg":"HS256"}"#));
        let jws = Jws::parse(&token).unwrap();
        assert_eq!(jws.payload(), None);
        assert_eq!(jws.signature(), None);
    }
}
