//! The `text/event-stream` text of each thing a stream sends.

use actix_web::web::Bytes;
use tasks_domain::{ChangeKind, TaskChange};
use tasks_ports::FeedEvent;

use crate::dto::TaskResponse;

/// Sent as soon as the stream is open, so a client knows it is before any change.
pub const OPENED: &[u8] = b": stream open\n\n";
/// Sent when the stream has been idle for the heartbeat period.
pub const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

const TASK_CREATED: &str = "task.created";
const TASK_UPDATED: &str = "task.updated";
const TASK_DELETED: &str = "task.deleted";
/// Changes may have been missed: the client reads the list again.
const RESYNC: &str = "resync";

/// Every event name a stream uses, for the test that holds the OpenAPI description to them.
#[cfg(test)]
pub const EVENT_NAMES: [&str; 4] = [TASK_CREATED, TASK_UPDATED, TASK_DELETED, RESYNC];

/// One event, with `id` as its event id. A change's data is the task as the API returns
/// it (for a delete, as it was); a resync's is `{}`.
pub fn event(id: u64, event: FeedEvent) -> Bytes {
    let (name, data) = match event {
        FeedEvent::Changed(TaskChange { kind, task }) => {
            let name = match kind {
                ChangeKind::Created => TASK_CREATED,
                ChangeKind::Updated => TASK_UPDATED,
                ChangeKind::Deleted => TASK_DELETED,
            };
            // Compact JSON escapes every line break, so the data is one `data:` line.
            let data = serde_json::to_string(&TaskResponse::from(task))
                .expect("a task response is plain data and always serializes");
            (name, data)
        }
        FeedEvent::Resync => (RESYNC, "{}".to_owned()),
    };
    Bytes::from(format!("event: {name}\nid: {id}\ndata: {data}\n\n"))
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use tasks_domain::{Task, TaskId, Title, UserId, Version};

    use super::*;

    fn change(kind: ChangeKind, title: &str) -> FeedEvent {
        FeedEvent::Changed(TaskChange {
            kind,
            task: Task {
                id: TaskId::new(7),
                user_id: UserId::parse("alice").unwrap(),
                title: Title::parse(title).unwrap(),
                description: None,
                completed: false,
                created_at: DateTime::UNIX_EPOCH,
                updated_at: DateTime::UNIX_EPOCH,
                version: Version::new(2),
            },
        })
    }

    #[test]
    fn a_change_names_its_kind_and_carries_the_task_json() {
        let text = event(3, change(ChangeKind::Updated, "Buy milk"));
        let expected = "event: task.updated\nid: 3\ndata: {\"id\":7,\"user_id\":\"alice\",\
            \"title\":\"Buy milk\",\"description\":null,\"completed\":false,\
            \"created_at\":\"1970-01-01T00:00:00.000000Z\",\
            \"updated_at\":\"1970-01-01T00:00:00.000000Z\"}\n\n";
        assert_eq!(text, expected);
        assert!(event(1, change(ChangeKind::Created, "a")).starts_with(b"event: task.created\n"));
        assert!(event(1, change(ChangeKind::Deleted, "a")).starts_with(b"event: task.deleted\n"));
    }

    #[test]
    fn line_breaks_in_a_task_stay_inside_one_data_line() {
        let text = event(1, change(ChangeKind::Created, "two\nlines\r\nhere"));
        let text = std::str::from_utf8(&text).unwrap();
        assert_eq!(text.matches('\n').count(), 4, "{text}");
    }

    #[test]
    fn a_resync_has_empty_data() {
        assert_eq!(
            event(9, FeedEvent::Resync),
            "event: resync\nid: 9\ndata: {}\n\n"
        );
    }

    #[test]
    fn comments_are_single_blocks() {
        for comment in [OPENED, KEEP_ALIVE] {
            assert!(comment.starts_with(b": ") && comment.ends_with(b"\n\n"));
            assert_eq!(comment.iter().filter(|&&byte| byte == b'\n').count(), 2);
        }
    }
}
