//! Reads share one session (their statements pipelined), writes use the pool, and a lost
//! read session is replaced.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tasks_domain::{ListQuery, TaskId, UserId};
use tasks_ports::{TaskError, TaskRepository};
use tasks_store_postgres::testing::TestDatabase;
use tasks_store_postgres::{PostgresSettings, PostgresTaskRepository};

use crate::support::{PROMPTLY, assert_past_deadline, new_task, silent_server, sql_session, user};

fn repository(url: &str, pipeline_reads: bool) -> PostgresTaskRepository {
    PostgresTaskRepository::connect(&PostgresSettings {
        max_connections: 5,
        pipeline_reads,
        ..PostgresSettings::new(url)
    })
    .unwrap()
}

/// Creates `count` tasks for alice, one after the other (so on one pooled connection).
async fn seed(repository: &PostgresTaskRepository, count: usize) -> Vec<TaskId> {
    let mut ids = Vec::new();
    for n in 0..count {
        let task = repository
            .create(&user("alice"), &new_task(&format!("task {n}")))
            .await
            .unwrap();
        ids.push(task.id);
    }
    ids
}

/// Sessions open after 60 concurrent reads by alice, each checked.
async fn sessions_after_concurrent_reads(pipeline_reads: bool) -> i64 {
    let database = TestDatabase::create().await;
    let repository = repository(database.url(), pipeline_reads);
    let ids = seed(&repository, 3).await;
    let alice = user("alice");
    let gets = ids
        .iter()
        .cycle()
        .take(30)
        .map(|&id| repository.get(&alice, id));
    for (task, id) in join_all(gets).await.into_iter().zip(ids.iter().cycle()) {
        assert_eq!(task.unwrap().id, *id);
    }
    let query = ListQuery::default();
    let lists = (0..30).map(|_| repository.list(&alice, &query));
    for page in join_all(lists).await {
        assert_eq!(page.unwrap().total, 3);
    }
    database.sessions().await
}

#[tokio::test]
async fn concurrent_reads_share_one_session_beside_the_writers_pool() {
    // The seeding's one pooled connection, and the read session.
    assert_eq!(sessions_after_concurrent_reads(true).await, 2);
    // Without pipelining, concurrent reads take as many pooled connections as they can.
    assert!(sessions_after_concurrent_reads(false).await > 2);
}

#[tokio::test]
async fn one_connection_in_all_leaves_reads_on_the_pool() {
    let database = TestDatabase::create().await;
    let repository = PostgresTaskRepository::connect(&PostgresSettings {
        max_connections: 1,
        ..PostgresSettings::new(database.url())
    })
    .unwrap();
    let ids = seed(&repository, 2).await;
    let alice = user("alice");
    let gets = ids.iter().map(|&id| repository.get(&alice, id));
    for task in join_all(gets).await {
        task.unwrap();
    }
    assert_eq!(database.sessions().await, 1);
}

#[tokio::test]
async fn a_terminated_read_session_fails_one_read_and_is_replaced() {
    let database = TestDatabase::create().await;
    let victim = "terminated-read-session";
    let url = format!("{}?application_name={victim}", database.url());
    let repository = repository(&url, true);
    let alice = user("alice");
    let ids = seed(&repository, 1).await;
    repository.get(&alice, ids[0]).await.unwrap();

    // Ends every session of the repository, as a restart of the server would.
    let admin = sql_session(&database).await;
    let ended = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE application_name = $1";
    let ended: i64 = admin.query_one(ended, &[&victim]).await.unwrap().get(0);
    assert_eq!(ended, 2, "the pooled session and the read session");
    let remaining = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1";
    for _ in 0..100 {
        let left: i64 = admin.query_one(remaining, &[&victim]).await.unwrap().get(0);
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let lost = repository.get(&alice, ids[0]).await;
    assert!(matches!(lost, Err(TaskError::Unavailable(_))), "{lost:?}");
    let read = repository.get(&alice, ids[0]).await.unwrap();
    assert_eq!(read.id, ids[0]);
    let page = repository
        .list(&alice, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1);
}

#[tokio::test]
async fn a_read_past_its_timeout_is_unavailable_and_reads_recover() {
    let database = TestDatabase::create().await;
    let repository = PostgresTaskRepository::connect(&PostgresSettings {
        statement_timeout: Duration::from_millis(500),
        ..PostgresSettings::new(database.url())
    })
    .unwrap();
    let alice = user("alice");
    let ids = seed(&repository, 1).await;
    repository.get(&alice, ids[0]).await.unwrap();

    // A lock that even plain reads wait for.
    let mut admin = sql_session(&database).await;
    let lock = admin.transaction().await.unwrap();
    lock.batch_execute("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = Instant::now();
    let reads = (0..5).map(|_| repository.get(&alice, ids[0]));
    for read in join_all(reads).await {
        assert_past_deadline(&read);
    }
    assert!(started.elapsed() < PROMPTLY, "took {:?}", started.elapsed());

    lock.rollback().await.unwrap();
    assert_eq!(repository.get(&alice, ids[0]).await.unwrap().id, ids[0]);
}

#[tokio::test]
async fn reads_waiting_for_the_session_share_a_failed_attempt_to_open_it() {
    // Every attempt to open a session there waits out the connect timeout.
    let (url, silent) = silent_server().await;
    let connect_timeout = Duration::from_millis(500);
    let repository = PostgresTaskRepository::connect(&PostgresSettings {
        connect_timeout,
        ..PostgresSettings::new(url)
    })
    .unwrap();

    let started = Instant::now();
    let alice = user("alice");
    let query = ListQuery::default();
    let reads = (0..40).map(|_| repository.list(&alice, &query));
    for read in join_all(reads).await {
        assert!(matches!(read, Err(TaskError::Unavailable(_))), "{read:?}");
    }
    // In turn, the forty attempts would take twenty seconds.
    let waited = started.elapsed();
    assert!(waited < connect_timeout * 10, "took {waited:?}");
    silent.abort();
}

/// What one read asked for and what it must get back.
#[derive(Clone)]
enum Read {
    Get(UserId, TaskId),
    List(UserId, Vec<TaskId>),
}

impl Read {
    /// Runs the read; `Err` only for an unavailable store, and any answer that belongs to
    /// another request (another user's rows, another task, another page) fails the test.
    async fn run_and_check(&self, repository: &PostgresTaskRepository) -> Result<(), TaskError> {
        match self {
            Read::Get(owner, id) => {
                let task = repository.get(owner, *id).await?;
                assert_eq!(
                    (&task.user_id, task.id),
                    (owner, *id),
                    "answer to another get"
                );
            }
            Read::List(owner, ids) => {
                let page = repository.list(owner, &ListQuery::default()).await?;
                let mut listed: Vec<_> = page.tasks.iter().map(|task| task.id).collect();
                listed.sort();
                assert_eq!(&listed, ids, "answer to another list");
                assert!(page.tasks.iter().all(|task| &task.user_id == owner));
                assert_eq!(page.total, ids.len() as u64);
            }
        }
        Ok(())
    }
}

/// Many users' reads share the session while some of them pass the statement timeout: the
/// first wave waits on a lock until its deadline passes, the second is sent on the same
/// session behind it and answered once the lock goes. The abandoned statements' answers
/// still arrive on that session; none may reach another request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_past_the_timeout_never_hand_their_answers_to_other_reads() {
    let database = TestDatabase::create().await;
    let statement_timeout = Duration::from_secs(3);
    let repository = PostgresTaskRepository::connect(&PostgresSettings {
        max_connections: 2,
        statement_timeout,
        ..PostgresSettings::new(database.url())
    })
    .unwrap();
    let mut reads = Vec::new();
    for n in 0..8 {
        let owner = user(&format!("user-{n}"));
        let mut ids = Vec::new();
        for t in 0..=n % 3 {
            let task = repository
                .create(&owner, &new_task(&format!("task {t} of user {n}")))
                .await
                .unwrap();
            ids.push(task.id);
        }
        ids.sort();
        for &id in &ids {
            reads.push(Read::Get(owner.clone(), id));
        }
        reads.push(Read::List(owner, ids));
    }
    // The session is open before the lock, so the waves queue on it.
    reads[0].run_and_check(&repository).await.unwrap();

    let admin = sql_session(&database).await;
    admin
        .batch_execute("BEGIN; LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let first_wave = tokio::spawn({
        let repository = repository.clone();
        let reads = reads.clone();
        async move { join_all(reads.iter().map(|read| read.run_and_check(&repository))).await }
    });
    let waiting =
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'tasks'::regclass";
    let deadline = Instant::now() + PROMPTLY;
    while admin
        .query_one(waiting, &[])
        .await
        .unwrap()
        .get::<_, i64>(0)
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the first wave never reached the lock"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Not synchronisation: half a timeout between the waves' deadlines, so the first wave
    // is abandoned while the second still waits behind it on the same session.
    tokio::time::sleep(statement_timeout / 2).await;
    let second_wave = tokio::spawn({
        let repository = repository.clone();
        let reads: Vec<_> = reads.iter().rev().cloned().collect();
        async move { join_all(reads.iter().map(|read| read.run_and_check(&repository))).await }
    });

    for outcome in first_wave.await.unwrap() {
        assert_past_deadline(&outcome);
    }
    admin.batch_execute("ROLLBACK").await.unwrap();
    let second = second_wave.await.unwrap();
    assert!(
        second.iter().all(Result::is_ok),
        "the second wave was sent well within its deadline: {second:?}"
    );
    // And reads afterwards, on whatever session serves them, are answered as asked.
    for read in &reads {
        read.run_and_check(&repository).await.unwrap();
    }
}
