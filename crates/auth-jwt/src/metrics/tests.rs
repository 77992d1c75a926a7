//! What the verifier records, read back from a recorder of the test's own.

use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use serde_json::json;
use tasks_ports::TokenVerifier;
use tokio::time::{sleep, timeout};

use crate::jwks::RefreshPolicy;
use crate::settings::{SharedSecret, VerifierSettings};
use crate::test_support::{JwksServer, Reply, TestKey, hmac_token, valid_claims};
use crate::token_cache::TokenCacheSettings;
use crate::verifier::JwtVerifier;

const SECRET: &str = "a-better-auth-secret-of-32-bytes";

/// Each series as `name{label=value,...}` and its value. Taking it resets the counters.
fn recorded(snapshotter: &Snapshotter) -> Vec<(String, DebugValue)> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels: Vec<String> = key
                .key()
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            (
                format!("{}{{{}}}", key.key().name(), labels.join(",")),
                value,
            )
        })
        .collect()
}

fn value<'a>(recorded: &'a [(String, DebugValue)], series: &str) -> Option<&'a DebugValue> {
    recorded
        .iter()
        .find(|(name, _)| name == series)
        .map(|(_, value)| value)
}

#[tokio::test]
async fn token_cache_hits_and_misses_are_counted() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    // A current-thread runtime: everything records on this thread.
    let _recording = metrics::set_default_local_recorder(&recorder);
    let settings = VerifierSettings {
        secret: Some(SharedSecret::new(SECRET).unwrap()),
        ..VerifierSettings::default()
    };
    let verifier = JwtVerifier::with_token_cache(settings, TokenCacheSettings::default()).unwrap();
    let token = hmac_token(SECRET.as_bytes(), json!({"alg": "HS256"}), &valid_claims());
    let forged = hmac_token(b"another secret", json!({"alg": "HS256"}), &valid_claims());

    for _ in 0..3 {
        verifier.verify(&token).await.unwrap();
    }
    verifier.verify(&forged).await.unwrap_err();

    let recorded = recorded(&snapshotter);
    let lookups = "tasks_token_cache_lookups_total";
    assert_eq!(
        value(&recorded, &format!("{lookups}{{result=hit}}")),
        Some(&DebugValue::Counter(2))
    );
    assert_eq!(
        value(&recorded, &format!("{lookups}{{result=miss}}")),
        Some(&DebugValue::Counter(2))
    );
}

#[tokio::test]
async fn jwks_fetches_are_counted_by_outcome_and_the_keys_loaded_are_set() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _recording = metrics::set_default_local_recorder(&recorder);
    let server = JwksServer::start(Reply::Status(503)).await;
    let policy = RefreshPolicy {
        retry_after_failure: Duration::from_millis(50),
        default_max_age: Duration::from_secs(3600),
        ..RefreshPolicy::default()
    };
    let settings = VerifierSettings {
        jwks_url: Some(server.url().to_owned()),
        ..VerifierSettings::default()
    };
    let verifier = JwtVerifier::build(settings, TokenCacheSettings::default(), policy).unwrap();
    timeout(Duration::from_secs(5), async {
        while server.requests() == 0 {
            sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("a first fetch");
    let keys = [
        TestKey::ed25519().public_jwk("a"),
        TestKey::p256().public_jwk("b"),
    ];
    server.reply_with(Reply::keys(&keys));
    timeout(Duration::from_secs(5), async {
        while verifier.remote_keys_ready() != Some(true) {
            sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("a successful fetch");

    let recorded = recorded(&snapshotter);
    let fetches = "tasks_jwks_fetches_total";
    let failures = u64::try_from(server.requests() - 1).unwrap();
    assert!(failures >= 1);
    assert_eq!(
        value(&recorded, &format!("{fetches}{{outcome=bad_status}}")),
        Some(&DebugValue::Counter(failures))
    );
    assert_eq!(
        value(&recorded, &format!("{fetches}{{outcome=ok}}")),
        Some(&DebugValue::Counter(1))
    );
    assert_eq!(
        value(&recorded, "tasks_jwks_keys{}"),
        Some(&DebugValue::Gauge(2.0.into()))
    );
}
