//! Test support (feature `testing`): a fresh, migrated database for each test.
//!
//! Databases are made on the server named by `TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), whose role must be allowed to create and
//! drop databases. Each is a copy (`CREATE DATABASE … TEMPLATE …`) of a template database
//! that is migrated once and named after a digest of the migrations, so a changed migration
//! gets a new template. Leftovers of crashed runs are swept the first time a process asks.
//!
//! Several checkouts may share one server, each with its own migrations. So a template is
//! swept only when no checkout has used it for a day (its comment records the last use),
//! and a test database as soon as the process that made it is gone (its comment names the
//! host and process; the Node tests' databases follow the same convention), or after an
//! hour when that process lives on another host.
//!
//! [`PgBouncer`] puts a transaction pooler in front of that server.

mod pgbouncer;

use std::error::Error;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use std::{env, process, thread};

use tokio::sync::OnceCell;
use tokio_postgres::{Client, NoTls};

use crate::{SessionRole, run_migrations};

pub use pgbouncer::PgBouncer;

const SERVER_URL_VARIABLE: &str = "TEST_DATABASE_URL";
const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Test databases are named `tasks_test_<unix seconds>_<pid>_<sequence>`.
const DATABASE_PREFIX: &str = "tasks_test_";
const TEMPLATE_PREFIX: &str = "tasks_template_";
/// Older test databases belong to runs that crashed before dropping them.
const ABANDONED_AFTER: Duration = Duration::from_secs(60 * 60);
/// A template no checkout has used for this long belongs to migrations nobody tests.
const TEMPLATE_UNUSED_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// Comments that record who owns a test database and when a template was last used.
const OWNER_COMMENT: &str = "tasks-test owner";
const TEMPLATE_COMMENT: &str = "tasks-template used";
/// Advisory lock key ("taskstpl" in ASCII) that serializes template work across processes.
const TEMPLATE_LOCK_KEY: i64 = 0x7461_736b_7374_706c;

type Failure = Box<dyn Error + Send + Sync>;

/// The template's name, once this process has made sure it exists.
static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// A database of its own for one test, dropped (`WITH (FORCE)`) when the value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    server_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates a migrated database with no rows.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached or refuses to create the database: a test
    /// cannot go on without it.
    pub async fn create() -> Self {
        Self::create_on(server_url(), true)
            .await
            .unwrap_or_else(|error| {
                panic!("cannot create a test database (set {SERVER_URL_VARIABLE}?): {error}")
            })
    }

    /// Creates a database that was never migrated.
    ///
    /// # Panics
    ///
    /// As [`Self::create`].
    pub async fn create_empty() -> Self {
        Self::create_on(server_url(), false)
            .await
            .unwrap_or_else(|error| {
                panic!("cannot create a test database (set {SERVER_URL_VARIABLE}?): {error}")
            })
    }

    /// The migration versions recorded in the database, in order.
    ///
    /// # Panics
    ///
    /// When the server cannot be asked or the database was never migrated.
    pub async fn applied_migrations(&self) -> Vec<String> {
        let versions = async {
            let rows = connect(&self.url)
                .await?
                .query(
                    "SELECT version::text FROM __diesel_schema_migrations ORDER BY version",
                    &[],
                )
                .await?;
            Ok::<_, Failure>(rows.iter().map(|row| row.get(0)).collect())
        };
        versions
            .await
            .unwrap_or_else(|error| panic!("cannot read the migrations of {}: {error}", self.name))
    }

    /// The database's `postgres://` URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many sessions are connected to this database now.
    ///
    /// # Panics
    ///
    /// When the server cannot be asked.
    pub async fn sessions(&self) -> i64 {
        self.count_sessions(None).await
    }

    /// How many sessions in `role` (named from [`SessionRole::DEFAULT_NAME`]) are connected
    /// to this database now.
    ///
    /// # Panics
    ///
    /// When the server cannot be asked.
    pub async fn sessions_in_role(&self, role: SessionRole) -> i64 {
        let name = role.application_name(SessionRole::DEFAULT_NAME);
        self.count_sessions(Some(&name)).await
    }

    async fn count_sessions(&self, application_name: Option<&str>) -> i64 {
        let count = async {
            let admin = connect(&self.server_url).await?;
            let row = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = $1 AND ($2::text IS NULL OR application_name = $2)",
                    &[&self.name, &application_name],
                )
                .await?;
            Ok::<i64, Failure>(row.get(0))
        };
        count
            .await
            .unwrap_or_else(|error| panic!("cannot count sessions of {}: {error}", self.name))
    }

    async fn create_on(server_url: String, migrated: bool) -> Result<Self, Failure> {
        let template = if migrated {
            let template = TEMPLATE
                .get_or_try_init(|| prepare_template(&server_url))
                .await?;
            format!(" TEMPLATE \"{template}\"")
        } else {
            String::new()
        };
        let name = format!(
            "{DATABASE_PREFIX}{}_{}_{}",
            unix_seconds(),
            process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let admin = connect(&server_url).await?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\"{template}"))
            .await?;
        admin
            .batch_execute(&format!(
                "COMMENT ON DATABASE \"{name}\" IS '{OWNER_COMMENT} {} {}'",
                host_name(),
                process::id()
            ))
            .await?;
        Ok(Self {
            url: with_database(&server_url, &name),
            server_url,
            name,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        // Drop may run inside any runtime or none: block on a thread with a runtime of its own.
        let dropped = thread::spawn(move || -> Result<(), Failure> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async { drop_database(&connect(&server_url).await?, &name).await })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("could not drop test database {}: {error}", self.name),
            Err(_) => eprintln!("dropping test database {} panicked", self.name),
        }
    }
}

/// The test server's URL.
fn server_url() -> String {
    env::var(SERVER_URL_VARIABLE).unwrap_or_else(|_| DEFAULT_SERVER_URL.to_owned())
}

/// Makes sure the migrated template for the current migrations exists, and sweeps what
/// crashed runs left behind; under an advisory lock, so parallel test processes take turns.
async fn prepare_template(server_url: &str) -> Result<String, Failure> {
    let template = format!("{TEMPLATE_PREFIX}{}", env!("TASKS_MIGRATIONS_DIGEST"));
    let admin = connect(server_url).await?;
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK_KEY])
        .await?;
    sweep_leftovers(&admin, &template).await?;
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
        .await?
        .is_some();
    if !exists {
        // Migrate under another name and rename at the end, so a template that exists is
        // always complete.
        let building = format!("{template}_building");
        admin
            .batch_execute(&format!("CREATE DATABASE \"{building}\""))
            .await?;
        run_migrations(&with_database(server_url, &building)).await?;
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
            ))
            .await?;
    }
    admin
        .batch_execute(&format!(
            "COMMENT ON DATABASE \"{template}\" IS '{TEMPLATE_COMMENT} {}'",
            unix_seconds()
        ))
        .await?;
    admin
        .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK_KEY])
        .await?;
    Ok(template)
}

/// Drops test databases whose process is gone (or, on another host, older than
/// [`ABANDONED_AFTER`]), templates of other migrations unused for
/// [`TEMPLATE_UNUSED_AFTER`] (never one whose use is not recorded), and half-built
/// templates (their builder held the lock we hold).
async fn sweep_leftovers(admin: &Client, current_template: &str) -> Result<(), Failure> {
    let now = unix_seconds();
    let rows = admin
        .query(
            "SELECT datname::text, coalesce(shobj_description(oid, 'pg_database'), '') \
             FROM pg_database WHERE starts_with(datname, $1) OR starts_with(datname, $2)",
            &[&DATABASE_PREFIX, &TEMPLATE_PREFIX],
        )
        .await?;
    for row in rows {
        let (name, comment): (String, String) = (row.get(0), row.get(1));
        let abandoned = match name.strip_prefix(DATABASE_PREFIX) {
            Some(suffix) => test_database_is_abandoned(suffix, &comment, now),
            None if name == current_template => false,
            None if name.ends_with("_building") => true,
            None => comment
                .strip_prefix(TEMPLATE_COMMENT)
                .and_then(|used| used.trim().parse::<u64>().ok())
                .is_some_and(|used| used + TEMPLATE_UNUSED_AFTER.as_secs() < now),
        };
        if abandoned {
            drop_database(admin, &name).await?;
        }
    }
    Ok(())
}

/// Whether the test database named `tasks_test_{name_suffix}`, with `comment`, is left over.
fn test_database_is_abandoned(name_suffix: &str, comment: &str, now: u64) -> bool {
    let old =
        created_at(name_suffix).is_some_and(|created| created + ABANDONED_AFTER.as_secs() < now);
    let owner_gone = match owner(comment) {
        Some((host, pid)) => host == host_name() && !process_is_alive(pid),
        None => false,
    };
    old || owner_gone
}

/// The host and process id in a test database's owner comment.
fn owner(comment: &str) -> Option<(&str, u32)> {
    let mut words = comment.strip_prefix(OWNER_COMMENT)?.split_whitespace();
    let host = words.next()?;
    let pid = words.next()?.parse().ok()?;
    Some((host, pid))
}

/// This machine's name, as the Node tests' `os.hostname()` reports it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_default()
}

/// Whether process `pid` runs on this machine; `true` when that cannot be told, so nothing
/// in use is dropped.
fn process_is_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// The creation time embedded in a test database's name, after the prefix.
fn created_at(name_suffix: &str) -> Option<u64> {
    name_suffix.split('_').next()?.parse().ok()
}

async fn drop_database(admin: &Client, name: &str) -> Result<(), Failure> {
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    Ok(())
}

async fn connect(url: &str) -> Result<Client, Failure> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    // Errors of the connection surface through the client's calls.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (address, parameters) = match url.split_once('?') {
        Some((address, parameters)) => (address, Some(parameters)),
        None => (url, None),
    };
    let authority_start = address.find("://").map_or(0, |index| index + 3);
    let server = match address[authority_start..].find('/') {
        Some(slash) => &address[..authority_start + slash],
        None => address,
    };
    match parameters {
        Some(parameters) => format!("{server}/{name}?{parameters}"),
        None => format!("{server}/{name}"),
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since_epoch| since_epoch.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t1"),
            "postgres://u:p@h/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t1"),
            "postgres://h:5432/t1"
        );
        assert_eq!(
            with_database("postgresql://h?application_name=x", "t1"),
            "postgresql://h/t1?application_name=x"
        );
    }

    #[test]
    fn a_test_database_is_abandoned_once_its_process_is_gone_or_it_is_old() {
        let now = unix_seconds();
        let here = host_name();
        let suffix = format!("{now}_1_0");
        let alive = format!("{OWNER_COMMENT} {here} {}", process::id());
        assert!(!test_database_is_abandoned(&suffix, &alive, now));
        // Past the highest pid Linux hands out: no such process.
        let gone = format!("{OWNER_COMMENT} {here} 4294967295");
        assert!(test_database_is_abandoned(&suffix, &gone, now));
        let elsewhere = format!("{OWNER_COMMENT} {here}-elsewhere 4294967295");
        assert!(!test_database_is_abandoned(&suffix, &elsewhere, now));
        let old = format!("{}_1_0", now - ABANDONED_AFTER.as_secs() - 1);
        assert!(test_database_is_abandoned(&old, &elsewhere, now));
    }

    /// What another checkout left on the shared server: the sweep keeps its template while
    /// it is in use, and drops an old template and a dead process's database.
    #[tokio::test]
    async fn the_sweep_spares_what_other_checkouts_still_use() {
        let server_url =
            env::var(SERVER_URL_VARIABLE).unwrap_or_else(|_| DEFAULT_SERVER_URL.to_owned());
        let admin = connect(&server_url).await.unwrap();
        let pid = process::id();
        let now = unix_seconds();
        let in_use = format!("{TEMPLATE_PREFIX}in_use_{pid}");
        let unused = format!("{TEMPLATE_PREFIX}unused_{pid}");
        let orphan = format!("{DATABASE_PREFIX}{now}_{pid}_orphan");
        let two_days_ago = now - 2 * TEMPLATE_UNUSED_AFTER.as_secs();
        for (name, comment) in [
            (&in_use, format!("{TEMPLATE_COMMENT} {now}")),
            (&unused, format!("{TEMPLATE_COMMENT} {two_days_ago}")),
            (
                &orphan,
                format!("{OWNER_COMMENT} {} 4294967295", host_name()),
            ),
        ] {
            admin
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .await
                .unwrap();
            admin
                .batch_execute(&format!("COMMENT ON DATABASE \"{name}\" IS '{comment}'"))
                .await
                .unwrap();
        }

        admin
            .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK_KEY])
            .await
            .unwrap();
        let current = format!("{TEMPLATE_PREFIX}{}", env!("TASKS_MIGRATIONS_DIGEST"));
        let swept = sweep_leftovers(&admin, &current).await;
        admin
            .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK_KEY])
            .await
            .unwrap();
        swept.unwrap();

        let exists = async |name: &str| {
            admin
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .await
                .unwrap()
                .is_some()
        };
        let kept = exists(&in_use).await;
        let (unused_left, orphan_left) = (exists(&unused).await, exists(&orphan).await);
        for name in [&in_use, &unused, &orphan] {
            drop_database(&admin, name).await.unwrap();
        }
        assert!(kept, "a template another checkout uses was dropped");
        assert!(!unused_left, "a template unused for days was kept");
        assert!(!orphan_left, "a dead process's database was kept");
    }

    #[test]
    fn reads_the_creation_time_from_a_name() {
        assert_eq!(created_at("1764259200_42_7"), Some(1_764_259_200));
        assert_eq!(created_at("garbage"), None);
    }
}
