//! HAProxy in front of the fleet: round robin over the instances, each health-checked on
//! `/ready` every 200 ms (out after 2 failures, back after 2 successes); a request whose
//! connection is refused goes to another instance. Each request opens a connection of its
//! own to an instance, as behind a balancer that keeps none open: reused connections would
//! keep a stopping instance busy and hide whether it drains. Stopped when dropped.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

pub struct HaProxy {
    process: Child,
    _directory: tempfile::TempDir,
    pub port: u16,
    stats_port: u16,
}

impl HaProxy {
    pub fn start(backends: &[(&str, u16)]) -> Self {
        let directory = tempfile::tempdir().expect("a config directory");
        let (port, stats_port) = (free_port(), free_port());
        let mut config = format!(
            "defaults\n  mode http\n  timeout connect 1s\n  timeout client 30s\n  \
             timeout server 30s\n  timeout check 1s\n  retries 3\n  option redispatch 1\n  option http-server-close\n\
             frontend api\n  bind 127.0.0.1:{port}\n  default_backend fleet\n\
             frontend stats\n  bind 127.0.0.1:{stats_port}\n  stats enable\n  stats uri /stats\n\
             backend fleet\n  balance roundrobin\n  option httpchk\n  \
             http-check send meth GET uri /ready\n  http-check expect status 200\n  \
             default-server inter 200ms fall 2 rise 2\n"
        );
        for (name, backend_port) in backends {
            writeln!(config, "  server {name} 127.0.0.1:{backend_port} check").unwrap();
        }
        let file = directory.path().join("haproxy.cfg");
        std::fs::write(&file, config).expect("the config written");
        let process = Command::new(program())
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy runs (scripts/test.sh installs it)");
        let started = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "haproxy did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            process,
            _directory: directory,
            port,
            stats_port,
        }
    }

    /// Waits until HAProxy reports `server` in `state` (`UP`, `DOWN`); returns how long.
    pub async fn wait_for(&self, client: &reqwest::Client, server: &str, state: &str) -> Duration {
        let started = Instant::now();
        loop {
            let current = self.stat(client, server, "status").await;
            if current
                .as_deref()
                .is_some_and(|current| current.starts_with(state))
            {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{server} not {state} within 30 s: {current:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl HaProxy {
    /// Requests HAProxy sent again after a connection to an instance failed (retries on
    /// the same instance and redispatches to another): none when each instance leaves the
    /// rotation before it stops accepting connections.
    pub async fn resent_requests(&self, client: &reqwest::Client) -> u64 {
        let mut resent = 0;
        for column in ["wretr", "wredis"] {
            let value = self.stat(client, "BACKEND", column).await;
            resent += value
                .unwrap_or_default()
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("{column} is not a count"));
        }
        resent
    }

    /// One column of the `fleet` backend's row for `server` in HAProxy's CSV statistics.
    async fn stat(&self, client: &reqwest::Client, server: &str, column: &str) -> Option<String> {
        let url = format!("http://127.0.0.1:{}/stats;csv", self.stats_port);
        let csv = client
            .get(&url)
            .send()
            .await
            .expect("stats")
            .text()
            .await
            .expect("csv");
        let header: Vec<&str> = csv.lines().next().unwrap_or_default().split(',').collect();
        let index = header
            .iter()
            .position(|name| *name == column)
            .unwrap_or_else(|| panic!("no {column} column in {header:?}"));
        csv.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields.first() == Some(&"fleet") && fields.get(1) == Some(&server))
                .then(|| fields.get(index).copied().unwrap_or_default().to_owned())
        })
    }
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Debian's `haproxy`, which is in `/usr/sbin`: not on every user's `PATH`.
fn program() -> &'static str {
    const DEBIAN: &str = "/usr/sbin/haproxy";
    if Path::new(DEBIAN).is_file() {
        DEBIAN
    } else {
        "haproxy"
    }
}
