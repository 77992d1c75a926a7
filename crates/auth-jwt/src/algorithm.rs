use jsonwebtoken::Algorithm;

/// A JWS `alg` this crate verifies. Our own enum because jsonwebtoken's cannot name ES512.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigningAlgorithm {
    Hs256,
    Hs384,
    Hs512,
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    Es512,
    EdDsa,
}

impl SigningAlgorithm {
    /// The algorithm a JWS `alg` value names; `None` for `none` and anything unsupported.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "HS256" => Self::Hs256,
            "HS384" => Self::Hs384,
            "HS512" => Self::Hs512,
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            "PS256" => Self::Ps256,
            "PS384" => Self::Ps384,
            "PS512" => Self::Ps512,
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "ES512" => Self::Es512,
            "EdDSA" => Self::EdDsa,
            _ => return None,
        })
    }

    pub(crate) fn is_hmac(self) -> bool {
        matches!(self, Self::Hs256 | Self::Hs384 | Self::Hs512)
    }

    /// jsonwebtoken's equivalent; `None` for ES512, which it cannot verify.
    pub(crate) fn to_jsonwebtoken(self) -> Option<Algorithm> {
        Some(match self {
            Self::Hs256 => Algorithm::HS256,
            Self::Hs384 => Algorithm::HS384,
            Self::Hs512 => Algorithm::HS512,
            Self::Rs256 => Algorithm::RS256,
            Self::Rs384 => Algorithm::RS384,
            Self::Rs512 => Algorithm::RS512,
            Self::Ps256 => Algorithm::PS256,
            Self::Ps384 => Algorithm::PS384,
            Self::Ps512 => Algorithm::PS512,
            Self::Es256 => Algorithm::ES256,
            Self::Es384 => Algorithm::ES384,
            Self::EdDsa => Algorithm::EdDSA,
            Self::Es512 => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_algorithm_better_auth_offers() {
        for name in [
            "EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384",
            "PS512", "HS256", "HS384", "HS512",
        ] {
            assert!(SigningAlgorithm::from_name(name).is_some(), "{name}");
        }
    }

    #[test]
    fn refuses_none_and_unknown_names() {
        for name in [
            "none", "None", "NONE", "", "hs256", "Ed25519", "ES256K", "RSA-OAEP",
        ] {
            assert_eq!(SigningAlgorithm::from_name(name), None, "{name}");
        }
    }

    #[test]
    fn only_hs_algorithms_are_hmac() {
        assert!(SigningAlgorithm::Hs384.is_hmac());
        assert!(!SigningAlgorithm::Rs256.is_hmac());
        assert!(!SigningAlgorithm::EdDsa.is_hmac());
    }

    #[test]
    fn es512_has_no_jsonwebtoken_equivalent() {
        assert_eq!(SigningAlgorithm::Es512.to_jsonwebtoken(), None);
        assert_eq!(
            SigningAlgorithm::Ps512.to_jsonwebtoken(),
            Some(Algorithm::PS512)
        );
    }
}
