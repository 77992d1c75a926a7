//! Live updates: each committed change, fanned out to its owner's open streams.
//!
//! A store announces what it committed ([`ChangeHub::publish`]); each open stream is a
//! [`Subscription`] with a bounded buffer. The rules of the streams live here: at most
//! [`StreamLimits::per_user`] open streams per user, and a stream that falls a whole
//! buffer behind is closed rather than buffered without bound (its client reconnects and
//! re-reads).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tasks_domain::{TaskChange, UserId};
use tokio::sync::mpsc;

/// What a stream tells its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    /// A committed change of one of the user's tasks.
    Changed(TaskChange),
    /// Changes may have been missed (the store's announcements were interrupted, or one was
    /// too large to send): the client should read the list again.
    Resync,
}

/// Bounds on the open streams of one service instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Open streams per user; one more is refused.
    pub per_user: usize,
    /// Events a stream may fall behind by before it is closed.
    pub buffer: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self {
            per_user: 10,
            buffer: 256,
        }
    }
}

/// The user already has [`StreamLimits::per_user`] open streams here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many open event streams for this user")]
pub struct TooManyStreams;

/// Where committed changes go to reach the streams. Clones share the same streams.
#[derive(Debug, Clone, Default)]
pub struct ChangeHub {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    limits: StreamLimits,
    streams: Mutex<HashMap<UserId, Vec<Stream>>>,
    next_id: AtomicU64,
}

#[derive(Debug)]
struct Stream {
    id: u64,
    sender: mpsc::Sender<FeedEvent>,
}

impl ChangeHub {
    pub fn new(limits: StreamLimits) -> Self {
        Self {
            shared: Arc::new(Shared {
                limits,
                ..Shared::default()
            }),
        }
    }

    pub fn limits(&self) -> StreamLimits {
        self.shared.limits
    }

    /// Opens a stream of `user`'s changes, from now on.
    pub fn subscribe(&self, user: &UserId) -> Result<Subscription, TooManyStreams> {
        let mut streams = self.shared.streams();
        let open = streams.entry(user.clone()).or_default();
        if open.len() >= self.shared.limits.per_user {
            return Err(TooManyStreams);
        }
        let (sender, receiver) = mpsc::channel(self.shared.limits.buffer.max(1));
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        open.push(Stream { id, sender });
        Ok(Subscription {
            receiver,
            hub: Arc::clone(&self.shared),
            user: user.clone(),
            id,
        })
    }

    /// Announces a committed change to its owner's streams.
    pub fn publish(&self, change: TaskChange) {
        let owner = change.task.user_id.clone();
        self.send_to(&owner, FeedEvent::Changed(change));
    }

    /// Tells `user`'s streams to read the list again.
    pub fn resync_user(&self, user: &UserId) {
        self.send_to(user, FeedEvent::Resync);
    }

    /// Tells every stream to read the list again.
    pub fn resync_all(&self) {
        let mut streams = self.shared.streams();
        for open in streams.values_mut() {
            deliver(open, &FeedEvent::Resync);
        }
        streams.retain(|_, open| !open.is_empty());
    }

    /// Ends every open stream once its reader has taken what was queued (the instance is
    /// stopping: its clients reconnect, to another instance).
    pub fn close_all(&self) {
        self.shared.streams().clear();
    }

    /// How many streams are open, over all users.
    pub fn open_streams(&self) -> usize {
        self.shared.streams().values().map(Vec::len).sum()
    }

    fn send_to(&self, user: &UserId, event: FeedEvent) {
        let mut streams = self.shared.streams();
        if let Some(open) = streams.get_mut(user) {
            deliver(open, &event);
            if open.is_empty() {
                streams.remove(user);
            }
        }
    }
}

/// Queues `event` on each stream; a stream whose buffer is full, or whose reader is gone,
/// is dropped, which ends it once its reader has taken what was queued.
fn deliver(open: &mut Vec<Stream>, event: &FeedEvent) {
    open.retain(|stream| stream.sender.try_send(event.clone()).is_ok());
}

impl Shared {
    fn streams(&self) -> MutexGuard<'_, HashMap<UserId, Vec<Stream>>> {
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One open stream of a user's changes. Dropping it closes the stream and frees its place
/// under the per-user limit.
#[derive(Debug)]
pub struct Subscription {
    receiver: mpsc::Receiver<FeedEvent>,
    hub: Arc<Shared>,
    user: UserId,
    id: u64,
}

impl Subscription {
    /// The next event; `None` once the stream was closed for falling behind.
    pub async fn next(&mut self) -> Option<FeedEvent> {
        self.receiver.recv().await
    }

    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<FeedEvent>> {
        self.receiver.poll_recv(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut streams = self.hub.streams();
        if let Some(open) = streams.get_mut(&self.user) {
            open.retain(|stream| stream.id != self.id);
            if open.is_empty() {
                streams.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use tasks_domain::{ChangeKind, Task, TaskId, Title, Version};

    use super::*;

    fn user(name: &str) -> UserId {
        UserId::parse(name).unwrap()
    }

    fn change(owner: &str, id: i64) -> TaskChange {
        let now = DateTime::UNIX_EPOCH;
        TaskChange {
            kind: ChangeKind::Created,
            task: Task {
                id: TaskId::new(id),
                user_id: user(owner),
                title: Title::parse("t").unwrap(),
                description: None,
                completed: false,
                created_at: now,
                updated_at: now,
                version: Version::FIRST,
            },
        }
    }

    #[tokio::test]
    async fn a_stream_receives_its_users_changes_in_order_and_no_one_elses() {
        let hub = ChangeHub::default();
        let mut alice = hub.subscribe(&user("alice")).unwrap();
        let mut bob = hub.subscribe(&user("bob")).unwrap();
        hub.publish(change("alice", 1));
        hub.publish(change("bob", 2));
        hub.publish(change("alice", 3));
        assert_eq!(
            alice.next().await,
            Some(FeedEvent::Changed(change("alice", 1)))
        );
        assert_eq!(
            alice.next().await,
            Some(FeedEvent::Changed(change("alice", 3)))
        );
        assert_eq!(bob.next().await, Some(FeedEvent::Changed(change("bob", 2))));
        assert!(alice.receiver.try_recv().is_err());
    }

    #[test]
    fn the_per_user_limit_counts_open_streams_only() {
        let hub = ChangeHub::new(StreamLimits {
            per_user: 2,
            buffer: 4,
        });
        let first = hub.subscribe(&user("alice")).unwrap();
        let _second = hub.subscribe(&user("alice")).unwrap();
        assert_eq!(hub.subscribe(&user("alice")).unwrap_err(), TooManyStreams);
        assert!(hub.subscribe(&user("bob")).is_ok(), "another user has room");
        drop(first);
        assert!(hub.subscribe(&user("alice")).is_ok());
    }

    #[tokio::test]
    async fn a_reader_a_whole_buffer_behind_is_closed_after_what_was_queued() {
        let hub = ChangeHub::new(StreamLimits {
            per_user: 10,
            buffer: 2,
        });
        let mut slow = hub.subscribe(&user("alice")).unwrap();
        for id in 1..=3 {
            hub.publish(change("alice", id));
        }
        assert_eq!(
            slow.next().await,
            Some(FeedEvent::Changed(change("alice", 1)))
        );
        assert_eq!(
            slow.next().await,
            Some(FeedEvent::Changed(change("alice", 2)))
        );
        assert_eq!(
            slow.next().await,
            None,
            "closed, not buffered without bound"
        );
        assert_eq!(hub.open_streams(), 0);
    }

    #[tokio::test]
    async fn resync_reaches_every_stream_or_one_users() {
        let hub = ChangeHub::default();
        let mut alice = hub.subscribe(&user("alice")).unwrap();
        let mut bob = hub.subscribe(&user("bob")).unwrap();
        hub.resync_user(&user("bob"));
        assert_eq!(bob.next().await, Some(FeedEvent::Resync));
        hub.resync_all();
        assert_eq!(alice.next().await, Some(FeedEvent::Resync));
        assert_eq!(bob.next().await, Some(FeedEvent::Resync));
        assert!(alice.receiver.try_recv().is_err());
    }

    #[tokio::test]
    async fn closing_all_ends_every_stream_after_its_queue() {
        let hub = ChangeHub::default();
        let mut alice = hub.subscribe(&user("alice")).unwrap();
        let mut bob = hub.subscribe(&user("bob")).unwrap();
        hub.publish(change("alice", 1));
        hub.close_all();
        assert_eq!(
            alice.next().await,
            Some(FeedEvent::Changed(change("alice", 1)))
        );
        assert_eq!(alice.next().await, None);
        assert_eq!(bob.next().await, None);
        assert_eq!(hub.open_streams(), 0);
    }

    #[test]
    fn dropping_a_subscription_closes_it() {
        let hub = ChangeHub::default();
        let stream = hub.subscribe(&user("alice")).unwrap();
        assert_eq!(hub.open_streams(), 1);
        drop(stream);
        assert_eq!(hub.open_streams(), 0);
        hub.publish(change("alice", 1));
    }
}
