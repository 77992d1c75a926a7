use metrics::{Unit, describe_counter, describe_histogram};

pub(super) const REQUESTS: &str = "tasks_http_requests_total";
pub(super) const DURATION: &str = "tasks_http_request_duration_seconds";

/// Registers the help text of the request metrics with the installed recorder.
pub fn describe() {
    describe_counter!(
        REQUESTS,
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its response head, by route template."
    );
}
