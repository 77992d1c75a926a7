/// A task's id as the database assigns it. Any `i64` may be asked for; ids that were
/// never assigned (zero, negative) simply find no task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(i64);

impl TaskId {
    pub const fn new(value: i64) -> Self {
        Self(value)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// Whether the database could ever have assigned this id.
    pub const fn can_exist(self) -> bool {
        self.0 > 0
    }
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
