//! PgBouncer in transaction mode (its default pool size) in front of the test server, for
//! tests through a transaction pooler. It listens on a free port of 127.0.0.1, serves every
//! database of the test server and stops when dropped.
//!
//! PgBouncer refuses to run as root, so when the tests do it runs as the `postgres` OS
//! user. It must be installed (`scripts/test.sh` installs Debian's): without it the tests
//! that need it fail, they are never skipped.

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use std::{env, process, thread};

use tokio_postgres::config::Host;

use super::{TestDatabase, server_url};

/// A generous bound for PgBouncer to start listening; not a speed requirement.
const STARTUP: Duration = Duration::from_secs(10);
/// A port picked free may be taken before PgBouncer binds it: try a few.
const ATTEMPTS: usize = 3;

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// A running PgBouncer; stopped, and its directory removed, when dropped.
#[derive(Debug)]
pub struct PgBouncer {
    process: Child,
    directory: PathBuf,
    port: u16,
    user: String,
}

impl PgBouncer {
    /// Starts PgBouncer and waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// When it cannot be started, with its log.
    pub fn start() -> Self {
        let server = Upstream::from_url(&server_url());
        let directory = env::temp_dir().join(format!(
            "tasks-pgbouncer-{}-{}",
            process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&directory).expect("a fresh temporary directory");
        // Readable by the `postgres` user when PgBouncer switches to it; the log file is
        // opened here and handed over as its standard error.
        fs::write(
            directory.join("users.txt"),
            format!("\"{}\" \"{}\"\n", server.user, server.password),
        )
        .expect("the users file written");
        let mut last_log = String::new();
        for _ in 0..ATTEMPTS {
            let port = free_port();
            let config = directory.join("pgbouncer.ini");
            fs::write(&config, server.config(&directory, port)).expect("the config written");
            let log = directory.join("pgbouncer.log");
            let mut process = Command::new(program())
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(File::create(&log).expect("the log file created"))
                .spawn()
                .unwrap_or_else(|error| {
                    panic!("cannot run pgbouncer (is it installed? scripts/test.sh installs it): {error}")
                });
            if accepts_connections(&mut process, port) {
                return Self {
                    process,
                    directory,
                    port,
                    user: server.user,
                };
            }
            let _ = process.kill();
            let _ = process.wait();
            last_log = fs::read_to_string(&log).unwrap_or_default();
        }
        let _ = fs::remove_dir_all(&directory);
        panic!("pgbouncer did not start:\n{last_log}");
    }

    /// The URL of `database` through PgBouncer (authentication is left to PgBouncer, which
    /// trusts local clients and logs in to the server as the test server's URL says).
    pub fn url(&self, database: &TestDatabase) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/{}",
            self.user,
            self.port,
            database.name()
        )
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        if let Err(error) = fs::remove_dir_all(&self.directory) {
            eprintln!("could not remove {}: {error}", self.directory.display());
        }
    }
}

/// Where PgBouncer sends its server connections, from the test server's URL.
struct Upstream {
    host: String,
    port: u16,
    user: String,
    password: String,
}

impl Upstream {
    fn from_url(url: &str) -> Self {
        let config: tokio_postgres::Config = url.parse().expect("a valid TEST_DATABASE_URL");
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(name)) => name.clone(),
            Some(Host::Unix(path)) => path.display().to_string(),
            None => "127.0.0.1".to_owned(),
        };
        Self {
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            user: config.get_user().unwrap_or("postgres").to_owned(),
            password: config
                .get_password()
                .map(|password| String::from_utf8_lossy(password).into_owned())
                .unwrap_or_default(),
        }
    }

    /// Transaction mode with the defaults otherwise (a pool of 20 server connections per
    /// database and user); no Unix socket, so instances never collide.
    fn config(&self, directory: &Path, port: u16) -> String {
        let run_as = if running_as_root() {
            "user = postgres\n"
        } else {
            ""
        };
        format!(
            "[databases]\n\
             * = host={host} port={upstream_port}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {users}\n\
             pool_mode = transaction\n\
             log_connections = 0\n\
             log_disconnections = 0\n\
             {run_as}",
            host = self.host,
            upstream_port = self.port,
            users = directory.join("users.txt").display(),
        )
    }
}

/// Waits until PgBouncer accepts a TCP connection on `port`; false if it exits first or
/// takes too long.
fn accepts_connections(process: &mut Child, port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = Instant::now();
    while started.elapsed() < STARTUP {
        if matches!(process.try_wait(), Ok(Some(_))) {
            return false;
        }
        if TcpStream::connect(address).is_ok() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Debian's `pgbouncer`, which is in `/usr/sbin`: not on every user's `PATH`.
fn program() -> &'static str {
    const DEBIAN: &str = "/usr/sbin/pgbouncer";
    if Path::new(DEBIAN).is_file() {
        DEBIAN
    } else {
        "pgbouncer"
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}
