use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use ::metrics::Histogram;
use deadpool::Runtime;
use deadpool::managed::Object;
use diesel::dsl::Filter;
use diesel::prelude::*;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use futures_util::future::join_all;
use secrecy::ExposeSecret;
use tasks_domain::{
    IdempotentRequest, ListQuery, NewTask, Precondition, Task, TaskId, TaskPage, TaskPatch, UserId,
    Version,
};
use tasks_ports::{Created, TaskError, TaskRepository};

use crate::connection::{ConnectionRecipe, SessionRole};
use crate::errors::{self, StatementTimedOut};
use crate::idempotency::{self, KeyOutcome};
use crate::metrics::{ConnectionGauges, ErrorKind, pool_wait_histogram, write_batch_histogram};
use crate::models::TaskRow;
use crate::ownership::{OwnedBy, owned_by};
use crate::schema::tasks;
use crate::shared_session::SharedSession;
use crate::write_batch::{self, Job, WriteQueue, Written};
use crate::writes::Write;
use crate::{PostgresSettings, SetupError, listing};

/// Tasks in PostgreSQL, one SQL statement per use case.
///
/// Writes run on pooled connections; unless `coalesce_writes` is off, those that arrive
/// while a batch commits go together as the next batch (see [`crate::write_batch`]). Reads, unless `pipeline_reads` is off, `max_connections`
/// is 1 or connections go through a transaction pooler, share one session instead (see
/// [`SharedSession`]), which counts towards `max_connections`. Through a transaction pooler,
/// each statement runs in a transaction of its own (see [`in_transaction`]).
///
/// Clones share their connections. A connection's I/O is driven by a task on the runtime
/// that opened it, so a server with one runtime per thread (actix's workers) serves each
/// query on one thread only when every thread has connections of its own: see
/// [`Self::with_own_connections`].
#[derive(Clone)]
pub struct PostgresTaskRepository {
    pool: Pool<AsyncPgConnection>,
    reads: Option<Arc<SharedSession>>,
    /// What begins each statement's transaction, through a transaction pooler.
    statement_transaction: Option<Arc<str>>,
    recipe: Arc<ConnectionRecipe>,
    settings: PostgresSettings,
    gauges: ConnectionGauges,
    pool_wait: Histogram,
    writes: Arc<WriteQueue>,
    batch_sizes: Histogram,
}

impl PostgresTaskRepository {
    /// Builds the pool without opening a connection: the database need not be up yet, and
    /// calls made while it is down fail with [`TaskError::Unavailable`]. Fails only on
    /// settings that can never work, such as an unparsable URL.
    pub fn connect(settings: &PostgresSettings) -> Result<Self, SetupError> {
        let recipe = Arc::new(ConnectionRecipe::parse(
            settings.url.expose_secret(),
            SessionRole::Requests,
            settings.connect_timeout,
            Some(settings.statement_timeout),
            settings.transaction_pooler,
        )?);
        let gauges = ConnectionGauges::new(settings.max_connections);
        Ok(Self::from_recipe(recipe, settings.clone(), gauges))
    }

    /// The state of this repository's connections, and of those made from it by
    /// [`Self::with_own_connections`], for a metrics scrape.
    pub fn connection_gauges(&self) -> ConnectionGauges {
        self.gauges.clone()
    }

    /// The same database and settings through connections of its own, at most
    /// `max_connections`, none open until first used.
    pub fn with_own_connections(&self, max_connections: usize) -> Self {
        Self::from_recipe(
            Arc::clone(&self.recipe),
            PostgresSettings {
                max_connections,
                ..self.settings.clone()
            },
            self.gauges.clone(),
        )
    }

    /// The same database through one connection of its own, named as a chore's in
    /// `pg_stat_activity` and left out of the request pool's gauges. It opens when first
    /// used and closes when the last clone is dropped, so a chore that runs now and then
    /// holds no session in between.
    pub fn for_chores(&self) -> Self {
        Self::from_recipe(
            Arc::new(self.recipe.in_role(SessionRole::Chores)),
            PostgresSettings {
                max_connections: 1,
                ..self.settings.clone()
            },
            ConnectionGauges::new(1),
        )
    }

    fn from_recipe(
        recipe: Arc<ConnectionRecipe>,
        settings: PostgresSettings,
        gauges: ConnectionGauges,
    ) -> Self {
        // A shared session pipelines statements, which a transaction each would serialize.
        let share_reads = settings.pipeline_reads
            && settings.max_connections >= 2
            && !recipe.through_transaction_pooler();
        let (reads, pooled) = if share_reads {
            let shared = SharedSession::new(Arc::clone(&recipe));
            (Some(Arc::new(shared)), settings.max_connections - 1)
        } else {
            (None, settings.max_connections)
        };
        let mut manager_config = ManagerConfig::default();
        // No `SELECT 1` round trip before every checkout: a connection that broke while idle
        // fails its next statement, which answers 503 and throws the connection away.
        manager_config.recycling_method = RecyclingMethod::Fast;
        let connections = Arc::clone(&recipe);
        // The recipe holds the URL, parsed once, so the manager's copy goes unused.
        manager_config.custom_setup = Box::new(move |_url| {
            let recipe = Arc::clone(&connections);
            Box::pin(async move { recipe.establish().await })
        });
        let manager = AsyncDieselConnectionManager::new_with_config(
            settings.url.expose_secret(),
            manager_config,
        );
        let pool = Pool::builder(manager)
            .max_size(pooled)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(settings.pool_wait_timeout))
            .create_timeout(Some(settings.connect_timeout))
            .recycle_timeout(Some(settings.statement_timeout))
            .build()
            .expect("the builder has a runtime, which is all that build() checks");
        gauges.enrol(&pool, reads.as_ref());
        Self {
            pool,
            reads,
            statement_transaction: recipe.statement_transaction().map(Arc::from),
            recipe,
            settings,
            gauges,
            pool_wait: pool_wait_histogram(),
            writes: Arc::default(),
            batch_sizes: write_batch_histogram(),
        }
    }

    /// Runs `write`: alone, or with the writes that wait beside it as one transaction.
    async fn write(&self, write: Write) -> Written {
        if !self.settings.coalesce_writes {
            return self
                .run_pooled(async |connection| write.run(connection).await)
                .await;
        }
        self.writes
            .submit(write, |jobs| {
                // The task's copy has a queue of its own, never used: holding this one's
                // sender, the task would keep its own queue open forever.
                let runner = Self {
                    writes: Arc::default(),
                    ..self.clone()
                };
                tokio::spawn(write_batch::drain(jobs, async move |batch| {
                    runner.run_batch(batch).await;
                }));
            })
            .await
    }

    /// Runs `batch` and answers each of its writes. Two or more go as one transaction with
    /// their statements pipelined, answered only once it commits. If the server refused a
    /// statement (or the commit), nothing of the batch committed, and each write runs again
    /// on its own, so that only the one at fault fails; if the batch failed otherwise (the
    /// connection was lost, the deadline passed), it may or may not have committed, and
    /// every write in it is answered as unavailable.
    async fn run_batch(&self, mut batch: Vec<Job>) {
        self.batch_sizes.record(batch.len() as f64);
        if batch.len() == 1 {
            let job = batch.pop().expect("one job");
            let outcome = self.run_pooled(async |connection| job.write.run(connection).await);
            let outcome = outcome.await;
            return job.answer(outcome);
        }
        // Every batch locks the rows it changes in id order, so two batches in flight at
        // once (one per worker) wait for each other but never deadlock. A batch holds at
        // most one write per task, so its order within the batch does not matter.
        batch.sort_by_key(|job| job.write.target().map(|(_, id)| id));
        let mut refused = false;
        let committed = self
            .run_transaction(async |connection| {
                let shared = &*connection;
                let rows = join_all(
                    batch
                        .iter()
                        .map(async |job| job.write.run(&mut &*shared).await),
                )
                .await
                .into_iter()
                .collect::<QueryResult<Vec<_>>>();
                refused = rows.as_ref().is_err_and(errors::refused_by_server);
                rows
            })
            .await;
        match committed {
            Ok(rows) => {
                for (job, row) in batch.into_iter().zip(rows) {
                    job.answer(Ok(row));
                }
            }
            Err(_) if refused => self.run_each_alone(batch).await,
            Err(TaskError::Unavailable(cause)) => {
                let cause: Arc<dyn std::error::Error + Send + Sync> = Arc::from(cause);
                for job in batch {
                    job.answer(Err(TaskError::unavailable(Arc::clone(&cause))));
                }
            }
            Err(_) => self.run_each_alone(batch).await,
        }
    }

    /// Runs each write of a batch that did not commit as a statement of its own.
    async fn run_each_alone(&self, batch: Vec<Job>) {
        join_all(batch.into_iter().map(async |job| {
            let outcome = self
                .run_pooled(async |connection| job.write.run(connection).await)
                .await;
            job.answer(outcome);
        }))
        .await;
    }

    /// Runs `statement` on a pooled connection.
    async fn run_pooled<T>(&self, statement: impl Statement<T>) -> Result<T, TaskError> {
        let asked = Instant::now();
        let connection = self.pool.get().await;
        self.pool_wait.record(asked.elapsed());
        let mut connection = connection.map_err(errors::from_pool)?;
        let outcome = match &self.statement_transaction {
            Some(begin) => {
                let statement =
                    async |connection: &mut AsyncPgConnection| statement(&mut &*connection).await;
                self.within_deadline(in_transaction(&mut connection, begin, statement))
                    .await
            }
            None => self.within_deadline(statement(&mut &*connection)).await,
        };
        outcome.inspect_err(|error| {
            if matches!(error, TaskError::Unavailable(_)) {
                drop(Object::take(connection));
            }
        })
    }

    /// Runs `work` in one transaction on a pooled connection, within the statement timeout
    /// as a whole.
    async fn run_transaction<T>(
        &self,
        work: impl AsyncFnOnce(&mut AsyncPgConnection) -> QueryResult<T>,
    ) -> Result<T, TaskError> {
        let asked = Instant::now();
        let connection = self.pool.get().await;
        self.pool_wait.record(asked.elapsed());
        let mut connection = connection.map_err(errors::from_pool)?;
        let begin = self.statement_transaction.as_deref().unwrap_or("BEGIN");
        self.within_deadline(in_transaction(&mut connection, begin, work))
            .await
            .inspect_err(|error| {
                if matches!(error, TaskError::Unavailable(_)) {
                    drop(Object::take(connection));
                }
            })
    }

    /// Why a guarded write changed no row: no such task of `owner`'s, or (with a
    /// precondition) a version it does not admit.
    async fn refusal(&self, owner: &UserId, id: TaskId, precondition: &Precondition) -> TaskError {
        if precondition.versions().is_none() {
            return TaskError::NotFound;
        }
        let current = self
            .run_pooled(async |connection| {
                owned_task(owner, id)
                    .select(tasks::version)
                    .get_result::<i64>(connection)
                    .await
                    .optional()
            })
            .await;
        match current {
            Ok(Some(version)) => TaskError::PreconditionFailed {
                current: Version::new(version),
            },
            Ok(None) => TaskError::NotFound,
            Err(error) => error,
        }
    }

    /// The row a guarded write returned, or why there was none.
    async fn written(
        &self,
        row: Option<TaskRow>,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        match row {
            Some(row) => to_task(row),
            None => Err(self.refusal(owner, id, precondition).await),
        }
    }

    /// Runs `statement` on the shared read session, or on a pooled connection when there is
    /// none.
    async fn run_read<T>(&self, statement: impl Statement<T>) -> Result<T, TaskError> {
        let Some(reads) = &self.reads else {
            return self.run_pooled(statement).await;
        };
        let session = reads.get().await?;
        self.within_deadline(statement(&mut &*session))
            .await
            .inspect_err(|error| {
                if matches!(error, TaskError::Unavailable(_)) {
                    reads.discard(&session);
                }
            })
    }

    /// Awaits `statement` within the statement timeout. A connection whose statement failed
    /// as unavailable is not used again: it is lost, still busy with the abandoned
    /// statement, or in a state that made the server refuse it.
    async fn within_deadline<T>(
        &self,
        statement: impl Future<Output = QueryResult<T>>,
    ) -> Result<T, TaskError> {
        match tokio::time::timeout(self.settings.statement_timeout, statement).await {
            Ok(outcome) => outcome.map_err(errors::from_query),
            Err(_) => {
                ErrorKind::StatementTimeout.count();
                Err(TaskError::unavailable(StatementTimedOut(
                    self.settings.statement_timeout,
                )))
            }
        }
    }
}

/// Runs `statement` in a transaction of its own, begun by `begin`. Through a transaction
/// pooler, the transaction keeps the statement's prepare and execute on one server session,
/// and `begin` sets the server's statement timeout for it alone. diesel-async's transaction
/// manager tracks it, so the pool never hands out a connection left in it (by a request
/// that was dropped half-way).
async fn in_transaction<T>(
    connection: &mut AsyncPgConnection,
    begin: &str,
    work: impl AsyncFnOnce(&mut AsyncPgConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    AnsiTransactionManager::begin_transaction_sql(connection, begin).await?;
    match work(connection).await {
        Ok(value) => AnsiTransactionManager::commit_transaction(connection)
            .await
            .map(|()| value),
        Err(error) => AnsiTransactionManager::rollback_transaction(connection)
            .await
            .and(Err(error)),
    }
}

/// One SQL statement, given a connection that it may share with statements in flight.
trait Statement<T>: for<'c> AsyncFnOnce(&mut &'c AsyncPgConnection) -> QueryResult<T> {}

impl<T, F> Statement<T> for F where
    F: for<'c> AsyncFnOnce(&mut &'c AsyncPgConnection) -> QueryResult<T>
{
}

/// The task `id`, if `owner` owns it.
fn owned_task(owner: &UserId, id: TaskId) -> Filter<tasks::table, OwnedBy<'_>> {
    tasks::table.filter(owned_by(owner, id))
}

fn to_task(row: TaskRow) -> Result<Task, TaskError> {
    Task::try_from(row).map_err(TaskError::unexpected)
}

impl TaskRepository for PostgresTaskRepository {
    async fn list(&self, owner: &UserId, query: &ListQuery) -> Result<TaskPage, TaskError> {
        let rows: Vec<(TaskRow, i64)> = self
            .run_read(async |connection| listing::page(owner, query).load(connection).await)
            .await?;
        let total = match rows.as_slice() {
            [(_, total), ..] => *total,
            // Past the last match, no row carries the total: count on their own.
            [] if query.offset.get() > 0 => {
                self.run_read(async |connection| {
                    listing::matching(owner, query)
                        .count()
                        .get_result(connection)
                        .await
                })
                .await?
            }
            [] => 0,
        };
        Ok(TaskPage {
            tasks: rows
                .into_iter()
                .map(|(row, _)| to_task(row))
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).map_err(TaskError::unexpected)?,
        })
    }

    async fn create(&self, owner: &UserId, task: &NewTask) -> Result<Task, TaskError> {
        let row = self
            .write(Write::Create {
                owner: owner.clone(),
                task: task.clone(),
            })
            .await?;
        to_task(row.ok_or_else(|| TaskError::unexpected("an insert returned no row"))?)
    }

    async fn create_idempotent(
        &self,
        owner: &UserId,
        task: &NewTask,
        request: &IdempotentRequest,
    ) -> Result<Created, TaskError> {
        let outcome = self
            .run_transaction(async |connection| {
                idempotency::create_once(connection, owner, task, request).await
            })
            .await?;
        match outcome {
            KeyOutcome::Created(row) => Ok(Created {
                task: to_task(row)?,
                replayed: false,
            }),
            KeyOutcome::Stored { fingerprint, task } => {
                if fingerprint == request.fingerprint.as_str() {
                    Ok(Created {
                        task: to_task(task)?,
                        replayed: true,
                    })
                } else {
                    Err(TaskError::IdempotencyKeyReused)
                }
            }
            KeyOutcome::Busy => Err(TaskError::IdempotencyKeyInFlight),
        }
    }

    async fn get(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        let row = self
            .run_read(async |connection| {
                owned_task(owner, id)
                    .select(TaskRow::as_select())
                    .get_result(connection)
                    .await
            })
            .await?;
        to_task(row)
    }

    async fn update(
        &self,
        owner: &UserId,
        id: TaskId,
        patch: &TaskPatch,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        let row = self
            .write(Write::Update {
                owner: owner.clone(),
                id,
                patch: patch.clone(),
                precondition: precondition.clone(),
            })
            .await?;
        self.written(row, owner, id, precondition).await
    }

    async fn delete(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        let row = self
            .write(Write::Delete {
                owner: owner.clone(),
                id,
                precondition: precondition.clone(),
            })
            .await?;
        self.written(row, owner, id, precondition).await
    }

    async fn toggle_completed(
        &self,
        owner: &UserId,
        id: TaskId,
        precondition: &Precondition,
    ) -> Result<Task, TaskError> {
        let row = self
            .write(Write::Toggle {
                owner: owner.clone(),
                id,
                precondition: precondition.clone(),
            })
            .await?;
        self.written(row, owner, id, precondition).await
    }

    async fn purge_expired_keys(&self) -> Result<u64, TaskError> {
        // Small batches, each a statement of its own: no long lock, no timeout.
        const BATCH: i64 = 1000;
        let mut purged = 0;
        loop {
            let deleted = self
                .run_pooled(async |connection| idempotency::purge_expired(connection, BATCH).await)
                .await?;
            purged += deleted as u64;
            if (deleted as i64) < BATCH {
                return Ok(purged);
            }
        }
    }

    async fn ping(&self) -> Result<(), TaskError> {
        self.run_pooled(async |connection| {
            diesel::sql_query("SELECT 1").execute(connection).await?;
            Ok(())
        })
        .await
    }
}

impl fmt::Debug for PostgresTaskRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTaskRepository")
            .field("pool", &self.pool.status())
            .field("settings", &self.settings)
            .finish()
    }
}
