use crate::Task;

/// What a committed write did to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

/// One committed change of one task: the task after it, or as it was for a delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskChange {
    pub kind: ChangeKind,
    pub task: Task,
}
