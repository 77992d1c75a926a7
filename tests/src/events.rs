//! A client for the live-update stream, `GET /api/{user}/tasks/events`, that reads it one
//! server-sent event at a time.

use std::time::Duration;

use reqwest::Response;
use serde_json::Value;

/// How long a test waits for the next event before it fails: generous, not a speed bound.
pub const EVENT_WAIT: Duration = Duration::from_secs(10);

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field (`message` when absent, as browsers read it).
    pub name: String,
    pub data: String,
    pub id: Option<String>,
}

impl Event {
    /// The `data:` field as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|error| panic!("event data is not JSON ({error}): {}", self.data))
    }
}

/// What a stream sends: events, and comment lines (keep-alives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Event(Event),
    Comment(String),
}

/// An open event stream.
pub struct EventStream {
    response: Response,
    pending: String,
    parsed: std::collections::VecDeque<Item>,
}

impl EventStream {
    /// Wraps a `200 text/event-stream` response.
    #[track_caller]
    pub fn new(response: Response) -> Self {
        assert_eq!(response.status(), 200, "the stream opens");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("text/event-stream"),
            "Content-Type: {content_type}"
        );
        Self {
            response,
            pending: String::new(),
            parsed: std::collections::VecDeque::new(),
        }
    }

    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The next event or comment; `None` once the server has ended the stream. Panics when
    /// nothing arrives within `within`.
    pub async fn next_item_within(&mut self, within: Duration) -> Option<Item> {
        loop {
            if let Some(item) = self.parsed.pop_front() {
                return Some(item);
            }
            let chunk = tokio::time::timeout(within, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("nothing on the stream within {within:?}"))
                .expect("the stream reads");
            let chunk = chunk?;
            self.pending
                .push_str(std::str::from_utf8(&chunk).expect("the stream is UTF-8"));
            self.parse_complete_blocks();
        }
    }

    /// The next event, skipping comments; `None` once the stream has ended.
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            match self.next_item_within(EVENT_WAIT).await? {
                Item::Event(event) => return Some(event),
                Item::Comment(_) => {}
            }
        }
    }

    /// The next event, which must exist (the stream has not ended).
    pub async fn expect_event(&mut self) -> Event {
        self.next_event()
            .await
            .expect("an event, but the stream ended")
    }

    /// Moves each complete block (ending in a blank line) from `pending` to `parsed`.
    fn parse_complete_blocks(&mut self) {
        let normalized = self.pending.replace("\r\n", "\n");
        let mut rest = normalized.as_str();
        while let Some(end) = rest.find("\n\n") {
            let block = &rest[..end];
            rest = &rest[end + 2..];
            self.parsed.extend(parse_block(block));
        }
        self.pending = rest.to_owned();
    }
}

/// One block: comment lines become comments; field lines make at most one event.
fn parse_block(block: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let (mut name, mut data, mut id) = (None, Vec::new(), None);
    for line in block.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            items.push(Item::Comment(comment.trim().to_owned()));
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => name = Some(value.to_owned()),
            "data" => data.push(value.to_owned()),
            "id" => id = Some(value.to_owned()),
            _ => {}
        }
    }
    if name.is_some() || !data.is_empty() {
        items.push(Item::Event(Event {
            name: name.unwrap_or_else(|| "message".to_owned()),
            data: data.join("\n"),
            id,
        }));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_give_events_and_comments() {
        let items = parse_block(": keep-alive\nevent: task.created\nid: 7.1\ndata: {\"id\":7}");
        assert_eq!(
            items,
            [
                Item::Comment("keep-alive".to_owned()),
                Item::Event(Event {
                    name: "task.created".to_owned(),
                    data: "{\"id\":7}".to_owned(),
                    id: Some("7.1".to_owned()),
                })
            ]
        );
        assert_eq!(
            parse_block(": only a comment"),
            [Item::Comment("only a comment".to_owned())]
        );
        assert_eq!(parse_block("retry: 1000"), []);
    }
}
