//! Live updates: a user's committed changes as a `text/event-stream`.

mod feed;
mod wire;

use std::time::Duration;

pub use feed::EventFeed;
#[cfg(test)]
pub use wire::EVENT_NAMES;

/// How often an idle event stream sends a comment line, so that proxies do not close it;
/// set once for the app (`App::app_data(EventHeartbeat(..))`), [`EventHeartbeat::DEFAULT`]
/// when not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeartbeat(pub Duration);

impl EventHeartbeat {
    pub const DEFAULT: Self = Self(Duration::from_secs(15));
}
