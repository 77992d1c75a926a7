//! A throwaway PostgreSQL cluster for the TLS tests: TLS on, with a server certificate for
//! `localhost` (and no IP address) signed by a CA of its own, and SCRAM password
//! authentication, which channel binding needs. It listens on a free port of 127.0.0.1 and
//! is stopped and removed when dropped, also when the test fails.
//!
//! The server runs as the `postgres` OS user when the tests run as root (PostgreSQL refuses
//! root), else as the current user. Its binaries must be installed: without `initdb` the
//! tests fail, they are never skipped.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::{env, fs, process};

use tokio_postgres::NoTls;

pub const PASSWORD: &str = "tls-test-password";

/// Where Debian installs the server binaries, one directory per major version.
const DEBIAN_SERVER_ROOT: &str = "/usr/lib/postgresql";
const OPENSSL_CONFIG: &str = "\
[req]
distinguished_name = subject
prompt = no
[subject]
CN = unused
[authority]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

pub struct TlsCluster {
    directory: PathBuf,
    server_binaries: PathBuf,
    port: u16,
}

impl TlsCluster {
    /// Makes the certificates, initializes the cluster and starts it.
    ///
    /// # Panics
    ///
    /// When any step fails, with the step's output.
    pub fn start() -> Self {
        let server_binaries = server_binaries();
        let directory = env::temp_dir().join(format!(
            "tasks-tls-{}-{}",
            process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&directory).expect("a fresh temporary directory");
        // From here on, Drop cleans up whatever the next steps leave.
        let cluster = Self {
            directory,
            server_binaries,
            port: free_port(),
        };
        cluster.make_certificates();
        cluster.hand_over_to_owner();
        cluster.initialize();
        cluster.start_server();
        cluster
    }

    /// A URL for the `postgres` superuser at `host` with the query `parameters`.
    pub fn url(&self, host: &str, parameters: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@{host}:{}/postgres?{parameters}",
            self.port
        )
    }

    /// The CA that signed the server's certificate.
    pub fn authority(&self) -> PathBuf {
        self.directory.join("authority.crt")
    }

    /// A CA that signed nothing the server shows.
    pub fn unrelated_authority(&self) -> PathBuf {
        self.directory.join("unrelated.crt")
    }

    /// Whether the session with this `application_name` is encrypted.
    pub async fn encrypted(&self, application_name: &str) -> bool {
        let connection_string = format!(
            "host=127.0.0.1 port={} user=postgres password={PASSWORD} dbname=postgres sslmode=disable",
            self.port
        );
        let (client, connection) = tokio_postgres::connect(&connection_string, NoTls)
            .await
            .expect("an administrative connection to the TLS cluster");
        tokio::spawn(connection);
        client
            .query_one(
                "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.application_name = $1",
                &[&application_name],
            )
            .await
            .unwrap_or_else(|error| panic!("no session named {application_name}: {error}"))
            .get(0)
    }

    fn make_certificates(&self) {
        fs::write(self.file("openssl.cnf"), OPENSSL_CONFIG).expect("the OpenSSL config written");
        for name in ["authority", "unrelated"] {
            self.openssl(&format!(
                "req -x509 -extensions authority -days 2 -subj /CN={name}-test-ca \
                 -keyout {name}.key -out {name}.crt"
            ));
        }
        self.openssl("req -new -subj /CN=localhost -keyout server.key -out server.csr");
        self.openssl(
            "x509 -req -in server.csr -days 2 -CA authority.crt -CAkey authority.key \
             -set_serial 1 -extfile openssl.cnf -extensions server -out server.crt",
        );
        // PostgreSQL refuses a key that others may read.
        fs::set_permissions(self.file("server.key"), fs::Permissions::from_mode(0o600))
            .expect("the server key's permissions set");
        fs::write(self.file("password"), PASSWORD).expect("the password file written");
    }

    /// Runs `openssl` with whitespace-separated `arguments` in the cluster's directory; key
    /// requests make unencrypted P-256 keys (quick to generate).
    fn openssl(&self, arguments: &str) {
        let mut command = Command::new("openssl");
        command
            .args(arguments.split_whitespace())
            .current_dir(&self.directory);
        if arguments.starts_with("req") {
            command.args(
                "-config openssl.cnf -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256".split(' '),
            );
        }
        run("openssl", &mut command);
    }

    fn hand_over_to_owner(&self) {
        if running_as_root() {
            run(
                "chown",
                Command::new("chown")
                    .arg("-R")
                    .arg("postgres:")
                    .arg(&self.directory),
            );
        }
    }

    fn initialize(&self) {
        let mut initdb = self.as_owner("initdb");
        initdb
            .arg("--pgdata")
            .arg(self.file("data"))
            .args([
                "--username=postgres",
                "--pwfile=password",
                "--encoding=UTF8",
            ])
            .args(["--no-locale", "--no-sync", "--auth-local=trust"])
            .arg("--auth-host=scram-sha-256");
        run("initdb", &mut initdb);
    }

    fn start_server(&self) {
        let directory = self.directory.display();
        let options = format!(
            "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={directory} \
             -c ssl=on -c ssl_cert_file={directory}/server.crt \
             -c ssl_key_file={directory}/server.key -c password_encryption=scram-sha-256",
            self.port
        );
        let mut pg_ctl = self.as_owner("pg_ctl");
        pg_ctl
            .arg("start")
            .arg("--pgdata")
            .arg(self.file("data"))
            .arg("--log")
            .arg(self.file("server.log"))
            .args(["--wait", "--timeout=30", "--options", &options]);
        let output = pg_ctl.output().expect("pg_ctl runs");
        assert!(
            output.status.success(),
            "pg_ctl start failed: {}\nserver log:\n{}",
            describe(&output),
            fs::read_to_string(self.file("server.log")).unwrap_or_default()
        );
    }

    /// `program` from the server binaries, run by the cluster's owner in its directory.
    fn as_owner(&self, program: &str) -> Command {
        let program = self.server_binaries.join(program);
        let mut command = if running_as_root() {
            let mut runuser = Command::new("runuser");
            runuser.args(["-u", "postgres", "--"]).arg(program);
            runuser
        } else {
            Command::new(program)
        };
        command.current_dir(&self.directory);
        command
    }

    fn file(&self, name: &str) -> PathBuf {
        self.directory.join(name)
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        if self.file("data/postmaster.pid").exists() {
            let mut pg_ctl = self.as_owner("pg_ctl");
            pg_ctl
                .arg("stop")
                .arg("--pgdata")
                .arg(self.file("data"))
                .args(["--mode=immediate", "--wait"]);
            match pg_ctl.output() {
                Ok(output) if output.status.success() => {}
                Ok(output) => eprintln!("could not stop the TLS cluster: {}", describe(&output)),
                Err(error) => eprintln!("could not run pg_ctl stop: {error}"),
            }
        }
        if let Err(error) = fs::remove_dir_all(&self.directory) {
            eprintln!("could not remove {}: {error}", self.directory.display());
        }
    }
}

/// The directory of `initdb` and `pg_ctl`: Debian's newest, or else the one on `PATH`.
fn server_binaries() -> PathBuf {
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir(DEBIAN_SERVER_ROOT)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").is_file())
        .collect();
    debian.sort();
    debian
        .pop()
        .map(|(_, bin)| bin)
        .or_else(|| {
            env::split_paths(&env::var_os("PATH").unwrap_or_default())
                .find(|directory| directory.join("initdb").is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "initdb not found in {DEBIAN_SERVER_ROOT}/*/bin or on PATH: the TLS tests start \
                 a PostgreSQL cluster of their own and need the server installed \
                 (apt-get install postgresql)"
            )
        })
}

fn running_as_root() -> bool {
    let output = Command::new("id").arg("-u").output().expect("`id -u` runs");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// A port nobody listens on now (and, very likely, a moment later).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free local port");
    listener.local_addr().expect("a bound address").port()
}

fn run(step: &str, command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {step}: {error}"));
    assert!(
        output.status.success(),
        "{step} failed: {}",
        describe(&output)
    );
}

fn describe(output: &Output) -> String {
    format!(
        "{}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
