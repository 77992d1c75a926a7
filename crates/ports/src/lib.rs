//! Ports and use cases.
//!
//! `TaskRepository` and `TokenVerifier` are what the outside world must provide;
//! `TaskService` is what the inside offers, and `ChangeHub` carries the changes a store
//! announces to the users' live-update streams. Ownership is decided here: every use case takes
//! an [`Owner`], which only [`Owner::authorize`] can make.

mod changes;
mod error;
#[cfg(any(test, feature = "in-memory"))]
pub mod in_memory;
mod owner;
mod repository;
mod service;
mod token;

pub use changes::{ChangeHub, FeedEvent, StreamLimits, Subscription, TooManyStreams};
pub use error::TaskError;
pub use owner::{Forbidden, Owner};
pub use repository::{Created, TaskRepository};
pub use service::TaskService;
pub use token::{AuthError, Claims, TokenVerifier};
