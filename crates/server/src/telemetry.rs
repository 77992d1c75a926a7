use std::io::{BufWriter, IsTerminal};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::settings::AppEnvironment;

const LOG_BUFFER_BYTES: usize = 64 * 1024;

/// JSON lines in production, readable text locally; `RUST_LOG` filters (default `info`).
///
/// Lines are written to stdout by a background thread, so a request never waits on the
/// terminal or the log collector; keep the guard until exit, it flushes what is left.
pub fn init(environment: AppEnvironment) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Not lossy: under a burst, requests wait for the log rather than lines going missing.
    // Buffered: the writer thread flushes once per batch of queued lines, so under load
    // many lines share one write(2).
    let (writer, guard) =
        NonBlockingBuilder::default()
            .lossy(false)
            .finish(BufWriter::with_capacity(
                LOG_BUFFER_BYTES,
                std::io::stdout(),
            ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stdout().is_terminal());
    match environment {
        // The request's span once ("span"), not again in a list of one ("spans").
        AppEnvironment::Production => builder
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .init(),
        AppEnvironment::Local => builder.init(),
    }
    guard
}
