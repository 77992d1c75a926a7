use std::sync::OnceLock;
use std::time::Duration;

use metrics::{describe_gauge, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const BUILD_INFO: &str = "tasks_build_info";
pub(super) const IN_FLIGHT: &str = "tasks_http_requests_in_flight";

/// Upper bounds of the latency buckets, in seconds: from a cached read (well under a
/// millisecond) to the 5 s timeouts, and beyond.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Writes per batch, up to the store's largest batch (64).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// Histograms keep every value recorded until they are folded into their buckets: at each
/// scrape, and at least this often, so that memory stays bounded when nobody scrapes.
const UPKEEP_PERIOD: Duration = Duration::from_secs(5);

static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed behind the `metrics` facade on first use
/// (one per process, however many applications a test starts).
pub(super) fn prometheus() -> &'static PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .expect("the bucket list is not empty")
            .set_buckets_for_metric(
                Matcher::Full(tasks_store_postgres::metrics::WRITE_BATCH_SIZE.into()),
                BATCH_BUCKETS,
            )
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder)
            .expect("nothing else installs a global metrics recorder");
        describe();
        gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_PERIOD);
                    upkeep.run_upkeep();
                }
            })
            .expect("a thread for the metrics upkeep");
        handle
    })
}

/// Every metric's help text: the adapters' and this binary's own.
fn describe() {
    tasks_http::metrics::describe();
    tasks_auth_jwt::metrics::describe();
    tasks_store_postgres::metrics::describe();
    describe_gauge!(
        BUILD_INFO,
        "Always 1; the version label is the service's version."
    );
    describe_gauge!(IN_FLIGHT, "HTTP requests being served right now.");
}
