//! The JWKS verifier against a real HTTP endpoint on 127.0.0.1, with short timings.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use serde_json::json;
use tasks_ports::AuthError;
use tokio::sync::watch;
use tokio::time::{Instant, sleep, timeout};

use super::{JwksVerifier, RefreshPolicy};
use crate::jws::Jws;
use crate::test_support::{
    Gate, JwksServer, Reply, TestKey, b64, hmac_token, signing_input, valid_claims,
};

const FETCH_TIMEOUT: Duration = Duration::from_millis(500);
const COOLDOWN: Duration = Duration::from_millis(1000);
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(300);

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// No scheduled refresh interferes unless a test asks for one.
fn policy() -> RefreshPolicy {
    RefreshPolicy {
        unknown_kid_cooldown: COOLDOWN,
        retry_after_failure: RETRY_AFTER_FAILURE,
        default_max_age: Duration::from_secs(3600),
        min_max_age: ms(100),
        max_max_age: Duration::from_secs(3600),
    }
}

fn start(server: &JwksServer, policy: RefreshPolicy) -> JwksVerifier {
    JwksVerifier::start(server.url(), FETCH_TIMEOUT, policy, Box::new(|| {})).unwrap()
}

async fn ready_verifier(server: &JwksServer, policy: RefreshPolicy) -> JwksVerifier {
    let verifier = start(server, policy);
    timeout(Duration::from_secs(5), async {
        while !verifier.keys_ready() {
            sleep(ms(5)).await;
        }
    })
    .await
    .expect("the first fetch succeeds");
    verifier
}

async fn wait_for_requests(server: &JwksServer, count: usize) {
    timeout(Duration::from_secs(5), async {
        while server.requests() < count {
            sleep(ms(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("expected {count} requests, saw {}", server.requests()));
}

/// Polls `future` once: `Pending` means it is waiting for something (here, a fetch).
async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|context| Poll::Ready(Pin::new(&mut *future).poll(context))).await
}

async fn verify(verifier: &JwksVerifier, token: &str) -> Result<(), AuthError> {
    verifier.verify_signature(&Jws::parse(token)?).await
}

fn token(key: &TestKey, alg: &str, kid: &str) -> String {
    key.token(
        json!({"alg": alg, "kid": kid, "typ": "JWT"}),
        &valid_claims(),
    )
}

fn invalid(reason: &'static str) -> Result<(), AuthError> {
    Err(AuthError::invalid(reason))
}

#[tokio::test]
async fn verifies_every_algorithm_better_auth_offers() {
    let [ed, p256, p384, p521, rsa] = TestKey::one_of_each().try_into().ok().unwrap();
    let jwks = [
        ed.public_jwk("ed"),
        p256.public_jwk("p256"),
        p384.public_jwk("p384"),
        p521.public_jwk("p521"),
        rsa.public_jwk("rsa"),
    ];
    let server = JwksServer::start(Reply::keys(&jwks)).await;
    let verifier = ready_verifier(&server, policy()).await;

    let cases = [
        (&ed, "EdDSA", "ed"),
        (&p256, "ES256", "p256"),
        (&p384, "ES384", "p384"),
        (&p521, "ES512", "p521"),
        (&rsa, "RS256", "rsa"),
        (&rsa, "RS384", "rsa"),
        (&rsa, "RS512", "rsa"),
        (&rsa, "PS256", "rsa"),
        (&rsa, "PS384", "rsa"),
        (&rsa, "PS512", "rsa"),
    ];
    for (key, alg, kid) in cases {
        assert_eq!(
            verify(&verifier, &token(key, alg, kid)).await,
            Ok(()),
            "{alg}"
        );
    }
}

#[tokio::test]
async fn rejects_a_signature_over_other_claims_for_every_key_type() {
    let algs = ["EdDSA", "ES256", "ES384", "ES512", "PS256"];
    for (key, alg) in TestKey::one_of_each().iter().zip(algs) {
        let server = JwksServer::start(Reply::keys(&[key.public_jwk("k")])).await;
        let verifier = ready_verifier(&server, policy()).await;
        let header = json!({"alg": alg, "kid": "k"});
        let genuine = key.token(header.clone(), &valid_claims());
        let escalated = key.token(header, &json!({"sub": "admin"}));
        let (_, genuine_signature) = genuine.rsplit_once('.').unwrap();
        let (escalated_input, _) = escalated.rsplit_once('.').unwrap();
        let spliced = format!("{escalated_input}.{genuine_signature}");
        assert_eq!(verify(&verifier, &genuine).await, Ok(()), "{alg}");
        assert_eq!(
            verify(&verifier, &spliced).await,
            invalid("bad signature"),
            "{alg}"
        );
    }
}

#[tokio::test]
async fn chooses_the_key_named_by_kid() {
    let (a, b) = (TestKey::ed25519(), TestKey::ed25519());
    let server = JwksServer::start(Reply::keys(&[a.public_jwk("a"), b.public_jwk("b")])).await;
    let verifier = ready_verifier(&server, policy()).await;
    assert_eq!(verify(&verifier, &token(&b, "EdDSA", "b")).await, Ok(()));
    assert_eq!(verify(&verifier, &token(&a, "EdDSA", "a")).await, Ok(()));
    assert_eq!(
        verify(&verifier, &token(&b, "EdDSA", "a")).await,
        invalid("bad signature")
    );
}

#[tokio::test]
async fn a_token_without_kid_needs_a_single_usable_key() {
    let key = TestKey::ed25519();
    let no_kid = key.token(json!({"alg": "EdDSA"}), &valid_claims());
    // The Ed448 key is skipped, so the set holds exactly one usable key.
    let ed448 = json!({"kty": "OKP", "crv": "Ed448", "kid": "ed448", "x": b64([1; 57])});
    let server = JwksServer::start(Reply::keys(&[key.public_jwk("only"), ed448])).await;
    let verifier = ready_verifier(&server, policy()).await;
    assert_eq!(verify(&verifier, &no_kid).await, Ok(()));

    let server = JwksServer::start(Reply::keys(&[
        key.public_jwk("one"),
        TestKey::ed25519().public_jwk("two"),
    ]))
    .await;
    let verifier = ready_verifier(&server, policy()).await;
    assert_eq!(
        verify(&verifier, &no_kid).await,
        invalid("no kid, and several keys")
    );
}

#[tokio::test]
async fn an_unknown_kid_picks_up_a_rotated_key() {
    let (old, new) = (TestKey::ed25519(), TestKey::p256());
    let server = JwksServer::start(Reply::keys(&[old.public_jwk("old")])).await;
    let verifier = ready_verifier(&server, policy()).await;
    sleep(COOLDOWN).await;

    server.reply_with(Reply::keys(&[new.public_jwk("new")]));
    assert_eq!(
        verify(&verifier, &token(&new, "ES256", "new")).await,
        Ok(())
    );
    assert_eq!(server.requests(), 2);
    // The rotated-out key is gone with the new set.
    assert_eq!(
        verify(&verifier, &token(&old, "EdDSA", "old")).await,
        invalid("no key with the token's kid")
    );
}

#[tokio::test]
async fn unknown_kids_refresh_at_most_once_per_cooldown() {
    let (known, rotated) = (TestKey::ed25519(), TestKey::ed25519());
    let server = JwksServer::start(Reply::keys(&[known.public_jwk("known")])).await;
    let verifier = ready_verifier(&server, policy()).await;
    server.reply_with(Reply::keys(&[
        known.public_jwk("known"),
        rotated.public_jwk("rotated"),
    ]));

    // The first fetch started less than a cool-down ago: refused at once, nothing fetched.
    let started = Instant::now();
    assert_eq!(
        verify(&verifier, &token(&rotated, "EdDSA", "rotated")).await,
        invalid("no key with the token's kid")
    );
    assert!(started.elapsed() < ms(250));
    assert_eq!(server.requests(), 1);

    sleep(COOLDOWN).await;
    assert_eq!(
        verify(&verifier, &token(&known, "EdDSA", "missing-1")).await,
        invalid("no key with the token's kid")
    );
    assert_eq!(server.requests(), 2);
    // That refresh brought "rotated" along; other unknown kids wait for the cool-down.
    assert_eq!(
        verify(&verifier, &token(&rotated, "EdDSA", "rotated")).await,
        Ok(())
    );
    assert_eq!(
        verify(&verifier, &token(&known, "EdDSA", "missing-2")).await,
        invalid("no key with the token's kid")
    );
    assert_eq!(server.requests(), 2);

    sleep(COOLDOWN).await;
    assert_eq!(
        verify(&verifier, &token(&known, "EdDSA", "missing-2")).await,
        invalid("no key with the token's kid")
    );
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn scheduled_refreshes_count_toward_the_cooldown() {
    let (key, added) = (TestKey::ed25519(), TestKey::ed25519());
    let server =
        JwksServer::start(Reply::keys(&[key.public_jwk("k")]).cache_control("max-age=1")).await;
    let cooldown = ms(800);
    let (keys_changed, mut changes) = watch::channel(0);
    let on_keys_changed = move || {
        keys_changed.send_modify(|count| *count += 1);
    };
    let verifier = JwksVerifier::start(
        server.url(),
        FETCH_TIMEOUT,
        RefreshPolicy {
            unknown_kid_cooldown: cooldown,
            ..policy()
        },
        Box::new(on_keys_changed),
    )
    .unwrap();
    timeout(
        Duration::from_secs(5),
        changes.wait_for(|count| *count == 1),
    )
    .await
    .expect("the first fetch")
    .unwrap();
    // The scheduled fetch (a second after the first) brings one more key; once it is
    // stored, the token below cannot merely join it.
    server.reply_with(Reply::keys(&[
        key.public_jwk("k"),
        added.public_jwk("added"),
    ]));
    timeout(
        Duration::from_secs(5),
        changes.wait_for(|count| *count == 2),
    )
    .await
    .expect("the first and the scheduled fetch")
    .unwrap();
    assert_eq!(server.requests(), 2);
    // More than a cool-down after the first fetch, but just after the scheduled one.
    assert!(server.request_times()[0].elapsed() > cooldown);
    assert_eq!(
        verify(&verifier, &token(&key, "EdDSA", "unknown")).await,
        invalid("no key with the token's kid")
    );
    let since_scheduled = server.request_times()[1].elapsed();
    assert!(
        since_scheduled < cooldown,
        "the check ran {since_scheduled:?} after the scheduled fetch, past the cool-down"
    );
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn concurrent_unknown_kid_requests_share_one_fetch() {
    let (old, new) = (TestKey::ed25519(), TestKey::ed25519());
    let server = JwksServer::start(Reply::keys(&[old.public_jwk("old")])).await;
    let verifier = ready_verifier(&server, policy()).await;
    sleep(COOLDOWN).await;
    // The fetch that brings "new" stays in flight until the gate opens.
    let gate = Gate::new();
    server.reply_with(Reply::keys(&[new.public_jwk("new")]).held(&gate));

    let token = token(&new, "EdDSA", "new");
    let mut first = Box::pin(verify(&verifier, &token));
    assert!(poll_once(&mut first).await.is_pending());
    wait_for_requests(&server, 2).await;
    // These arrive while that fetch is in flight: each waits for it.
    let mut later: Vec<_> = (0..20)
        .map(|_| Box::pin(verify(&verifier, &token)))
        .collect();
    for request in &mut later {
        assert!(poll_once(request).await.is_pending());
    }
    gate.open();
    assert_eq!(first.await, Ok(()));
    for request in later {
        assert_eq!(request.await, Ok(()));
    }
    // No further fetch is asked for or under way, and none happened.
    assert!(!verifier.fetch_pending());
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn keys_survive_an_outage_and_failures_are_retried_no_sooner_than_the_delay() {
    let key = TestKey::ed25519();
    let server =
        JwksServer::start(Reply::keys(&[key.public_jwk("k")]).cache_control("max-age=0")).await;
    let verifier = ready_verifier(&server, policy()).await;
    server.reply_with(Reply::Status(500));
    wait_for_requests(&server, 4).await;

    assert_eq!(verify(&verifier, &token(&key, "EdDSA", "k")).await, Ok(()));
    assert!(verifier.keys_ready());
    let times = server.request_times();
    for pair in times[1..].windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= RETRY_AFTER_FAILURE, "retried after {gap:?}");
    }
}

#[tokio::test]
async fn a_hanging_endpoint_holds_a_request_no_longer_than_the_fetch_timeout() {
    let key = TestKey::ed25519();
    let server = JwksServer::start(Reply::keys(&[key.public_jwk("k")])).await;
    let verifier = Arc::new(ready_verifier(&server, policy()).await);
    sleep(COOLDOWN).await;
    server.reply_with(Reply::Hang);

    let started = Instant::now();
    let unknown = tokio::spawn({
        let verifier = Arc::clone(&verifier);
        let token = token(&key, "EdDSA", "unknown");
        async move { verify(&verifier, &token).await }
    });
    wait_for_requests(&server, 2).await;
    // A known kid is not held up by the fetch in flight.
    let known_started = Instant::now();
    assert_eq!(verify(&verifier, &token(&key, "EdDSA", "k")).await, Ok(()));
    assert!(known_started.elapsed() < ms(250));

    assert_eq!(
        unknown.await.unwrap(),
        invalid("no key with the token's kid")
    );
    let waited = started.elapsed();
    assert!(waited >= FETCH_TIMEOUT - ms(50), "{waited:?}");
    assert!(waited < FETCH_TIMEOUT + ms(500), "{waited:?}");
}

#[tokio::test]
async fn before_any_successful_fetch_tokens_get_keys_unavailable() {
    let key = TestKey::p256();
    let server = JwksServer::start(Reply::Hang).await;
    let started = Instant::now();
    let verifier = start(&server, policy());
    assert!(started.elapsed() < ms(250), "construction waited");
    assert!(!verifier.keys_ready());

    let answered = Instant::now();
    let outcome = verify(&verifier, &token(&key, "ES256", "k")).await;
    assert!(
        answered.elapsed() < ms(250),
        "the token waited for the fetch"
    );
    assert_eq!(
        outcome,
        Err(AuthError::KeysUnavailable {
            retry_after: Duration::from_secs(1)
        })
    );

    // The timed-out first fetch is retried, and success then serves tokens.
    server.reply_with(Reply::keys(&[key.public_jwk("k")]));
    timeout(Duration::from_secs(5), async {
        while !verifier.keys_ready() {
            sleep(ms(5)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(verify(&verifier, &token(&key, "ES256", "k")).await, Ok(()));
}

#[tokio::test]
async fn an_error_status_is_a_failed_fetch() {
    for status in [500, 404, 204] {
        let server = JwksServer::start(Reply::Status(status)).await;
        let verifier = start(&server, policy());
        // Only a failure is retried this soon (a success waits an hour here).
        wait_for_requests(&server, 2).await;
        assert!(!verifier.keys_ready(), "{status}");
    }
}

#[tokio::test]
async fn an_empty_key_set_is_a_successful_fetch() {
    let server = JwksServer::start(Reply::keys(&[])).await;
    let verifier = ready_verifier(&server, policy()).await;
    assert_eq!(
        verify(&verifier, &token(&TestKey::ed25519(), "EdDSA", "k")).await,
        invalid("no key with the token's kid")
    );
}

#[tokio::test]
async fn max_age_schedules_the_next_fetch() {
    let server = JwksServer::start(Reply::keys(&[]).cache_control("public, max-age=1")).await;
    let _verifier = ready_verifier(&server, policy()).await;
    wait_for_requests(&server, 2).await;
    let times = server.request_times();
    let gap = times[1] - times[0];
    assert!(
        gap >= Duration::from_secs(1) && gap < Duration::from_secs(3),
        "{gap:?}"
    );
}

#[tokio::test]
async fn max_age_is_clamped() {
    let short = JwksServer::start(Reply::keys(&[]).cache_control("max-age=0")).await;
    let long = JwksServer::start(Reply::keys(&[]).cache_control("max-age=86400")).await;
    let clamped = RefreshPolicy {
        min_max_age: ms(300),
        max_max_age: ms(600),
        ..policy()
    };
    let _short = ready_verifier(&short, clamped.clone()).await;
    let _long = ready_verifier(&long, clamped).await;
    wait_for_requests(&short, 3).await;
    wait_for_requests(&long, 2).await;

    for pair in short.request_times().windows(2) {
        assert!(pair[1] - pair[0] >= ms(300), "{:?}", pair[1] - pair[0]);
    }
    let times = long.request_times();
    let gap = times[1] - times[0];
    assert!(gap >= ms(600) && gap < Duration::from_secs(3), "{gap:?}");
}

#[tokio::test]
async fn without_max_age_the_default_delay_applies() {
    let server = JwksServer::start(Reply::keys(&[])).await;
    let _verifier = ready_verifier(
        &server,
        RefreshPolicy {
            default_max_age: ms(400),
            ..policy()
        },
    )
    .await;
    wait_for_requests(&server, 2).await;
    let times = server.request_times();
    let gap = times[1] - times[0];
    assert!(gap >= ms(400) && gap < Duration::from_secs(3), "{gap:?}");
}

#[tokio::test]
async fn the_algorithm_must_match_the_key_type_and_curve() {
    let [ed, p256, p384, _, rsa] = TestKey::one_of_each().try_into().ok().unwrap();
    let jwks = [
        ed.public_jwk("ed"),
        p256.public_jwk("p256"),
        p384.public_jwk("p384"),
        rsa.public_jwk("rsa"),
    ];
    let server = JwksServer::start(Reply::keys(&jwks)).await;
    let verifier = ready_verifier(&server, policy()).await;
    let mismatches = [
        token(&rsa, "RS256", "p256"),
        token(&p384, "ES256", "p384"),
        token(&p256, "ES384", "p256"),
        token(&p256, "ES512", "p256"),
        token(&ed, "EdDSA", "rsa"),
        token(&rsa, "PS256", "ed"),
        hmac_token(
            &[0; 32],
            json!({"alg": "HS256", "kid": "ed"}),
            &valid_claims(),
        ),
    ];
    for token in mismatches {
        assert_eq!(
            verify(&verifier, &token).await,
            invalid("alg does not match the key"),
            "{token}"
        );
    }
}

#[tokio::test]
async fn a_jwks_key_is_never_an_hmac_secret() {
    let ec = TestKey::p256();
    let ec_jwk = ec.public_jwk("ec");
    let secret = b"a secret published in the JWKS!!";
    let oct = json!({"kty": "oct", "kid": "oct", "k": b64(secret), "alg": "HS256"});
    let server = JwksServer::start(Reply::keys(&[ec_jwk.clone(), oct])).await;
    let verifier = ready_verifier(&server, policy()).await;

    let public_bytes = ec_jwk.to_string();
    let with_public_key = hmac_token(
        public_bytes.as_bytes(),
        json!({"alg": "HS256", "kid": "ec"}),
        &valid_claims(),
    );
    assert_eq!(
        verify(&verifier, &with_public_key).await,
        invalid("alg does not match the key")
    );
    let with_oct_key = hmac_token(
        secret,
        json!({"alg": "HS256", "kid": "oct"}),
        &valid_claims(),
    );
    assert_eq!(
        verify(&verifier, &with_oct_key).await,
        invalid("no key with the token's kid")
    );
}

#[tokio::test]
async fn key_location_headers_are_never_followed() {
    let (genuine, attacker) = (TestKey::ed25519(), TestKey::ed25519());
    let server = JwksServer::start(Reply::keys(&[genuine.public_jwk("k")])).await;
    let verifier = ready_verifier(&server, policy()).await;
    let planted = server.url_for("/attacker/jwks");
    let claims = valid_claims();
    let tokens = [
        // The attacker's own key, embedded; without kid the single genuine key is used.
        attacker.token(
            json!({"alg": "EdDSA", "jwk": attacker.public_jwk("k")}),
            &claims,
        ),
        attacker.token(
            json!({"alg": "EdDSA", "kid": "k", "jwk": attacker.public_jwk("k")}),
            &claims,
        ),
        attacker.token(json!({"alg": "EdDSA", "kid": "k", "jku": planted}), &claims),
        attacker.token(json!({"alg": "EdDSA", "kid": "k", "x5u": planted}), &claims),
        attacker.token(
            json!({"alg": "EdDSA", "kid": "k", "x5c": [b64(b"not a certificate")]}),
            &claims,
        ),
    ];
    for token in tokens {
        assert_eq!(
            verify(&verifier, &token).await,
            invalid("bad signature"),
            "{token}"
        );
    }
    assert_eq!(server.request_paths(), ["/api/auth/jwks"]);
}

#[tokio::test]
async fn crit_and_alg_none_never_reach_a_key() {
    let key = TestKey::ed25519();
    let server = JwksServer::start(Reply::keys(&[key.public_jwk("k")])).await;
    let verifier = ready_verifier(&server, policy()).await;
    let crit = key.token(
        json!({"alg": "EdDSA", "kid": "k", "crit": ["b64"], "b64": true}),
        &valid_claims(),
    );
    assert_eq!(
        verify(&verifier, &crit).await,
        invalid("crit header parameter present")
    );
    let input = signing_input(&json!({"alg": "none", "kid": "k"}), &valid_claims());
    assert_eq!(
        verify(&verifier, &format!("{input}.")).await,
        invalid("alg none")
    );
}

#[tokio::test]
async fn unusable_keys_are_logged_once_naming_the_kid() {
    let log = CapturedLog::default();
    let _subscriber = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(log.clone())
            .finish(),
    );
    let ed448 = json!({"kty": "OKP", "crv": "Ed448", "kid": "ed448-key", "x": b64([1; 57])});
    let server = JwksServer::start(Reply::keys(&[ed448]).cache_control("max-age=0")).await;
    let _verifier = ready_verifier(&server, policy()).await;
    // The refresher is sequential: the third request means two fetches were processed.
    wait_for_requests(&server, 3).await;

    let output = log.text();
    assert_eq!(output.matches("ed448-key").count(), 1, "{output}");
    assert!(output.contains("Ed448 is not supported"), "{output}");
}

/// A `tracing` writer that keeps what it is given.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLog {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed() {
    let key = TestKey::ed25519();
    let server = JwksServer::start(Reply::Status(500)).await;
    server.reply_with(Reply::Redirect {
        location: server.url_for("/keys/current"),
        there: Box::new(Reply::keys(&[key.public_jwk("k")])),
    });
    let verifier = ready_verifier(&server, policy()).await;
    verify(&verifier, &token(&key, "EdDSA", "k")).await.unwrap();
    assert_eq!(server.request_paths(), ["/api/auth/jwks", "/keys/current"]);
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_never_followed() {
    let key = TestKey::ed25519();
    let elsewhere = JwksServer::start(Reply::keys(&[key.public_jwk("k")])).await;
    let server = JwksServer::start(Reply::Redirect {
        location: elsewhere.url().to_owned(),
        there: Box::new(Reply::Status(500)),
    })
    .await;
    let verifier = start(&server, policy());
    // The first fetch and the retry after it both stop at the redirect.
    wait_for_requests(&server, 2).await;
    assert!(!verifier.keys_ready());
    assert_eq!(elsewhere.requests(), 0, "the other origin was never asked");
}
