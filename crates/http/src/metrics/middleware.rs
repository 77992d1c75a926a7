use std::cell::RefCell;
use std::collections::HashMap;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use metrics::{Counter, Histogram};
use pin_project_lite::pin_project;

use super::labels::{MethodLabel, RouteLabel};
use super::names::{DURATION, REQUESTS};

/// Counts every request by method, route template and status, and records its latency by
/// route template. Wrap it outermost, so that requests answered by other middleware (CORS
/// preflights, refusals) count too.
///
/// The hot path takes no lock and allocates nothing: each worker thread keeps the handles of
/// the series it has seen (an atomic counter each), and a series is registered with the
/// recorder the first time it occurs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestMetrics;

impl<S, B> Transform<S, ServiceRequest> for RequestMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestMetricsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestMetricsService {
            service,
            series: Rc::new(WorkerSeries::register()),
        }))
    }
}

pub struct RequestMetricsService<S> {
    service: S,
    series: Rc<WorkerSeries>,
}

impl<S, B> Service<ServiceRequest> for RequestMetricsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Measured<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        Measured {
            method: MethodLabel::of(request.method()),
            started: Instant::now(),
            series: Rc::clone(&self.series),
            answer: self.service.call(request),
        }
    }
}

pin_project! {
    /// The inner service's answer; recorded when it is ready.
    pub struct Measured<F> {
        #[pin]
        answer: F,
        method: MethodLabel,
        started: Instant,
        series: Rc<WorkerSeries>,
    }
}

impl<F, B> Future for Measured<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Poll::Ready(outcome) = this.answer.poll(cx) else {
            return Poll::Pending;
        };
        let (route, status) = match &outcome {
            Ok(response) => (
                RouteLabel::of_request(response.request()),
                response.status().as_u16(),
            ),
            // An error that no inner layer turned into a response: the request is gone.
            Err(error) => (
                RouteLabel::UNMATCHED,
                error.as_response_error().status_code().as_u16(),
            ),
        };
        this.series
            .record(*this.method, route, status, *this.started);
        Poll::Ready(outcome)
    }
}

/// One worker thread's handles.
struct WorkerSeries {
    /// By route, in [`RouteLabel`] order.
    durations: Vec<Histogram>,
    requests: RefCell<HashMap<(MethodLabel, RouteLabel, u16), Counter>>,
}

impl WorkerSeries {
    fn register() -> Self {
        let durations = RouteLabel::all()
            .map(|route| metrics::histogram!(DURATION, "route" => route.as_str()))
            .collect();
        Self {
            durations,
            requests: RefCell::default(),
        }
    }

    fn record(&self, method: MethodLabel, route: RouteLabel, status: u16, started: Instant) {
        self.durations[route.index()].record(started.elapsed());
        self.requests
            .borrow_mut()
            .entry((method, route, status))
            .or_insert_with(|| {
                metrics::counter!(
                    REQUESTS,
                    "method" => method.as_str(),
                    "route" => route.as_str(),
                    "status" => status.to_string(),
                )
            })
            .increment(1);
    }
}
