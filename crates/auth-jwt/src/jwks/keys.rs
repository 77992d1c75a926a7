use jsonwebtoken::DecodingKey;
use p521::ecdsa::signature::Verifier as _;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use tasks_ports::AuthError;

use crate::algorithm::SigningAlgorithm;
use crate::json;
use crate::jws::{Jws, decode_segment};

/// The usable signing keys of one JWKS document.
#[derive(Default)]
pub(crate) struct KeySet {
    keys: Vec<JwksKey>,
    /// SHA-256 over the members that decide verification (kid, alg, the key itself) of
    /// each usable key, in document order: equal for the same keys, whatever else the
    /// document holds.
    fingerprint: [u8; 32],
}

/// A key of the document that was left out, and why.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SkippedKey {
    pub(crate) kid: Option<String>,
    pub(crate) reason: &'static str,
}

/// Which key a token's `kid` designates.
pub(crate) enum Selection<'a> {
    Key(&'a JwksKey),
    /// No such `kid` (or no key at all): a refresh may bring it.
    Unknown,
    /// No `kid`, and more than one key to choose from.
    Ambiguous,
}

pub(crate) struct JwksKey {
    kid: Option<String>,
    /// The key's own `alg`, which then is the only one it verifies.
    alg: Option<SigningAlgorithm>,
    material: KeyMaterial,
}

/// Public key material, one variant per key type and curve, so the algorithm can be tied
/// to the curve (jsonwebtoken would check only the family).
enum KeyMaterial {
    /// Verified with `verify_strict`, and never a small-order ("weak") key.
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(DecodingKey),
    P384(DecodingKey),
    /// jsonwebtoken has no P-521, so ES512 goes through the RustCrypto crate directly.
    P521(p521::ecdsa::VerifyingKey),
    Rsa(DecodingKey),
}

#[derive(Deserialize)]
struct JwksDocument {
    keys: Vec<Value>,
}

/// The JWK members we read; private members (`d`, `p`…) are never looked at.
#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    public_key_use: Option<String>,
    alg: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// RFC 7518 §3.3 floor; the `rsa` crate verifies nothing above 4096 bits.
const RSA_MODULUS_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

impl KeySet {
    /// Reads a JWKS document, keeping the keys this service can use.
    pub(crate) fn from_jwks(document: &[u8]) -> Result<(Self, Vec<SkippedKey>), serde_json::Error> {
        let document: JwksDocument = json::from_object(document)?;
        let mut set = Self::default();
        let mut skipped = Vec::new();
        let mut fingerprint = Sha256::new();
        for jwk in document.keys {
            let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
            let identity = key_identity(&jwk);
            match JwksKey::from_jwk(jwk) {
                Ok(key) if key.kid.is_some() && set.keys.iter().any(|kept| kept.kid == key.kid) => {
                    skipped.push(SkippedKey {
                        kid,
                        reason: "duplicate kid",
                    });
                }
                Ok(key) => {
                    fingerprint.update(identity.as_bytes());
                    set.keys.push(key);
                }
                Err(reason) => skipped.push(SkippedKey { kid, reason }),
            }
        }
        set.fingerprint = fingerprint.finalize().into();
        Ok((set, skipped))
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Equal for two documents with the same usable keys.
    pub(crate) fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    pub(crate) fn select(&self, kid: Option<&str>) -> Selection<'_> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|key| key.kid.as_deref() == Some(kid))
                .map_or(Selection::Unknown, Selection::Key),
            None => match self.keys.as_slice() {
                [only] => Selection::Key(only),
                [] => Selection::Unknown,
                _ => Selection::Ambiguous,
            },
        }
    }
}

impl JwksKey {
    fn from_jwk(jwk: Value) -> Result<Self, &'static str> {
        let jwk: RawJwk = serde_json::from_value(jwk).map_err(|_| "malformed JWK")?;
        if jwk
            .public_key_use
            .as_deref()
            .is_some_and(|key_use| key_use != "sig")
        {
            return Err("use is not sig");
        }
        let material = KeyMaterial::from_jwk(&jwk)?;
        let alg = match jwk.alg.as_deref() {
            None => None,
            Some(name) => {
                let alg = SigningAlgorithm::from_name(name).ok_or("unsupported alg")?;
                if !material.verifies(alg) {
                    return Err("alg does not match the key type");
                }
                Some(alg)
            }
        };
        Ok(Self {
            kid: jwk.kid,
            alg,
            material,
        })
    }

    pub(crate) fn verify(&self, jws: &Jws<'_>) -> Result<(), AuthError> {
        let alg = jws.header.alg;
        if !self.material.verifies(alg) || self.alg.is_some_and(|own| own != alg) {
            return Err(AuthError::invalid("alg does not match the key"));
        }
        let signed = match (&self.material, alg.to_jsonwebtoken()) {
            (KeyMaterial::Ed25519(key), _) => ed25519_signed(key, jws),
            (KeyMaterial::P521(key), _) => es512_signed(key, jws),
            (
                KeyMaterial::P256(key) | KeyMaterial::P384(key) | KeyMaterial::Rsa(key),
                Some(alg),
            ) => jws.signed_with(key, alg),
            _ => false,
        };
        if signed {
            Ok(())
        } else {
            Err(AuthError::invalid("bad signature"))
        }
    }
}

impl KeyMaterial {
    /// Only lengths are checked here; jsonwebtoken checks the points themselves when it
    /// verifies (and would panic on a short Ed25519 key, hence the exact length).
    fn from_jwk(jwk: &RawJwk) -> Result<Self, &'static str> {
        match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("OKP", Some("Ed25519")) => {
                let x = exact_length(jwk.x.as_deref().ok_or("missing x")?, 32)?;
                let x: [u8; 32] = x.try_into().map_err(|_| "bad x")?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map_err(|_| "not an Ed25519 point")?;
                if key.is_weak() {
                    return Err("small-order Ed25519 key");
                }
                Ok(Self::Ed25519(key))
            }
            ("OKP", Some("Ed448")) => Err("Ed448 is not supported"),
            ("OKP", _) => Err("unsupported OKP curve"),
            ("EC", Some("P-256")) => Ok(Self::P256(ec_key(jwk, 32)?)),
            ("EC", Some("P-384")) => Ok(Self::P384(ec_key(jwk, 48)?)),
            ("EC", Some("P-521")) => {
                let point = ec_point(jwk, 66)?;
                let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                    .map_err(|_| "not a P-521 point")?;
                Ok(Self::P521(key))
            }
            ("EC", _) => Err("unsupported EC curve"),
            ("RSA", _) => rsa_key(jwk).map(Self::Rsa),
            ("oct", _) => Err("symmetric key (a JWKS key is never an HMAC secret)"),
            _ => Err("unknown kty"),
        }
    }

    fn verifies(&self, alg: SigningAlgorithm) -> bool {
        use SigningAlgorithm as Alg;
        match self {
            Self::Ed25519(_) => alg == Alg::EdDsa,
            Self::P256(_) => alg == Alg::Es256,
            Self::P384(_) => alg == Alg::Es384,
            Self::P521(_) => alg == Alg::Es512,
            Self::Rsa(_) => matches!(
                alg,
                Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512
            ),
        }
    }
}

/// The members of a JWK that decide what it verifies, one line, unambiguous.
fn key_identity(jwk: &Value) -> String {
    let member = |name: &str| jwk.get(name).map(Value::to_string).unwrap_or_default();
    let members = ["kty", "kid", "use", "alg", "crv", "x", "y", "n", "e"].map(member);
    format!("{}\n", members.join("\u{0}"))
}

fn exact_length(coordinate: &str, bytes: usize) -> Result<Vec<u8>, &'static str> {
    decode_segment(coordinate)
        .filter(|decoded| decoded.len() == bytes)
        .ok_or("coordinate of the wrong length")
}

/// The uncompressed SEC1 point `04 || x || y`.
fn ec_point(jwk: &RawJwk, coordinate_bytes: usize) -> Result<Vec<u8>, &'static str> {
    let x = exact_length(jwk.x.as_deref().ok_or("missing x")?, coordinate_bytes)?;
    let y = exact_length(jwk.y.as_deref().ok_or("missing y")?, coordinate_bytes)?;
    Ok([&[0x04][..], &x, &y].concat())
}

fn ec_key(jwk: &RawJwk, coordinate_bytes: usize) -> Result<DecodingKey, &'static str> {
    // jsonwebtoken takes EC public keys as this SEC1 point (`from_ec_components` builds the
    // same bytes), whatever the constructor's name says.
    Ok(DecodingKey::from_ec_der(&ec_point(jwk, coordinate_bytes)?))
}

fn rsa_key(jwk: &RawJwk) -> Result<DecodingKey, &'static str> {
    let n = decode_segment(jwk.n.as_deref().ok_or("missing n")?).ok_or("bad n")?;
    let e = decode_segment(jwk.e.as_deref().ok_or("missing e")?).ok_or("bad e")?;
    if !RSA_MODULUS_BITS.contains(&bit_length(&n)) || e.is_empty() {
        return Err("RSA key outside 2048-4096 bits");
    }
    Ok(DecodingKey::from_rsa_raw_components(&n, &e))
}

fn bit_length(big_endian: &[u8]) -> usize {
    match big_endian.iter().position(|&byte| byte != 0) {
        Some(top) => (big_endian.len() - top) * 8 - big_endian[top].leading_zeros() as usize,
        None => 0,
    }
}

fn ed25519_signed(key: &ed25519_dalek::VerifyingKey, jws: &Jws<'_>) -> bool {
    jws.signature()
        .and_then(|bytes| ed25519_dalek::Signature::from_slice(&bytes).ok())
        .is_some_and(|signature| key.verify_strict(jws.signing_input(), &signature).is_ok())
}

fn es512_signed(key: &p521::ecdsa::VerifyingKey, jws: &Jws<'_>) -> bool {
    jws.signature()
        .and_then(|bytes| p521::ecdsa::Signature::from_slice(&bytes).ok())
        .is_some_and(|signature| key.verify(jws.signing_input(), &signature).is_ok())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::test_support::{TestKey, b64, signing_input, valid_claims};

    fn key_set(keys: Vec<Value>) -> (KeySet, Vec<SkippedKey>) {
        KeySet::from_jwks(json!({ "keys": keys }).to_string().as_bytes()).unwrap()
    }

    fn skipped(kid: &str, reason: &'static str) -> SkippedKey {
        SkippedKey {
            kid: Some(kid.into()),
            reason,
        }
    }

    fn kid_of(selection: Selection<'_>) -> Option<&str> {
        match selection {
            Selection::Key(key) => key.kid.as_deref(),
            _ => None,
        }
    }

    #[test]
    fn keeps_every_key_type_better_auth_offers() {
        let jwks: Vec<Value> = TestKey::one_of_each()
            .iter()
            .enumerate()
            .map(|(i, key)| key.public_jwk(&format!("k{i}")))
            .collect();
        let (set, skipped) = key_set(jwks);
        assert_eq!(skipped, []);
        assert_eq!(set.len(), 5);
    }

    #[test]
    fn skips_keys_it_cannot_use_naming_them() {
        let ed = TestKey::ed25519();
        let mut encryption = ed.public_jwk("enc");
        encryption["use"] = json!("enc");
        let mut wrong_alg = TestKey::p256().public_jwk("wrong-alg");
        wrong_alg["alg"] = json!("ES384");
        let mut rsa_oaep = TestKey::rsa().public_jwk("oaep");
        rsa_oaep["alg"] = json!("RSA-OAEP");
        let (set, skipped_keys) = key_set(vec![
            json!({"kty": "oct", "kid": "hmac", "k": b64(b"public bytes used as secret")}),
            json!({"kty": "OKP", "crv": "Ed448", "kid": "ed448", "x": b64([1; 57])}),
            json!({"kty": "OKP", "crv": "X25519", "kid": "x25519", "x": b64([1; 32])}),
            json!({"kty": "EC", "crv": "secp256k1", "kid": "k1", "x": b64([1; 32]), "y": b64([1; 32])}),
            json!({"kty": "PQC", "kid": "future"}),
            json!({"kty": "OKP", "crv": "Ed25519", "kid": "short", "x": b64([1; 31])}),
            json!({"kty": "RSA", "kid": "small", "n": b64([0xff; 128]), "e": "AQAB"}),
            json!({"kty": "EC", "crv": "P-521", "kid": "off-curve", "x": b64([1; 66]), "y": b64([1; 66])}),
            json!({"kid": "no-kty"}),
            encryption,
            wrong_alg,
            rsa_oaep,
            ed.public_jwk("good"),
            ed.public_jwk("good"),
        ]);
        assert_eq!(set.len(), 1);
        assert_eq!(
            skipped_keys,
            [
                skipped("hmac", "symmetric key (a JWKS key is never an HMAC secret)"),
                skipped("ed448", "Ed448 is not supported"),
                skipped("x25519", "unsupported OKP curve"),
                skipped("k1", "unsupported EC curve"),
                skipped("future", "unknown kty"),
                skipped("short", "coordinate of the wrong length"),
                skipped("small", "RSA key outside 2048-4096 bits"),
                skipped("off-curve", "not a P-521 point"),
                skipped("no-kty", "malformed JWK"),
                skipped("enc", "use is not sig"),
                skipped("wrong-alg", "alg does not match the key type"),
                skipped("oaep", "unsupported alg"),
                skipped("good", "duplicate kid"),
            ]
        );
    }

    #[test]
    fn rejects_documents_that_are_not_a_jwks() {
        for document in ["", "[]", "{}", r#"{"keys": {}}"#, r#"{"keys": null}"#] {
            assert!(
                KeySet::from_jwks(document.as_bytes()).is_err(),
                "{document}"
            );
        }
        let (set, skipped) = KeySet::from_jwks(br#"{"keys": []}"#).unwrap();
        assert_eq!((set.len(), skipped), (0, vec![]));
    }

    #[test]
    fn selects_by_kid() {
        let (set, _) = key_set(vec![
            TestKey::ed25519().public_jwk("a"),
            TestKey::p256().public_jwk("b"),
        ]);
        assert_eq!(kid_of(set.select(Some("b"))), Some("b"));
        assert!(matches!(set.select(Some("c")), Selection::Unknown));
        assert!(matches!(set.select(None), Selection::Ambiguous));
    }

    #[test]
    fn without_kid_only_a_single_key_is_chosen() {
        let (one, _) = key_set(vec![TestKey::ed25519().public_jwk("a")]);
        assert_eq!(kid_of(one.select(None)), Some("a"));
        let (none, _) = key_set(vec![]);
        assert!(matches!(none.select(None), Selection::Unknown));
    }

    #[test]
    fn the_fingerprint_follows_the_usable_keys_only() {
        let (a, b) = (TestKey::ed25519(), TestKey::p256());
        let fingerprint = |keys: Vec<Value>| key_set(keys).0.fingerprint();
        let one = fingerprint(vec![a.public_jwk("a")]);
        let mut decorated = a.public_jwk("a");
        decorated["createdAt"] = json!("2026-01-01");
        let unusable = json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"});
        assert_eq!(fingerprint(vec![decorated, unusable]), one);
        assert_ne!(fingerprint(vec![a.public_jwk("a"), b.public_jwk("b")]), one);
        assert_ne!(fingerprint(vec![b.public_jwk("a")]), one);
        assert_ne!(fingerprint(vec![a.public_jwk("renamed")]), one);
    }

    #[test]
    fn measures_rsa_moduli_in_bits() {
        assert_eq!(bit_length(&[0, 0, 0x01, 0xff]), 9);
        assert_eq!(bit_length(&[0x80; 256]), 2048);
        assert_eq!(bit_length(&[0, 0]), 0);
    }

    #[test]
    fn a_key_stating_its_alg_verifies_only_that_alg() {
        let rsa = TestKey::rsa();
        let mut jwk = rsa.public_jwk("r");
        jwk["alg"] = json!("RS256");
        let (set, _) = key_set(vec![jwk]);
        let Selection::Key(key) = set.select(Some("r")) else {
            panic!("key not kept")
        };
        let rs256 = rsa.token(json!({"alg": "RS256", "kid": "r"}), &valid_claims());
        assert_eq!(key.verify(&Jws::parse(&rs256).unwrap()), Ok(()));
        // Validly signed with the very same key, but not with the algorithm it states.
        let ps256 = rsa.token(json!({"alg": "PS256", "kid": "r"}), &valid_claims());
        assert_eq!(
            key.verify(&Jws::parse(&ps256).unwrap()),
            Err(AuthError::invalid("alg does not match the key"))
        );
    }

    #[test]
    fn a_small_order_ed25519_key_verifies_nothing() {
        // The identity point: with it as the key, R = identity and s = 0 satisfy
        // [s]B = R + [k]A for every message, unless verification is strict.
        let mut identity = [0_u8; 32];
        identity[0] = 1;
        let (set, _) = key_set(vec![json!({
            "kty": "OKP", "crv": "Ed25519", "kid": "weak", "x": b64(identity),
        })]);
        let input = signing_input(&json!({"alg": "EdDSA", "kid": "weak"}), &valid_claims());
        let token = format!("{input}.{}", b64([identity, [0; 32]].concat()));
        let jws = Jws::parse(&token).unwrap();
        let accepted =
            matches!(set.select(Some("weak")), Selection::Key(key) if key.verify(&jws).is_ok());
        assert!(
            !accepted,
            "a forged signature passed with a small-order key"
        );
    }
}
