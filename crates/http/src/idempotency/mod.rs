//! Safe retries of a create (`Idempotency-Key`): the key a request names itself with, and
//! the fingerprint that tells a repeat of it from another request under the same key.

mod fingerprint;
mod key;

use actix_web::http::header::HeaderName;

pub use fingerprint::fingerprint;
pub use key::idempotency_key;

pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// `Idempotent-Replayed: true` marks an answer given again for a repeated key.
pub static IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
