use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{EncodingKey, Header, encode};

pub const SECRET: &str = "binary-test-secret-at-least-32-bytes!!";

/// The binary running in an empty directory (no `.env`, no `config/` unless the test puts
/// them there), with only the variables the test gives it.
pub struct Binary {
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
    pub port: u16,
}

impl Binary {
    pub fn start(directory: &Path, variables: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tasks-api"))
            .current_dir(directory)
            .env_clear()
            // Tests run side by side: no fixed metrics port.
            .env("APP__METRICS__PORT", "0")
            .envs(variables.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().expect("output lock").push(line);
                }
            });
        }
        let mut binary = Self {
            child,
            output,
            port: 0,
        };
        binary.port = binary.wait_for_port();
        binary.wait_until_serving();
        binary
    }

    /// The port is bound before the workers run; wait until one answers.
    fn wait_until_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !tasks_server::healthcheck::service_is_healthy(self.port).unwrap_or(false) {
            assert!(Instant::now() < deadline, "no answer on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The port from the "listening" log line (the binary was asked for port 0).
    fn wait_for_port(&mut self) -> u16 {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(port) = self.lines().iter().find_map(|line| listening_port(line)) {
                return port;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the binary exited with {status}: {:#?}", self.lines());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the binary did not start listening: {:#?}", self.lines());
    }

    pub fn lines(&self) -> Vec<String> {
        self.output.lock().expect("output lock").clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// The exit status, or `None` if the process is still running after `limit`.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn listening_port(line: &str) -> Option<u16> {
    if !line.contains("listening") {
        return None;
    }
    let start = line.find("port")? + "port".len();
    line[start..]
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

pub fn token_for(subject: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let claims = serde_json::json!({"sub": subject, "iat": now, "exp": now + 600});
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("HMAC signing")
}
