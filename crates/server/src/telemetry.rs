use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::settings::AppEnvironment;

/// JSON lines in production, readable text locally; `RUST_LOG` filters (default `info`).
pub fn init(environment: AppEnvironment) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE)
        .with_ansi(std::io::stdout().is_terminal());
    // A second init (tests build several apps in one process) keeps the first subscriber.
    let _ = match environment {
        AppEnvironment::Production => builder.json().flatten_event(true).try_init(),
        AppEnvironment::Local => builder.try_init(),
    };
}
