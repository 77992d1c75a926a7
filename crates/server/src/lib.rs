//! The tasks service: settings, telemetry and the wiring of adapters into ports. The
//! binary (`main.rs`) and the end-to-end tests both start the service through here.

pub mod healthcheck;
mod in_flight;
mod key_purge;
pub mod metrics;
mod schema_gate;
pub mod settings;
pub mod startup;
pub mod telemetry;

pub use settings::Settings;
pub use startup::Application;
