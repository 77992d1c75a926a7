//! A TCP proxy in front of a test database whose open connections can be frozen: they stay
//! open and carry nothing more, as when the network between two hosts silently drops
//! everything. TCP keepalives do not notice that while the proxy still acknowledges;
//! connections made after the freeze pass as usual.

use std::net::SocketAddr;

use tasks_store_postgres::testing::TestDatabase;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_postgres::config::Host;

/// A running proxy; every connection through it closes when it is dropped.
pub struct FreezingProxy {
    url: String,
    freezes: watch::Sender<u64>,
    accepting: JoinHandle<()>,
}

impl FreezingProxy {
    /// A proxy to the server of `database`, on a free port of 127.0.0.1.
    pub async fn start(database: &TestDatabase) -> Self {
        let config: tokio_postgres::Config = database.url().parse().unwrap();
        let Some(Host::Tcp(host)) = config.get_hosts().first() else {
            panic!("the test server is reached over TCP");
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let upstream = tokio::net::lookup_host((host.as_str(), port))
            .await
            .unwrap()
            .next()
            .expect("the test server's address");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut url = format!(
            "host=127.0.0.1 port={} dbname={} user={} sslmode=disable",
            listener.local_addr().unwrap().port(),
            database.name(),
            config.get_user().unwrap_or("postgres"),
        );
        if let Some(password) = config.get_password() {
            url.push_str(&format!(" password={}", String::from_utf8_lossy(password)));
        }
        let (freezes, frozen) = watch::channel(0);
        let accepting = tokio::spawn(accept(listener, upstream, frozen));
        Self {
            url,
            freezes,
            accepting,
        }
    }

    /// A connection string for the database through the proxy.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops every connection open now from carrying anything, without closing it.
    pub fn freeze_open_connections(&self) {
        self.freezes.send_modify(|freezes| *freezes += 1);
    }
}

impl Drop for FreezingProxy {
    fn drop(&mut self) {
        // Its connections are in the accepting task's set, which aborts them as it goes.
        self.accepting.abort();
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, frozen: watch::Receiver<u64>) {
    let mut connections = JoinSet::new();
    while let Ok((client, _)) = listener.accept().await {
        let mut frozen = frozen.clone();
        // Only freezes from now on count for this connection.
        frozen.mark_unchanged();
        connections.spawn(forward(client, upstream, frozen));
    }
}

async fn forward(mut client: TcpStream, upstream: SocketAddr, mut frozen: watch::Receiver<u64>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = frozen.changed() => {
            // Both sockets stay open, carrying nothing, until the proxy is dropped.
            std::future::pending::<()>().await;
        }
    }
}
