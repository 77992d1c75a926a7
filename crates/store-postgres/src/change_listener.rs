//! Live updates from PostgreSQL: one session that `LISTEN`s on the channel the `tasks`
//! trigger notifies, turning each notification into a [`TaskChange`] for the hub.
//!
//! The trigger sends `NOTIFY` in the writing transaction, so only committed changes arrive,
//! in commit order, from every replica. The session is on the direct URL: a transaction
//! pooler would drop `LISTEN`. While the session is lost, changes go unannounced; after it
//! is back, every open stream is told to re-read ([`ChangeHub::resync_all`]).

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tasks_domain::{ChangeKind, Task, TaskChange, UserId};
use tasks_ports::ChangeHub;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::AsyncMessage;

use crate::connection::{ConnectionRecipe, SessionRole};
use crate::metrics;
use crate::models::TaskRow;
use crate::{PostgresSettings, SetupError};

/// The channel the migration's trigger notifies.
const CHANNEL: &str = "tasks_changed";
/// First wait before connecting again; it doubles up to `MAX_RETRY_DELAY`.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
/// How often the session is asked whether it still answers: a half-open connection would
/// otherwise leave the listener deaf without noticing.
const LIVENESS_INTERVAL: Duration = Duration::from_secs(10);
/// Notifications received but not yet announced. A burst past it (a bulk change of many
/// rows) is not kept: its changes are dropped and every stream is told to re-read instead.
const BACKLOG: usize = 4096;

/// Listens for committed task changes and publishes them to a [`ChangeHub`].
pub struct ChangeListener {
    recipe: ConnectionRecipe,
    /// Longest wait for the session to answer (the statement timeout).
    answer_within: Duration,
}

/// How a session ended.
#[derive(Debug, thiserror::Error)]
enum SessionLost {
    #[error("cannot connect: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("{0}")]
    Database(#[from] tokio_postgres::Error),
    #[error("the connection closed")]
    Closed,
    #[error("no answer within {0:?}")]
    Silent(Duration),
}

impl ChangeListener {
    /// A listener on `direct_url` with the bounds of `settings`; opens nothing yet.
    pub fn new(settings: &PostgresSettings, direct_url: &SecretString) -> Result<Self, SetupError> {
        Ok(Self {
            recipe: ConnectionRecipe::parse(
                direct_url.expose_secret(),
                SessionRole::Listener,
                settings.connect_timeout,
                None,
                false,
            )?,
            answer_within: settings.statement_timeout,
        })
    }

    /// Listens from now on, in a task of its own, for as long as the runtime runs. Returns
    /// once the first attempt to listen has succeeded or failed (it keeps retrying), so
    /// that streams opened afterwards miss nothing the listener could hear.
    pub async fn start(self, hub: ChangeHub) {
        let (first_attempt, attempted) = oneshot::channel();
        tokio::spawn(self.listen_forever(hub, first_attempt));
        // An error only means the task ended, which it never does by itself.
        let _ = attempted.await;
    }

    async fn listen_forever(self, hub: ChangeHub, first_attempt: oneshot::Sender<()>) {
        let mut first_attempt = Some(first_attempt);
        let mut missed_changes = false;
        let mut delay = FIRST_RETRY_DELAY;
        loop {
            let ended = self
                .listen(&hub, missed_changes, &mut first_attempt, &mut delay)
                .await;
            if let Some(attempted) = first_attempt.take() {
                let _ = attempted.send(());
            }
            missed_changes = true;
            tracing::warn!(error = %ended, retry_in = ?delay, "not listening for task changes");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_RETRY_DELAY);
        }
    }

    /// One session, from connecting until it is lost.
    async fn listen(
        &self,
        hub: &ChangeHub,
        missed_changes: bool,
        first_attempt: &mut Option<oneshot::Sender<()>>,
        delay: &mut Duration,
    ) -> SessionLost {
        let (client, mut connection) = match self.recipe.open_session().await {
            Ok(session) => session,
            Err(error) => return error.into(),
        };
        let (notifications, mut received) = mpsc::channel(BACKLOG);
        let dropped = Arc::new(AtomicBool::new(false));
        let dropping = Arc::clone(&dropped);
        let driver = tokio::spawn(async move {
            while let Some(message) = poll_fn(|context| connection.poll_message(context)).await {
                match message {
                    Ok(AsyncMessage::Notification(notification)) => {
                        match notifications.try_send(notification) {
                            Ok(()) => {}
                            Err(mpsc::error::TrySendError::Full(_)) => {
                                dropping.store(true, Ordering::Release);
                            }
                            Err(mpsc::error::TrySendError::Closed(_)) => return,
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
        let _stop_driver = AbortOnDrop(driver);
        if let Err(lost) = self
            .answered(client.batch_execute(&format!("LISTEN {CHANNEL}")))
            .await
        {
            return lost;
        }
        tracing::info!(channel = CHANNEL, "listening for task changes");
        *delay = FIRST_RETRY_DELAY;
        if let Some(attempted) = first_attempt.take() {
            let _ = attempted.send(());
        }
        if missed_changes {
            metrics::count_listener_reconnect();
            hub.resync_all();
        }
        let mut liveness = tokio::time::interval(LIVENESS_INTERVAL);
        liveness.tick().await;
        loop {
            tokio::select! {
                notification = received.recv() => match notification {
                    Some(notification) => {
                        if dropped.swap(false, Ordering::AcqRel) {
                            hub.resync_all();
                        }
                        announce(hub, notification.payload());
                    }
                    None => return SessionLost::Closed,
                },
                _ = liveness.tick() => {
                    if let Err(lost) = self.answered(client.simple_query("SELECT 1")).await {
                        return lost;
                    }
                }
            }
        }
    }

    async fn answered<T>(
        &self,
        query: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, SessionLost> {
        match tokio::time::timeout(self.answer_within, query).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(error)) => Err(error.into()),
            Err(_) => Err(SessionLost::Silent(self.answer_within)),
        }
    }
}

/// Ends the connection's driver with the session.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the trigger sends: the operation and the row, or for a row too large to send, its
/// owner and id.
#[derive(Deserialize)]
struct Payload {
    op: String,
    task: Option<TaskRow>,
    user_id: Option<String>,
}

/// Publishes one notification; one that cannot be read in full makes its owner's streams
/// re-read.
fn announce(hub: &ChangeHub, payload: &str) {
    match parse(payload) {
        Ok(change) => hub.publish(change),
        Err(owner) => {
            tracing::warn!("a task change could not be announced in full");
            if let Some(owner) = owner {
                hub.resync_user(&owner);
            }
        }
    }
}

/// The change, or the owner (when known) of one that the payload does not carry in full.
fn parse(payload: &str) -> Result<TaskChange, Option<UserId>> {
    let payload: Payload = serde_json::from_str(payload).map_err(|_| None)?;
    let owner = payload
        .user_id
        .clone()
        .and_then(|owner| UserId::parse(owner).ok());
    let kind = match payload.op.as_str() {
        "INSERT" => ChangeKind::Created,
        "UPDATE" => ChangeKind::Updated,
        "DELETE" => ChangeKind::Deleted,
        _ => return Err(owner),
    };
    let task = payload
        .task
        .and_then(|row| Task::try_from(row).ok())
        .ok_or(owner)?;
    Ok(TaskChange { kind, task })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_becomes_a_change_of_its_kind() {
        let payload = r#"{"op":"UPDATE","task":{"id":7,"user_id":"alice","title":"t",
            "description":null,"completed":true,"created_at":"2026-12-07T12:00:00.5+00:00",
            "updated_at":"2026-12-07T13:00:00.123456+01:00","version":3}}"#;
        let change = parse(payload).unwrap();
        assert_eq!(change.kind, ChangeKind::Updated);
        assert_eq!(change.task.id.get(), 7);
        assert_eq!(change.task.version.get(), 3);
        assert_eq!(
            change.task.updated_at.to_rfc3339(),
            "2026-12-07T12:00:00.123456+00:00"
        );
    }

    #[test]
    fn a_short_form_names_the_owner_to_resync() {
        let payload = r#"{"op":"INSERT","user_id":"alice","id":7}"#;
        assert_eq!(
            parse(payload).unwrap_err(),
            Some(UserId::parse("alice").unwrap())
        );
        assert_eq!(parse("not json").unwrap_err(), None);
    }
}
