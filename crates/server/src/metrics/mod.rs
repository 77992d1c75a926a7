//! Prometheus metrics at `GET /metrics` on a listener of their own (`[metrics]`), never on
//! the API's port.
//!
//! The adapters record through the `metrics` facade and know nothing of Prometheus; this
//! module installs the Prometheus recorder behind that facade, gives it the metrics'
//! descriptions, and serves the scrape. Gauges that are a reading of some state (requests
//! in flight, connections, the process) are read when scraped, so the request path pays
//! nothing for them.

mod endpoint;
mod recorder;
mod settings;

pub use endpoint::MetricsEndpoint;
pub use settings::MetricsSettings;
