//! Request metrics through the `metrics` facade, so this crate never names the exporter:
//! requests by method, route template and status, and their latency by route template.
//!
//! Every label comes from a fixed set, whatever clients send: the method from a closed list,
//! the route from the route table (`unmatched` for any other path), the status from the
//! answers this service gives.

mod labels;
mod middleware;
mod names;

pub(crate) use labels::RouteLabel;
pub use middleware::RequestMetrics;
pub use names::describe;
