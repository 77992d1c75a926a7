//! One open event stream: its subscription's events, keep-alives while idle, and an end.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::web::Bytes;
use futures_util::Stream;
use tasks_ports::Subscription;
use tokio::time::{Instant, Interval, MissedTickBehavior, Sleep};

use super::wire;

/// tokio's intervals need a period; a configured zero would mean "as often as possible".
const SHORTEST_HEARTBEAT: Duration = Duration::from_millis(1);

/// The body of an event stream response. It ends when the token expires or when the
/// subscription is closed (its reader fell a whole buffer behind, or the instance is
/// stopping); dropping it (the client went away) drops the subscription, which frees its
/// place under the per-user limit.
pub struct EventFeed {
    subscription: Subscription,
    heartbeat: Interval,
    expiry: Pin<Box<Sleep>>,
    opened: bool,
    next_id: u64,
    ended: bool,
}

impl EventFeed {
    /// A feed of `subscription` with a comment every `heartbeat` while idle, that ends at
    /// `expires_at` (seconds since the Unix epoch: the token's `exp`).
    pub fn new(subscription: Subscription, heartbeat: Duration, expires_at: i64) -> Self {
        let period = heartbeat.max(SHORTEST_HEARTBEAT);
        let mut heartbeat = tokio::time::interval_at(Instant::now() + period, period);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            subscription,
            heartbeat,
            expiry: Box::pin(tokio::time::sleep(until(expires_at))),
            opened: false,
            next_id: 1,
            ended: false,
        }
    }
}

/// How long until `expires_at`, on the wall clock; zero when it is past.
fn until(expires_at: i64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let expires_at = Duration::from_secs(u64::try_from(expires_at).unwrap_or(0));
    expires_at.saturating_sub(now)
}

impl Stream for EventFeed {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        if !this.opened {
            this.opened = true;
            return Poll::Ready(Some(Ok(Bytes::from_static(wire::OPENED))));
        }
        // The expiry comes first: a busy stream still ends on time.
        if this.expiry.as_mut().poll(cx).is_ready() {
            this.ended = true;
            return Poll::Ready(None);
        }
        match this.subscription.poll_next(cx) {
            Poll::Ready(Some(event)) => {
                let id = this.next_id;
                this.next_id += 1;
                return Poll::Ready(Some(Ok(wire::event(id, event))));
            }
            Poll::Ready(None) => {
                this.ended = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        if this.heartbeat.poll_tick(cx).is_ready() {
            return Poll::Ready(Some(Ok(Bytes::from_static(wire::KEEP_ALIVE))));
        }
        Poll::Pending
    }
}
