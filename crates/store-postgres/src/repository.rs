use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use ::metrics::Histogram;
use deadpool::Runtime;
use deadpool::managed::Object;
use diesel::dsl::{Filter, not};
use diesel::prelude::*;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use secrecy::ExposeSecret;
use tasks_domain::{ListQuery, NewTask, Task, TaskId, TaskPage, TaskPatch, UserId};
use tasks_ports::{TaskError, TaskRepository};

use crate::connection::ConnectionRecipe;
use crate::errors::{self, StatementTimedOut};
use crate::metrics::{ConnectionGauges, ErrorKind, pool_wait_histogram};
use crate::models::{NewTaskRow, TaskChanges, TaskRow};
use crate::owned_update::update_owned_task;
use crate::ownership::{OwnedBy, owned_by};
use crate::schema::tasks;
use crate::shared_session::SharedSession;
use crate::{PostgresSettings, SetupError, listing};

/// Tasks in PostgreSQL, one SQL statement per use case.
///
/// Writes run on pooled connections. Reads, unless `pipeline_reads` is off or
/// `max_connections` is 1, share one session instead (see [`SharedSession`]), which counts
/// towards `max_connections`.
///
/// Clones share their connections. A connection's I/O is driven by a task on the runtime
/// that opened it, so a server with one runtime per thread (actix's workers) serves each
/// query on one thread only when every thread has connections of its own: see
/// [`Self::with_own_connections`].
#[derive(Clone)]
pub struct PostgresTaskRepository {
    pool: Pool<AsyncPgConnection>,
    reads: Option<Arc<SharedSession>>,
    recipe: Arc<ConnectionRecipe>,
    settings: PostgresSettings,
    gauges: ConnectionGauges,
    pool_wait: Histogram,
}

/// How a statement failed, and whether its connection can serve another one.
struct Failure {
    error: TaskError,
    connection_lost: bool,
}

impl PostgresTaskRepository {
    /// Builds the pool without opening a connection: the database need not be up yet, and
    /// calls made while it is down fail with [`TaskError::Unavailable`]. Fails only on
    /// settings that can never work, such as an unparsable URL.
    pub fn connect(settings: &PostgresSettings) -> Result<Self, SetupError> {
        let recipe = Arc::new(ConnectionRecipe::parse(
            settings.url.expose_secret(),
            settings.connect_timeout,
            Some(settings.statement_timeout),
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

    fn from_recipe(
        recipe: Arc<ConnectionRecipe>,
        settings: PostgresSettings,
        gauges: ConnectionGauges,
    ) -> Self {
        let (reads, pooled) = if settings.pipeline_reads && settings.max_connections >= 2 {
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
            recipe,
            settings,
            gauges,
            pool_wait: pool_wait_histogram(),
        }
    }

    /// Runs `statement` on a pooled connection.
    async fn run_pooled<T>(&self, statement: impl Statement<T>) -> Result<T, TaskError> {
        let asked = Instant::now();
        let connection = self.pool.get().await;
        self.pool_wait.record(asked.elapsed());
        let connection = connection.map_err(errors::from_pool)?;
        self.run_on(&connection, statement)
            .await
            .map_err(|failure| {
                if failure.connection_lost {
                    drop(Object::take(connection));
                }
                failure.error
            })
    }

    /// Runs `statement` on the shared read session, or on a pooled connection when there is
    /// none.
    async fn run_read<T>(&self, statement: impl Statement<T>) -> Result<T, TaskError> {
        let Some(reads) = &self.reads else {
            return self.run_pooled(statement).await;
        };
        let session = reads.get().await?;
        self.run_on(&session, statement).await.map_err(|failure| {
            if failure.connection_lost {
                reads.discard(&session);
            }
            failure.error
        })
    }

    /// Runs `statement` on `connection` within the statement timeout.
    async fn run_on<T>(
        &self,
        connection: &AsyncPgConnection,
        statement: impl Statement<T>,
    ) -> Result<T, Failure> {
        let lost = |error| Failure {
            error,
            connection_lost: true,
        };
        match tokio::time::timeout(
            self.settings.statement_timeout,
            statement(&mut &*connection),
        )
        .await
        {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                // diesel-async drops the SQLSTATE, so a FATAL error (the server shutting
                // down or ending the session) looks like a statement's plain error; unlike
                // that one, it leaves a session that no longer answers.
                if errors::is_unclassified(&error) && !self.still_answers(connection).await {
                    ErrorKind::ConnectionLost.count();
                    return Err(lost(TaskError::unavailable(error)));
                }
                let error = errors::from_query(error);
                Err(Failure {
                    connection_lost: matches!(error, TaskError::Unavailable(_)),
                    error,
                })
            }
            // The abandoned statement may still be running on this connection: close it
            // rather than hand it to the next caller.
            Err(_) => {
                ErrorKind::StatementTimeout.count();
                Err(lost(TaskError::unavailable(StatementTimedOut(
                    self.settings.statement_timeout,
                ))))
            }
        }
    }

    /// Whether the session answers a trivial statement within the statement timeout.
    async fn still_answers(&self, mut connection: &AsyncPgConnection) -> bool {
        let probe = connection.batch_execute("SELECT 1");
        matches!(
            tokio::time::timeout(self.settings.statement_timeout, probe).await,
            Ok(Ok(()))
        )
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
            .run_pooled(async |connection| {
                diesel::insert_into(tasks::table)
                    .values(NewTaskRow::new(owner, task))
                    .returning(TaskRow::as_returning())
                    .get_result(connection)
                    .await
            })
            .await?;
        to_task(row)
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
    ) -> Result<Task, TaskError> {
        let row = self
            .run_pooled(async |connection| {
                update_owned_task(owner, id, TaskChanges::from(patch))
                    .get_result(connection)
                    .await
            })
            .await?;
        to_task(row)
    }

    async fn delete(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        let row = self
            .run_pooled(async |connection| {
                diesel::delete(owned_task(owner, id))
                    .returning(TaskRow::as_returning())
                    .get_result(connection)
                    .await
            })
            .await?;
        to_task(row)
    }

    async fn toggle_completed(&self, owner: &UserId, id: TaskId) -> Result<Task, TaskError> {
        // One statement: concurrent toggles serialize on the row lock, none is lost.
        let row = self
            .run_pooled(async |connection| {
                update_owned_task(owner, id, tasks::completed.eq(not(tasks::completed)))
                    .get_result(connection)
                    .await
            })
            .await?;
        to_task(row)
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
