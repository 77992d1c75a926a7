//! The verifier as the binary builds it: modes, routing by algorithm, and the claim rules
//! applied to every token.

use std::time::Duration;

use serde_json::{Value, json};
use tasks_ports::{AuthError, Claims, TokenVerifier};
use tokio::time::{sleep, timeout};

use super::JwtVerifier;
use crate::claims::unix_now;
use crate::error::SetupError;
use crate::jwks::RefreshPolicy;
use crate::settings::{SharedSecret, VerifierSettings};
use crate::test_support::{JwksServer, Reply, TestKey, hmac_token, signing_input, valid_claims};
use crate::token_cache::TokenCacheSettings;

const SECRET: &str = "a-better-auth-secret-of-32-bytes";
const ISSUER: &str = "https://auth.example";
const AUDIENCE: &str = "https://auth.example";

fn secret_settings() -> VerifierSettings {
    VerifierSettings {
        secret: Some(SharedSecret::new(SECRET).unwrap()),
        ..VerifierSettings::default()
    }
}

fn jwks_settings(server: &JwksServer) -> VerifierSettings {
    VerifierSettings {
        jwks_url: Some(server.url().to_owned()),
        ..VerifierSettings::default()
    }
}

fn hs256(claims: &Value) -> String {
    hmac_token(
        SECRET.as_bytes(),
        json!({"alg": "HS256", "typ": "JWT"}),
        claims,
    )
}

async fn ready(verifier: &JwtVerifier) {
    timeout(Duration::from_secs(5), async {
        while verifier.remote_keys_ready() != Some(true) {
            sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the first JWKS fetch succeeds");
}

fn invalid(reason: &'static str) -> Result<Claims, AuthError> {
    Err(AuthError::invalid(reason))
}

fn setup_error(settings: VerifierSettings) -> SetupError {
    JwtVerifier::new(settings).expect_err("setup should fail")
}

#[test]
fn neither_mode_configured_is_a_setup_error_naming_the_settings() {
    let error = setup_error(VerifierSettings::default());
    assert!(matches!(error, SetupError::NothingConfigured));
    let message = error.to_string();
    for setting in ["BETTER_AUTH_SECRET", "BETTER_AUTH_URL", "JWKS_URL"] {
        assert!(message.contains(setting), "{message}");
    }
}

#[test]
fn a_bad_jwks_url_is_a_setup_error() {
    let error = setup_error(VerifierSettings {
        jwks_url: Some("auth.example/jwks".into()),
        ..VerifierSettings::default()
    });
    assert!(matches!(error, SetupError::InvalidJwksUrl { .. }));
}

#[test]
fn the_jwks_mode_needs_a_tokio_runtime_but_the_secret_mode_does_not() {
    let error = setup_error(VerifierSettings {
        jwks_url: Some("http://127.0.0.1:9/jwks".into()),
        ..VerifierSettings::default()
    });
    assert!(matches!(error, SetupError::NoRuntime));
    assert!(JwtVerifier::new(secret_settings()).is_ok());
}

#[test]
fn debug_output_hides_the_secret() {
    let verifier = JwtVerifier::new(secret_settings()).unwrap();
    let printed = format!("{verifier:?}");
    assert!(!printed.contains(SECRET), "{printed}");
}

#[tokio::test]
async fn secret_mode_accepts_hs_tokens_and_refuses_asymmetric_ones() {
    let verifier = JwtVerifier::new(secret_settings()).unwrap();
    assert_eq!(verifier.remote_keys_ready(), None);
    let claims = verifier.verify(&hs256(&valid_claims())).await.unwrap();
    assert_eq!(claims.subject.as_str(), "user-1");
    for alg in ["HS384", "HS512"] {
        let token = hmac_token(SECRET.as_bytes(), json!({"alg": alg}), &valid_claims());
        assert!(verifier.verify(&token).await.is_ok(), "{alg}");
    }
    let asymmetric = TestKey::ed25519().token(json!({"alg": "EdDSA"}), &valid_claims());
    assert_eq!(
        verifier.verify(&asymmetric).await,
        invalid("asymmetric token, but no JWKS configured")
    );
}

#[tokio::test]
async fn jwks_mode_accepts_asymmetric_tokens_and_refuses_hs_ones() {
    let key = TestKey::ed25519();
    let jwk = key.public_jwk("k");
    let server = JwksServer::start(Reply::keys(std::slice::from_ref(&jwk))).await;
    let verifier = JwtVerifier::new(jwks_settings(&server)).unwrap();
    ready(&verifier).await;

    let claims = verifier
        .verify(&key.token(json!({"alg": "EdDSA", "kid": "k"}), &valid_claims()))
        .await
        .unwrap();
    assert_eq!(claims.subject.as_str(), "user-1");
    // HS256 "signed" with the public key, the classic algorithm-confusion attack.
    let public_key_bytes = jwk["x"].as_str().unwrap().as_bytes();
    let confused = hmac_token(
        public_key_bytes,
        json!({"alg": "HS256", "kid": "k"}),
        &valid_claims(),
    );
    assert_eq!(
        verifier.verify(&confused).await,
        invalid("HS* token, but no shared secret configured")
    );
}

#[tokio::test]
async fn with_both_modes_the_algorithm_picks_the_verifier() {
    let key = TestKey::p256();
    let jwk = key.public_jwk("k");
    let server = JwksServer::start(Reply::keys(std::slice::from_ref(&jwk))).await;
    let verifier = JwtVerifier::new(VerifierSettings {
        secret: Some(SharedSecret::new(SECRET).unwrap()),
        ..jwks_settings(&server)
    })
    .unwrap();
    ready(&verifier).await;

    assert!(verifier.verify(&hs256(&valid_claims())).await.is_ok());
    let es256 = key.token(json!({"alg": "ES256", "kid": "k"}), &valid_claims());
    assert!(verifier.verify(&es256).await.is_ok());
    let confused = hmac_token(
        jwk.to_string().as_bytes(),
        json!({"alg": "HS256", "kid": "k"}),
        &valid_claims(),
    );
    assert_eq!(verifier.verify(&confused).await, invalid("bad signature"));
}

#[tokio::test]
async fn before_the_first_fetch_asymmetric_tokens_are_unavailable_not_invalid() {
    let server = JwksServer::start(Reply::Status(500)).await;
    let verifier = JwtVerifier::new(VerifierSettings {
        secret: Some(SharedSecret::new(SECRET).unwrap()),
        ..jwks_settings(&server)
    })
    .unwrap();
    assert_eq!(verifier.remote_keys_ready(), Some(false));

    let token = TestKey::ed25519().token(json!({"alg": "EdDSA", "kid": "k"}), &valid_claims());
    match verifier.verify(&token).await {
        Err(AuthError::KeysUnavailable { retry_after }) => {
            assert!(retry_after >= Duration::from_secs(1));
            assert!(retry_after <= Duration::from_secs(30));
        }
        other => panic!("expected KeysUnavailable, got {other:?}"),
    }
    // Tokens that are invalid whatever the keys, and HS* ones, are answered as usual.
    let none = format!(
        "{}.",
        signing_input(&json!({"alg": "none"}), &valid_claims())
    );
    assert_eq!(verifier.verify(&none).await, invalid("alg none"));
    assert_eq!(
        verifier.verify("not-a-token").await,
        invalid("not a compact JWS")
    );
    assert!(verifier.verify(&hs256(&valid_claims())).await.is_ok());
    assert_eq!(verifier.remote_keys_ready(), Some(false));
}

#[tokio::test]
async fn an_expired_well_signed_token_is_expired_in_either_mode() {
    let expired = json!({"sub": "user-1", "exp": unix_now() - 31});
    let key = TestKey::ed25519();
    let server = JwksServer::start(Reply::keys(&[key.public_jwk("k")])).await;
    let verifier = JwtVerifier::new(VerifierSettings {
        secret: Some(SharedSecret::new(SECRET).unwrap()),
        ..jwks_settings(&server)
    })
    .unwrap();
    ready(&verifier).await;

    assert_eq!(
        verifier.verify(&hs256(&expired)).await,
        Err(AuthError::Expired)
    );
    let eddsa = key.token(json!({"alg": "EdDSA", "kid": "k"}), &expired);
    assert_eq!(verifier.verify(&eddsa).await, Err(AuthError::Expired));
    let forged = hmac_token(&[1; 32], json!({"alg": "HS256"}), &expired);
    assert_eq!(verifier.verify(&forged).await, invalid("bad signature"));
}

#[tokio::test]
async fn claim_rules_apply_to_every_token() {
    let verifier = JwtVerifier::new(VerifierSettings {
        issuer: Some(ISSUER.into()),
        audience: Some(AUDIENCE.into()),
        ..secret_settings()
    })
    .unwrap();
    let now = unix_now();
    let claims = |changes: Value| {
        let mut claims = json!({"sub": "user-1", "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE});
        for (name, value) in changes.as_object().unwrap() {
            match value {
                Value::Null => claims.as_object_mut().unwrap().remove(name),
                value => claims
                    .as_object_mut()
                    .unwrap()
                    .insert(name.clone(), value.clone()),
            };
        }
        claims
    };
    let cases = [
        (json!({}), Ok(())),
        (json!({"aud": ["https://other.example", AUDIENCE]}), Ok(())),
        (
            json!({"aud": ["https://other.example"]}),
            Err("unexpected aud"),
        ),
        (json!({"aud": null}), Err("unexpected aud")),
        (
            json!({"iss": "https://evil.example"}),
            Err("unexpected iss"),
        ),
        (json!({"exp": null}), Err("missing exp")),
        (json!({"nbf": now + 60}), Err("nbf in the future")),
        (json!({"iat": now + 60}), Err("iat in the future")),
        (json!({"nbf": now + 20, "iat": now + 20}), Ok(())),
        (
            json!({"sub": ""}),
            Err("sub empty, over 255 bytes or with NUL"),
        ),
        (
            json!({"sub": "x".repeat(256)}),
            Err("sub empty, over 255 bytes or with NUL"),
        ),
        (json!({"sub": null}), Err("missing sub")),
    ];
    for (changes, expected) in cases {
        let outcome = verifier.verify(&hs256(&claims(changes.clone()))).await;
        assert_eq!(
            outcome.map(|_| ()),
            expected.map_err(AuthError::invalid),
            "{changes}"
        );
    }
}

#[tokio::test]
async fn returns_the_subject_and_expiry() {
    let verifier = JwtVerifier::new(secret_settings()).unwrap();
    let exp = unix_now() + 900;
    let claims = verifier
        .verify(&hs256(&json!({"sub": "x2JfQ0bW9kXc1", "exp": exp})))
        .await
        .unwrap();
    assert_eq!(claims.subject.as_str(), "x2JfQ0bW9kXc1");
    assert_eq!(claims.expires_at, exp);
}

#[tokio::test]
async fn a_token_over_8_kib_is_refused_even_when_well_signed() {
    let verifier = JwtVerifier::new(secret_settings()).unwrap();
    let mut claims = valid_claims();
    claims["padding"] = json!("x".repeat(7000));
    let token = hs256(&claims);
    assert!(token.len() > 8 * 1024);
    assert_eq!(
        verifier.verify(&token).await,
        invalid("token longer than 8 KiB")
    );
}

#[tokio::test]
async fn crit_is_refused_even_when_well_signed() {
    let verifier = JwtVerifier::new(secret_settings()).unwrap();
    let token = hmac_token(
        SECRET.as_bytes(),
        json!({"alg": "HS256", "crit": ["exp"], "exp": 1}),
        &valid_claims(),
    );
    assert_eq!(
        verifier.verify(&token).await,
        invalid("crit header parameter present")
    );
}

#[tokio::test]
async fn never_panics_on_hostile_input() {
    let verifier = JwtVerifier::new(secret_settings()).unwrap();
    let header = |json: &str| crate::test_support::b64(json);
    let long_signature = format!("{}.e30.{}", header(r#"{"alg":"HS256"}"#), "A".repeat(8000));
    let inputs = [
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        "\0.\0.\0".into(),
        "é.ü.ß".into(),
        "a".repeat(100_000),
        long_signature,
        format!("{}..", header(r#"{"alg":"ES512","kid":"k"}"#)),
        format!("{}.!!.sig", header(r#"{"alg":"HS256"}"#)),
        format!("{}.e30.", header(r#"{"alg":"HS256"}"#)),
        format!("{}.{}.", header(r#"{"alg":"HS256"}"#), header("[1e999]")),
        hs256(&json!({"sub": "user-1", "exp": 1e308, "nbf": -1e308, "iat": u64::MAX})),
        hs256(&json!([1, 2, 3])),
        hs256(&json!({"sub": "user-1\u{0}", "exp": unix_now() + 60})),
    ];
    for input in inputs {
        assert!(verifier.verify(&input).await.is_err(), "{input:.80}");
    }
}

// --- the verified-token cache ---------------------------------------------------------

/// Refreshes every 100 ms when the JWKS says `max-age=0`.
fn fast_refresh() -> RefreshPolicy {
    RefreshPolicy {
        unknown_kid_cooldown: Duration::from_millis(200),
        retry_after_failure: Duration::from_millis(100),
        default_max_age: Duration::from_secs(3600),
        min_max_age: Duration::from_millis(100),
        max_max_age: Duration::from_secs(3600),
    }
}

async fn wait_for_fetches(server: &JwksServer, count: usize) {
    timeout(Duration::from_secs(5), async {
        while server.requests() < count {
            sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the JWKS is fetched again");
    // Let the refresher store what it fetched.
    sleep(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn a_verified_token_is_served_from_the_cache_with_the_same_claims() {
    let verifier = JwtVerifier::new(secret_settings()).unwrap();
    let token = hs256(&valid_claims());
    let first = verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.cached_tokens(), 1);
    assert_eq!(verifier.verify(&token).await, Ok(first));
    assert_eq!(verifier.cached_tokens(), 1);
}

#[tokio::test]
async fn failures_are_never_cached() {
    let verifier = JwtVerifier::new(secret_settings()).unwrap();
    let forged = hmac_token(&[7; 32], json!({"alg": "HS256"}), &valid_claims());
    let expired = hs256(&json!({"sub": "user-1", "exp": unix_now() - 3600}));
    for _ in 0..2 {
        assert_eq!(verifier.verify(&forged).await, invalid("bad signature"));
        assert_eq!(verifier.verify(&expired).await, Err(AuthError::Expired));
    }
    assert_eq!(verifier.cached_tokens(), 0);
}

#[tokio::test]
async fn a_cached_token_is_not_served_from_its_exp_on() {
    // No leeway, so that the full check refuses it as soon as the cache stops serving it.
    let verifier = JwtVerifier::new(VerifierSettings {
        leeway: Duration::ZERO,
        ..secret_settings()
    })
    .unwrap();
    let expires_at = unix_now() + 2;
    let token = hs256(&json!({"sub": "user-1", "exp": expires_at}));
    assert!(verifier.verify(&token).await.is_ok());
    assert_eq!(verifier.cached_tokens(), 1);
    while unix_now() < expires_at {
        sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(verifier.verify(&token).await, Err(AuthError::Expired));
    assert_eq!(verifier.cached_tokens(), 0);
}

#[tokio::test]
async fn a_new_key_set_empties_the_cache() {
    let (old, new) = (TestKey::ed25519(), TestKey::ed25519());
    let server =
        JwksServer::start(Reply::keys(&[old.public_jwk("old")]).cache_control("max-age=0")).await;
    let verifier = JwtVerifier::build(
        VerifierSettings {
            secret: Some(SharedSecret::new(SECRET).unwrap()),
            ..jwks_settings(&server)
        },
        TokenCacheSettings::default(),
        fast_refresh(),
    )
    .unwrap();
    ready(&verifier).await;
    let signed_by_old = old.token(json!({"alg": "EdDSA", "kid": "old"}), &valid_claims());
    assert!(verifier.verify(&signed_by_old).await.is_ok());
    assert!(verifier.verify(&hs256(&valid_claims())).await.is_ok());
    assert_eq!(verifier.cached_tokens(), 2);

    server.reply_with(Reply::keys(&[new.public_jwk("new")]).cache_control("max-age=0"));
    let fetched = server.requests();
    wait_for_fetches(&server, fetched + 1).await;
    assert_eq!(verifier.cached_tokens(), 0);
    // The rotated-out key's token is checked again, and refused.
    assert_eq!(
        verifier.verify(&signed_by_old).await,
        invalid("no key with the token's kid")
    );
}

#[tokio::test]
async fn the_same_key_set_fetched_again_keeps_the_cache() {
    let key = TestKey::ed25519();
    let server =
        JwksServer::start(Reply::keys(&[key.public_jwk("k")]).cache_control("max-age=0")).await;
    let verifier = JwtVerifier::build(
        jwks_settings(&server),
        TokenCacheSettings::default(),
        fast_refresh(),
    )
    .unwrap();
    ready(&verifier).await;
    let token = key.token(json!({"alg": "EdDSA", "kid": "k"}), &valid_claims());
    assert!(verifier.verify(&token).await.is_ok());
    let fetched = server.requests();
    wait_for_fetches(&server, fetched + 2).await;
    assert_eq!(verifier.cached_tokens(), 1);
}

#[tokio::test]
async fn with_the_cache_disabled_nothing_is_kept() {
    let verifier =
        JwtVerifier::with_token_cache(secret_settings(), TokenCacheSettings::DISABLED).unwrap();
    let token = hs256(&valid_claims());
    assert!(verifier.verify(&token).await.is_ok());
    assert!(verifier.verify(&token).await.is_ok());
    assert_eq!(verifier.cached_tokens(), 0);
}

#[test]
fn a_plain_http_jwks_url_off_loopback_is_refused_when_not_allowed() {
    let error = setup_error(VerifierSettings {
        jwks_url: Some("http://frontend:3000/api/auth/jwks".into()),
        allow_plain_http_jwks: false,
        ..VerifierSettings::default()
    });
    assert!(matches!(error, SetupError::PlainHttpJwks { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("APP__AUTH__ALLOW_PLAIN_HTTP_JWKS")
    );
}
