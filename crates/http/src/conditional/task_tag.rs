//! A task's entity tag, `"<id>.<version>"`: it changes exactly when the task does. Clients
//! treat it as opaque; only this module writes or reads its inside.

use actix_web::http::header::HeaderValue;
use tasks_domain::{Task, TaskId, Version};

use super::EntityTag;

/// The strong entity tag of one version of one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskTag {
    id: TaskId,
    version: Version,
}

impl TaskTag {
    pub fn new(id: TaskId, version: Version) -> Self {
        Self { id, version }
    }

    pub fn of(task: &Task) -> Self {
        Self::new(task.id, task.version)
    }

    /// What goes between the quotes.
    pub fn opaque(&self) -> String {
        format!("{}.{}", self.id, self.version)
    }

    /// The `ETag` field value.
    pub fn header_value(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("\"{}\"", self.opaque()))
            .expect("digits, a dot and quotes make a valid header value")
    }

    /// The version that `tag` names of task `id`: only a strong tag spelled exactly as
    /// [`TaskTag::opaque`] spells one of this task's versions. Any other tag (weak, another
    /// task's, another shape) names none.
    pub fn version_named(id: TaskId, tag: &EntityTag) -> Option<Version> {
        if tag.is_weak() {
            return None;
        }
        let opaque = std::str::from_utf8(tag.opaque()).ok()?;
        let (_, version) = opaque.split_once('.')?;
        let version = Version::new(version.parse().ok()?);
        // Strong comparison is of the characters: `"7.03"` is not `"7.3"`.
        (Self::new(id, version).opaque() == opaque).then_some(version)
    }
}

#[cfg(test)]
mod tests {
    use super::super::TagList;
    use super::*;

    fn listed(value: &str) -> EntityTag {
        match TagList::parse([value.as_bytes()]) {
            Ok(Some(TagList::Tags(mut tags))) => tags.remove(0),
            other => panic!("{value}: {other:?}"),
        }
    }

    #[test]
    fn renders_id_dot_version_in_quotes() {
        let tag = TaskTag::new(TaskId::new(17), Version::new(3));
        assert_eq!(tag.opaque(), "17.3");
        assert_eq!(tag.header_value(), "\"17.3\"");
    }

    #[test]
    fn reads_back_what_it_renders() {
        let id = TaskId::new(17);
        for version in [1, 2, 99, i64::MAX] {
            let rendered = TaskTag::new(id, Version::new(version)).header_value();
            let tag = listed(rendered.to_str().unwrap());
            assert_eq!(
                TaskTag::version_named(id, &tag),
                Some(Version::new(version))
            );
        }
    }

    #[test]
    fn names_nothing_of_another_task_or_when_weak() {
        let id = TaskId::new(17);
        assert_eq!(
            TaskTag::version_named(TaskId::new(18), &listed("\"17.3\"")),
            None
        );
        assert_eq!(TaskTag::version_named(id, &listed("W/\"17.3\"")), None);
    }

    #[test]
    fn other_shapes_name_nothing() {
        let id = TaskId::new(17);
        for value in [
            "\"\"",
            "\"17\"",
            "\"17.\"",
            "\".3\"",
            "\"17.3.1\"",
            "\"17.03\"",
            "\"017.3\"",
            "\"+17.3\"",
            "\"17.+3\"",
            "\"17.x\"",
            "\"17.99999999999999999999\"",
            "\"abc\"",
        ] {
            assert_eq!(TaskTag::version_named(id, &listed(value)), None, "{value}");
        }
    }
}
