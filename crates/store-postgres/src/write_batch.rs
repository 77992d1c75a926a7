//! Write coalescing: writes that arrive while a batch is being committed wait, and go
//! together as the next batch as soon as that commit returns. A batch is one transaction
//! whose statements are pipelined, so it costs one commit, one WAL flush and, with change
//! notifications, one turn at PostgreSQL's notification lock, whatever its size. A write that
//! arrives when nothing is in flight goes at once, alone: no timer, no wait.

use std::collections::HashSet;
use std::sync::OnceLock;

use tasks_domain::{TaskId, UserId};
use tasks_ports::TaskError;
use tokio::sync::{mpsc, oneshot};

use crate::models::TaskRow;
use crate::writes::Write;

/// The most writes in one transaction, so that no batch holds row locks for long.
pub(crate) const MAX_BATCH: usize = 64;

/// What a write's caller gets back: as [`Write::run`] returns it, once committed.
pub(crate) type Written = Result<Option<TaskRow>, TaskError>;

/// A write waiting for its batch, and where its outcome goes.
pub(crate) struct Job {
    pub(crate) write: Write,
    pub(crate) reply: oneshot::Sender<Written>,
}

impl Job {
    pub(crate) fn answer(self, outcome: Written) {
        // The caller may have gone (its request was cancelled); the write stands anyway.
        let _ = self.reply.send(outcome);
    }
}

/// The queue in front of one repository's batches, shared by its clones. The task that
/// runs the batches starts with the first write, on that write's runtime (the one the
/// pool's connections are driven from), and ends when the last clone is dropped.
#[derive(Default)]
pub(crate) struct WriteQueue {
    sender: OnceLock<mpsc::UnboundedSender<Job>>,
}

impl WriteQueue {
    /// Queues `write` and waits for its outcome. `start` runs once, with the first write:
    /// it is given the queue's receiving end and spawns what drains it (see [`drain`]).
    pub(crate) async fn submit(
        &self,
        write: Write,
        start: impl FnOnce(mpsc::UnboundedReceiver<Job>),
    ) -> Written {
        let sender = self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            start(receiver);
            sender
        });
        let (reply, outcome) = oneshot::channel();
        if sender.send(Job { write, reply }).is_err() {
            return Err(TaskError::unexpected("the write batches stopped"));
        }
        outcome
            .await
            .unwrap_or_else(|_| Err(TaskError::unexpected("the write batches stopped")))
    }
}

/// Runs the queue's writes as batches, one at a time, until every sender is gone: each batch
/// is everything that waited while the previous one ran (see [`next_batch`]).
pub(crate) async fn drain<F>(mut jobs: mpsc::UnboundedReceiver<Job>, mut run_batch: F)
where
    F: AsyncFnMut(Vec<Job>),
{
    let mut waiting = Vec::new();
    loop {
        if waiting.is_empty() {
            match jobs.recv().await {
                Some(job) => waiting.push(job),
                None => return,
            }
        }
        while let Ok(job) = jobs.try_recv() {
            waiting.push(job);
        }
        let batch = next_batch(&mut waiting);
        run_batch(batch).await;
    }
}

/// Takes the next batch out of `waiting`, in arrival order: at most [`MAX_BATCH`] writes and
/// at most one per task, so that writes of one task commit in the order they came. What is
/// left keeps its order for the next batch.
pub(crate) fn next_batch(waiting: &mut Vec<Job>) -> Vec<Job> {
    let mut batch = Vec::new();
    let mut left = Vec::new();
    let mut targets: HashSet<(UserId, TaskId)> = HashSet::new();
    for job in waiting.drain(..) {
        let fits = batch.len() < MAX_BATCH
            && job
                .write
                .target()
                .is_none_or(|(owner, id)| targets.insert((owner.clone(), id)));
        if fits {
            batch.push(job);
        } else {
            left.push(job);
        }
    }
    *waiting = left;
    batch
}

#[cfg(test)]
mod tests {
    use tasks_domain::{NewTask, Precondition, Title};

    use super::*;

    fn owner(name: &str) -> UserId {
        UserId::parse(name).unwrap()
    }

    fn toggle(name: &str, id: i64) -> Job {
        job(Write::Toggle {
            owner: owner(name),
            id: TaskId::new(id),
            precondition: Precondition::Always,
        })
    }

    fn create(name: &str) -> Job {
        job(Write::Create {
            owner: owner(name),
            task: NewTask {
                title: Title::parse("t").unwrap(),
                description: None,
                completed: false,
            },
        })
    }

    fn job(write: Write) -> Job {
        Job {
            write,
            reply: oneshot::channel().0,
        }
    }

    fn described(jobs: &[Job]) -> Vec<String> {
        jobs.iter()
            .map(|job| match job.write.target() {
                Some((owner, id)) => format!("{}/{}", owner.as_str(), id.get()),
                None => "create".to_owned(),
            })
            .collect()
    }

    #[test]
    fn writes_of_one_task_go_in_separate_batches_in_arrival_order() {
        let mut waiting = vec![
            toggle("alice", 1),
            create("alice"),
            toggle("alice", 1),
            toggle("bob", 1),
            toggle("alice", 2),
            create("alice"),
            toggle("alice", 1),
        ];
        let first = next_batch(&mut waiting);
        assert_eq!(
            described(&first),
            ["alice/1", "create", "bob/1", "alice/2", "create"]
        );
        let second = next_batch(&mut waiting);
        assert_eq!(described(&second), ["alice/1"]);
        let third = next_batch(&mut waiting);
        assert_eq!(described(&third), ["alice/1"]);
        assert!(waiting.is_empty());
    }

    #[test]
    fn a_batch_holds_at_most_max_batch_writes() {
        let mut waiting: Vec<Job> = (0..MAX_BATCH + 3).map(|_| create("alice")).collect();
        assert_eq!(next_batch(&mut waiting).len(), MAX_BATCH);
        assert_eq!(next_batch(&mut waiting).len(), 3);
        assert!(waiting.is_empty());
    }
}
