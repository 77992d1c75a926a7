use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How the server answers the next requests.
#[derive(Clone)]
pub(crate) enum Reply {
    Jwks {
        body: String,
        cache_control: Option<&'static str>,
        /// Answers only once this gate is open (see `Gate`).
        gate: Option<watch::Receiver<bool>>,
    },
    Status(u16),
    /// `307` to `location`, except for a request of `location` itself (on this server),
    /// which gets `there`.
    Redirect {
        location: String,
        there: Box<Reply>,
    },
    /// Reads the request, then never answers.
    Hang,
}

impl Reply {
    pub(crate) fn keys(keys: &[Value]) -> Self {
        Self::Jwks {
            body: json!({ "keys": keys }).to_string(),
            cache_control: None,
            gate: None,
        }
    }

    pub(crate) fn cache_control(mut self, value: &'static str) -> Self {
        if let Self::Jwks { cache_control, .. } = &mut self {
            *cache_control = Some(value);
        }
        self
    }

    /// Holds the answer until the test opens `held_by`, so a fetch stays in flight for as
    /// long as the test needs, however slow the machine.
    pub(crate) fn held(mut self, held_by: &Gate) -> Self {
        if let Self::Jwks { gate, .. } = &mut self {
            *gate = Some(held_by.opened.subscribe());
        }
        self
    }
}

/// Holds the answers of a `Reply::held` until `open`.
pub(crate) struct Gate {
    opened: watch::Sender<bool>,
}

impl Gate {
    pub(crate) fn new() -> Self {
        Self {
            opened: watch::Sender::new(false),
        }
    }

    pub(crate) fn open(&self) {
        self.opened.send_replace(true);
    }
}

/// A JWKS endpoint on 127.0.0.1 whose answers the test scripts, recording every request.
pub(crate) struct JwksServer {
    url: String,
    origin: String,
    reply: Arc<Mutex<Reply>>,
    requests: Arc<Mutex<Vec<(Instant, String)>>>,
    accept_loop: JoinHandle<()>,
}

impl JwksServer {
    pub(crate) async fn start(reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let reply = Arc::new(Mutex::new(reply));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let accept_loop = tokio::spawn({
            let (reply, requests) = (Arc::clone(&reply), Arc::clone(&requests));
            let origin_of_answers = origin.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(answer(
                        stream,
                        origin_of_answers.clone(),
                        Arc::clone(&reply),
                        Arc::clone(&requests),
                    ));
                }
            }
        });
        Self {
            url: format!("{origin}/api/auth/jwks"),
            origin,
            reply,
            requests,
            accept_loop,
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The same server under another path, e.g. for a URL an attacker would plant.
    pub(crate) fn url_for(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    pub(crate) fn reply_with(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }

    pub(crate) fn requests(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub(crate) fn request_times(&self) -> Vec<Instant> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(at, _)| *at)
            .collect()
    }

    pub(crate) fn request_paths(&self) -> Vec<String> {
        let requests = self.requests.lock().unwrap();
        requests.iter().map(|(_, path)| path.clone()).collect()
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

async fn answer(
    mut stream: TcpStream,
    origin: String,
    reply: Arc<Mutex<Reply>>,
    requests: Arc<Mutex<Vec<(Instant, String)>>>,
) {
    let mut request = Vec::new();
    let mut buffer = [0; 1024];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    let request_line = String::from_utf8_lossy(&request);
    let path = request_line
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    requests
        .lock()
        .unwrap()
        .push((Instant::now(), path.clone()));

    let mut reply = reply.lock().unwrap().clone();
    let mut location = None;
    if let Reply::Redirect {
        location: to,
        there,
    } = reply
    {
        if to == format!("{origin}{path}") {
            reply = *there;
        } else {
            location = Some(to);
            reply = Reply::Status(307);
        }
    }
    let (status, body, cache_control) = match reply {
        Reply::Hang => return std::future::pending().await,
        Reply::Status(status) => (status, String::new(), None),
        Reply::Redirect { .. } => unreachable!("answered above"),
        Reply::Jwks {
            body,
            cache_control,
            gate,
        } => {
            if let Some(mut gate) = gate {
                // An error means the test has finished with the gate: answer anyway.
                let _ = gate.wait_for(|open| *open).await;
            }
            (200, body, cache_control)
        }
    };
    let mut response = format!(
        "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(cache_control) = cache_control {
        response.push_str(&format!("Cache-Control: {cache_control}\r\n"));
    }
    if let Some(location) = location {
        response.push_str(&format!("Location: {location}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    // The client may have given up (timeout); nothing to do about it here.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
