use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, web};
use metrics_exporter_prometheus::PrometheusHandle;
use metrics_process::Collector;
use tasks_http::ApiError;

use super::{MetricsSettings, recorder};
use crate::startup::StartupError;

/// Reads some state into gauges at scrape time.
type Reading = Arc<dyn Fn() + Send + Sync>;

/// The metrics listener, bound but not yet serving.
pub struct MetricsEndpoint {
    listener: TcpListener,
    port: u16,
    readings: Vec<Reading>,
}

/// What a scrape needs.
struct Scrape {
    prometheus: &'static PrometheusHandle,
    readings: Vec<Reading>,
    process: Collector,
}

impl MetricsEndpoint {
    /// Installs the recorder and binds the listener; `None` when metrics are turned off,
    /// in which case nothing is recorded anywhere (the facade's calls do nothing).
    pub fn bind(settings: &MetricsSettings) -> Result<Option<Self>, StartupError> {
        if !settings.enabled {
            return Ok(None);
        }
        recorder::prometheus();
        let address = format!("{}:{}", settings.host, settings.port);
        let listen_error = |source| StartupError::Listen {
            address: address.clone(),
            source,
        };
        let listener = TcpListener::bind(&address).map_err(listen_error)?;
        let port = listener.local_addr().map_err(listen_error)?.port();
        Ok(Some(Self {
            listener,
            port,
            readings: Vec::new(),
        }))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs `reading` before each scrape, to set gauges from the state it reads.
    pub fn read_at_scrape(&mut self, reading: impl Fn() + Send + Sync + 'static) {
        self.readings.push(Arc::new(reading));
    }

    /// Sets the in-flight gauge from `count` at each scrape.
    pub fn read_in_flight(&mut self, count: impl Fn() -> usize + Send + Sync + 'static) {
        self.read_at_scrape(move || metrics::gauge!(recorder::IN_FLIGHT).set(count() as f64));
    }

    /// Starts serving on the current runtime, with one worker thread of its own; the handle
    /// stops it.
    pub fn start(self) -> std::io::Result<ServerHandle> {
        let process = Collector::default();
        process.describe();
        let scrape = web::Data::new(Scrape {
            prometheus: recorder::prometheus(),
            readings: self.readings,
            process,
        });
        let server: Server = HttpServer::new(move || {
            App::new()
                .app_data(scrape.clone())
                .service(
                    web::resource("/metrics")
                        .get(render)
                        .default_service(web::to(|| async {
                            Err::<HttpResponse, _>(ApiError::MethodNotAllowed {
                                allow: "GET".into(),
                            })
                        })),
                )
                .default_service(web::to(|| async {
                    Err::<HttpResponse, _>(ApiError::RouteNotFound)
                }))
        })
        .workers(1)
        .disable_signals()
        .listen(self.listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(handle)
    }
}

/// The Prometheus text format of every metric, gauges read just before.
async fn render(scrape: web::Data<Scrape>) -> HttpResponse {
    for reading in &scrape.readings {
        reading();
    }
    scrape.process.collect();
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(scrape.prometheus.render())
}
