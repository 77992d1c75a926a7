mod normalize_path;
mod request_id;
mod security_headers;
mod tracing_span;

pub use normalize_path::normalize_path;
pub use request_id::{RequestId, X_REQUEST_ID, request_id};
pub use security_headers::api_security_headers;
pub use tracing_span::RequestSpan;
