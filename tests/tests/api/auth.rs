//! §1 Identity, in shared-secret (HS256) mode.

use jsonwebtoken::Algorithm;
use reqwest::Method;
use serde_json::{Value, json};
use tasks_e2e::{
    Reply, ReplyExt, TestApp, TokenBuilder, now, spawn_app, spawn_app_with, tasks_path,
};

const BARE_CHALLENGE: &str = r#"Bearer realm="api""#;
/// Beyond the 30 s leeway.
const WELL_PAST_LEEWAY: i64 = 120;

/// `GET /api/{user}/tasks` with this `Authorization` header value.
async fn list_with_authorization(app: &TestApp, user: &str, authorization: &str) -> Reply {
    app.request_with_authorization(authorization, Method::GET, &tasks_path(user))
        .reply()
        .await
}

/// `GET /api/{user}/tasks` with `Bearer <token>`.
async fn list_with_token(app: &TestApp, user: &str, token: &str) -> Reply {
    list_with_authorization(app, user, &format!("Bearer {token}")).await
}

/// Asserts 401 with the `invalid_token` challenge carrying the detail; returns the detail.
#[track_caller]
fn expect_invalid_token(reply: &Reply) -> String {
    let detail = reply.expect_error(401).to_owned();
    assert_eq!(
        reply.header("www-authenticate").as_deref(),
        Some(
            format!(r#"Bearer realm="api", error="invalid_token", error_description="{detail}""#)
                .as_str()
        ),
    );
    detail
}

/// Asserts 401 with exactly the bare challenge; returns the detail.
#[track_caller]
fn expect_no_token(reply: &Reply) -> String {
    let detail = reply.expect_error(401).to_owned();
    assert_eq!(
        reply.header("www-authenticate").as_deref(),
        Some(BARE_CHALLENGE)
    );
    detail
}

/// `token` with the character at `index` replaced by another base64url character.
fn with_character_changed(token: &str, index: usize) -> String {
    let mut bytes = token.as_bytes().to_vec();
    bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ASCII")
}

#[tokio::test]
async fn a_valid_token_is_accepted() {
    let app = spawn_app().await;
    let token = TokenBuilder::for_user("alice").sign();
    list_with_token(&app, "alice", &token).await.expect(200);
}

#[tokio::test]
async fn no_authorization_header_gets_the_bare_bearer_challenge() {
    let app = spawn_app().await;
    let reply = app.request(Method::GET, &tasks_path("alice")).reply().await;
    expect_no_token(&reply);
}

#[tokio::test]
async fn another_scheme_counts_as_no_bearer_token() {
    let app = spawn_app().await;
    for authorization in ["Basic YWxpY2U6c2VjcmV0", "Digest username=\"alice\""] {
        let reply = list_with_authorization(&app, "alice", authorization).await;
        expect_no_token(&reply);
    }
}

#[tokio::test]
async fn a_malformed_bearer_header_gets_the_invalid_token_challenge() {
    let app = spawn_app().await;
    for authorization in ["Bearer", "Bearer ", "Bearer a b"] {
        let reply = list_with_authorization(&app, "alice", authorization).await;
        expect_invalid_token(&reply);
    }
}

#[tokio::test]
async fn missing_malformed_expired_and_invalid_tokens_have_distinct_details() {
    let app = spawn_app().await;
    let missing = expect_no_token(&app.request(Method::GET, &tasks_path("alice")).reply().await);
    let malformed =
        expect_invalid_token(&list_with_authorization(&app, "alice", "Bearer a b").await);
    let expired_token = TokenBuilder::for_user("alice")
        .claim("iat", now() - 3600)
        .claim("exp", now() - WELL_PAST_LEEWAY)
        .sign();
    let expired = expect_invalid_token(&list_with_token(&app, "alice", &expired_token).await);
    let forged_token = TokenBuilder::for_user("alice")
        .secret("another-secret-that-is-also-32-bytes-long")
        .sign();
    let invalid = expect_invalid_token(&list_with_token(&app, "alice", &forged_token).await);

    let details = [&missing, &malformed, &expired, &invalid];
    for (i, a) in details.iter().enumerate() {
        for b in &details[i + 1..] {
            assert_ne!(a, b, "details must differ: {details:?}");
        }
    }
}

#[tokio::test]
async fn an_expired_token_is_rejected() {
    let app = spawn_app().await;
    let token = TokenBuilder::for_user("alice")
        .claim("iat", now() - 3600)
        .claim("exp", now() - WELL_PAST_LEEWAY)
        .sign();
    expect_invalid_token(&list_with_token(&app, "alice", &token).await);
}

#[tokio::test]
async fn a_token_expired_within_the_leeway_is_accepted() {
    let app = spawn_app().await;
    let token = TokenBuilder::for_user("alice")
        .claim("iat", now() - 600)
        .claim("exp", now() - 10)
        .sign();
    list_with_token(&app, "alice", &token).await.expect(200);
}

#[tokio::test]
async fn a_token_not_yet_valid_beyond_the_leeway_is_rejected() {
    let app = spawn_app().await;
    let token = TokenBuilder::for_user("alice")
        .claim("nbf", now() + WELL_PAST_LEEWAY)
        .sign();
    expect_invalid_token(&list_with_token(&app, "alice", &token).await);

    let within_leeway = TokenBuilder::for_user("alice")
        .claim("nbf", now() + 10)
        .sign();
    list_with_token(&app, "alice", &within_leeway)
        .await
        .expect(200);
}

#[tokio::test]
async fn a_token_issued_in_the_future_beyond_the_leeway_is_rejected() {
    let app = spawn_app().await;
    let token = TokenBuilder::for_user("alice")
        .claim("iat", now() + WELL_PAST_LEEWAY)
        .sign();
    expect_invalid_token(&list_with_token(&app, "alice", &token).await);
}

#[tokio::test]
async fn a_token_without_exp_is_rejected() {
    let app = spawn_app().await;
    let token = TokenBuilder::for_user("alice").without("exp").sign();
    expect_invalid_token(&list_with_token(&app, "alice", &token).await);
}

#[tokio::test]
async fn a_token_without_a_usable_subject_is_rejected() {
    let app = spawn_app().await;
    let too_long = "a".repeat(256);
    let too_long_in_bytes = "é".repeat(128); // 128 characters, 256 bytes
    let cases: [(&str, TokenBuilder); 5] = [
        ("alice", TokenBuilder::for_user("alice").without("sub")),
        ("alice", TokenBuilder::for_user("")),
        ("42", TokenBuilder::for_user("alice").claim("sub", 42)),
        (&too_long, TokenBuilder::for_user(&too_long)),
        ("alice", TokenBuilder::for_user(&too_long_in_bytes)),
    ];
    for (user, token) in cases {
        let reply = list_with_token(&app, user, &token.sign()).await;
        expect_invalid_token(&reply);
    }
}

#[tokio::test]
async fn a_subject_of_255_bytes_is_accepted() {
    let app = spawn_app().await;
    let subject = "a".repeat(255);
    let token = TokenBuilder::for_user(&subject).sign();
    list_with_token(&app, &subject, &token).await.expect(200);
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_rejected() {
    let app = spawn_app().await;
    let token = TokenBuilder::for_user("alice")
        .secret("another-secret-that-is-also-32-bytes-long")
        .sign();
    expect_invalid_token(&list_with_token(&app, "alice", &token).await);
}

#[tokio::test]
async fn a_token_with_one_character_changed_is_rejected() {
    let app = spawn_app().await;
    let token = TokenBuilder::for_user("alice").sign();
    let segments: Vec<usize> = token.split('.').map(str::len).collect();
    let middle_of_payload = segments[0] + 1 + segments[1] / 2;
    let middle_of_signature = segments[0] + 1 + segments[1] + 1 + segments[2] / 2;
    for index in [middle_of_payload, middle_of_signature] {
        let tampered = with_character_changed(&token, index);
        expect_invalid_token(&list_with_token(&app, "alice", &tampered).await);
    }
}

#[tokio::test]
async fn hs384_and_hs512_tokens_are_accepted() {
    let app = spawn_app().await;
    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        let token = TokenBuilder::for_user("alice").algorithm(algorithm).sign();
        list_with_token(&app, "alice", &token).await.expect(200);
    }
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_rejected() {
    let app = spawn_app().await;
    let builder = TokenBuilder::for_user("alice");
    for alg in ["none", "None", "NONE"] {
        let token = builder.with_header_and_signature(&json!({"alg": alg, "typ": "JWT"}), "");
        expect_invalid_token(&list_with_token(&app, "alice", &token).await);
    }
}

#[tokio::test]
async fn asymmetric_algorithms_are_rejected_when_no_jwks_is_configured() {
    let app = spawn_app().await;
    let builder = TokenBuilder::for_user("alice");
    let garbage_signature = tasks_e2e::base64url([7u8; 64]);
    for alg in ["RS256", "EdDSA", "ES256", "PS256"] {
        let header = json!({"alg": alg, "typ": "JWT", "kid": "some-key"});
        let token = builder.with_header_and_signature(&header, &garbage_signature);
        expect_invalid_token(&list_with_token(&app, "alice", &token).await);
    }
}

#[tokio::test]
async fn an_asymmetric_header_over_an_hmac_signature_is_rejected() {
    let app = spawn_app().await;
    let builder = TokenBuilder::for_user("alice");
    for alg in ["RS256", "EdDSA"] {
        let token = builder.sign_with_header(&json!({"alg": alg, "typ": "JWT"}));
        expect_invalid_token(&list_with_token(&app, "alice", &token).await);
    }
}

#[tokio::test]
async fn a_crit_header_is_rejected() {
    let app = spawn_app().await;
    let header = json!({"alg": "HS256", "typ": "JWT", "crit": ["exp"]});
    let token = TokenBuilder::for_user("alice").sign_with_header(&header);
    expect_invalid_token(&list_with_token(&app, "alice", &token).await);
    // The same construction without `crit` is fine, so it is `crit` that was refused.
    let plain =
        TokenBuilder::for_user("alice").sign_with_header(&json!({"alg": "HS256", "typ": "JWT"}));
    list_with_token(&app, "alice", &plain).await.expect(200);
}

#[tokio::test]
async fn a_token_over_8_kib_is_rejected() {
    let app = spawn_app().await;
    let huge = TokenBuilder::for_user("alice")
        .claim("padding", "x".repeat(9 * 1024))
        .sign();
    assert!(huge.len() > 8 * 1024);
    expect_invalid_token(&list_with_token(&app, "alice", &huge).await);

    let large = TokenBuilder::for_user("alice")
        .claim("padding", "x".repeat(5 * 1024))
        .sign();
    assert!(large.len() < 8 * 1024);
    list_with_token(&app, "alice", &large).await.expect(200);
}

#[tokio::test]
async fn the_scheme_name_is_case_insensitive() {
    let app = spawn_app().await;
    let token = TokenBuilder::for_user("alice").sign();
    for scheme in ["bearer", "BEARER", "bEaReR"] {
        list_with_authorization(&app, "alice", &format!("{scheme} {token}"))
            .await
            .expect(200);
    }
}

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "tasks-api";

async fn spawn_app_checking_issuer_and_audience() -> TestApp {
    spawn_app_with(&[("JWT_ISSUER", ISSUER), ("JWT_AUDIENCE", AUDIENCE)]).await
}

fn token_from(issuer: Option<&str>, audience: Option<Value>) -> String {
    let mut builder = TokenBuilder::for_user("alice");
    if let Some(issuer) = issuer {
        builder = builder.claim("iss", issuer);
    }
    if let Some(audience) = audience {
        builder = builder.claim("aud", audience);
    }
    builder.sign()
}

#[tokio::test]
async fn the_configured_issuer_and_audience_are_accepted() {
    let app = spawn_app_checking_issuer_and_audience().await;
    let token = token_from(Some(ISSUER), Some(json!(AUDIENCE)));
    list_with_token(&app, "alice", &token).await.expect(200);
}

#[tokio::test]
async fn a_wrong_or_missing_issuer_is_rejected() {
    let app = spawn_app_checking_issuer_and_audience().await;
    for issuer in [Some("https://evil.test"), Some(""), None] {
        let token = token_from(issuer, Some(json!(AUDIENCE)));
        let reply = list_with_token(&app, "alice", &token).await;
        expect_invalid_token(&reply);
    }
}

#[tokio::test]
async fn a_wrong_or_missing_audience_is_rejected() {
    let app = spawn_app_checking_issuer_and_audience().await;
    for audience in [Some(json!("other-api")), Some(json!(["other-api"])), None] {
        let token = token_from(Some(ISSUER), audience);
        let reply = list_with_token(&app, "alice", &token).await;
        expect_invalid_token(&reply);
    }
}

#[tokio::test]
async fn an_audience_array_containing_the_expected_value_is_accepted() {
    let app = spawn_app_checking_issuer_and_audience().await;
    let token = token_from(Some(ISSUER), Some(json!(["other-api", AUDIENCE])));
    list_with_token(&app, "alice", &token).await.expect(200);
}
