//! Token verification per algorithm, with the verified-token cache off ("cold": signature
//! and claims checked every time) and on ("cached": the same token again, a hit).
//!
//! `cargo bench -p tasks-auth-jwt --bench verify`
//!
//! The asymmetric keys are served as a JWKS by a small HTTP server on 127.0.0.1, as Better
//! Auth serves them; verification itself never waits on it once the keys are fetched.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::OsRng;
use rsa::pkcs1v15;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use tasks_auth_jwt::{JwtVerifier, SharedSecret, TokenCacheSettings, VerifierSettings};
use tasks_ports::TokenVerifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

const SECRET: &str = "a-better-auth-secret-of-32-bytes-or-more";

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims as Better Auth issues them, valid for an hour.
fn claims() -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({
        "sub": "x2JfHq8pLk0123456789abcdefghijk", "iat": now, "exp": now + 3600,
        "email": "someone@example.com", "name": "Someone",
    })
}

fn token(header: Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims().to_string()));
    let signature = sign(input.as_bytes());
    format!("{input}.{}", b64(signature))
}

/// Polls a verification that must not wait (keys are in memory): no runtime in the loop.
fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("verification waited"),
    }
}

/// Serves `{"keys": [...]}` on 127.0.0.1 to every request; returns its URL.
fn serve_jwks(runtime: &Runtime, keys: Vec<Value>) -> String {
    let body = json!({ "keys": keys }).to_string();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/api/auth/jwks", listener.local_addr().unwrap());
    runtime.spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    url
}

fn verifier(runtime: &Runtime, jwks_url: &str, cache: TokenCacheSettings) -> JwtVerifier {
    let _guard = runtime.enter();
    let verifier = JwtVerifier::with_token_cache(
        VerifierSettings {
            secret: Some(SharedSecret::new(SECRET).unwrap()),
            jwks_url: Some(jwks_url.to_owned()),
            ..VerifierSettings::default()
        },
        cache,
    )
    .unwrap();
    runtime.block_on(async {
        while verifier.remote_keys_ready() != Some(true) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    verifier
}

fn verification(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let ed25519 = ed25519_dalek::SigningKey::generate(&mut OsRng);
    let p256 = p256::ecdsa::SigningKey::random(&mut OsRng);
    let rsa = rsa::RsaPrivateKey::new(&mut OsRng, 2048).unwrap();
    let p256_point = p256.verifying_key().to_encoded_point(false);
    let jwks_url = serve_jwks(
        &runtime,
        vec![
            json!({"kty": "OKP", "crv": "Ed25519", "kid": "ed",
                   "x": b64(ed25519.verifying_key().as_bytes())}),
            json!({"kty": "EC", "crv": "P-256", "kid": "p256",
                   "x": b64(p256_point.x().unwrap()), "y": b64(p256_point.y().unwrap())}),
            json!({"kty": "RSA", "kid": "rsa",
                   "n": b64(rsa.n().to_bytes_be()), "e": b64(rsa.e().to_bytes_be())}),
        ],
    );
    let tokens = [
        (
            "HS256",
            token(json!({"alg": "HS256", "typ": "JWT"}), |input| {
                let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
                let signature =
                    jsonwebtoken::crypto::sign(input, &key, jsonwebtoken::Algorithm::HS256)
                        .unwrap();
                URL_SAFE_NO_PAD.decode(signature).unwrap()
            }),
        ),
        (
            "EdDSA",
            token(json!({"alg": "EdDSA", "kid": "ed"}), |input| {
                ed25519.sign(input).to_bytes().to_vec()
            }),
        ),
        (
            "ES256",
            token(json!({"alg": "ES256", "kid": "p256"}), |input| {
                Signer::<p256::ecdsa::Signature>::sign(&p256, input).to_vec()
            }),
        ),
        (
            "RS256",
            token(json!({"alg": "RS256", "kid": "rsa"}), |input| {
                pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(rsa.clone())
                    .sign(input)
                    .to_vec()
            }),
        ),
    ];
    let cold = verifier(&runtime, &jwks_url, TokenCacheSettings::DISABLED);
    let cached = verifier(&runtime, &jwks_url, TokenCacheSettings::default());
    let mut group = c.benchmark_group("verify");
    for (alg, token) in &tokens {
        now_or_never(cold.verify(token)).expect("a valid token");
        now_or_never(cached.verify(token)).expect("a valid token");
        group.bench_function(format!("{alg}/cold"), |b| {
            b.iter(|| now_or_never(cold.verify(black_box(token))).unwrap());
        });
        group.bench_function(format!("{alg}/cached"), |b| {
            b.iter(|| now_or_never(cached.verify(black_box(token))).unwrap());
        });
    }
    group.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
