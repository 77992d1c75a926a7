//! One `tasks-api` process of the fleet, on a port of its own that it keeps across restarts.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Instance {
    pub name: &'static str,
    pub port: u16,
    variables: Vec<(String, String)>,
    directory: tempfile::TempDir,
    process: Option<Child>,
    /// Every line it printed, over all its runs.
    output: Arc<Mutex<Vec<String>>>,
}

impl Instance {
    pub fn new(name: &'static str, port: u16, variables: Vec<(String, String)>) -> Self {
        Self {
            name,
            port,
            variables,
            directory: tempfile::tempdir().expect("a working directory"),
            process: None,
            output: Arc::default(),
        }
    }

    /// Starts the process, without waiting for it to serve.
    pub fn spawn(&mut self) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tasks-api"))
            .current_dir(self.directory.path())
            .env_clear()
            .envs(self.variables.iter().map(|(name, value)| (name, value)))
            .env("PORT", self.port.to_string())
            // Three instances on one host: each metrics listener on a port of its own.
            .env("APP__METRICS__PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("stdout")),
            Box::new(child.stderr.take().expect("stderr")),
        ];
        for stream in streams {
            let output = Arc::clone(&self.output);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().expect("output lock").push(line);
                }
            });
        }
        self.process = Some(child);
    }

    /// Waits until its own `/ready` answers 200; returns how long that took.
    pub async fn wait_ready(&self, client: &reqwest::Client, limit: Duration) -> Duration {
        let started = Instant::now();
        let url = format!("http://127.0.0.1:{}/ready", self.port);
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status() == 200
            {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "{} not ready within {limit:?}: {:#?}",
                self.name,
                self.lines()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn terminate(&self) {
        let pid = self.process.as_ref().expect("running").id();
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// SIGKILL: no drain, no graceful stop.
    pub fn kill(&mut self) {
        self.process
            .as_mut()
            .expect("running")
            .kill()
            .expect("killed");
    }

    /// Waits for the process to exit, for at most `limit`.
    pub async fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        let process = self.process.as_mut().expect("running");
        loop {
            if let Some(status) = process.try_wait().expect("try_wait") {
                self.process = None;
                return status;
            }
            assert!(
                started.elapsed() < limit,
                "{} still running after {limit:?}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn running(&mut self) -> bool {
        self.process
            .as_mut()
            .is_some_and(|process| matches!(process.try_wait(), Ok(None)))
    }

    pub fn lines(&self) -> Vec<String> {
        self.output.lock().expect("output lock").clone()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(process) = self.process.as_mut() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}
