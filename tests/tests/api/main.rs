//! The HTTP contract (`shared/spec/api.md`), end to end: each test starts the real
//! application over a fresh PostgreSQL database of its own.

mod auth;
mod concurrency;
mod cors_and_headers;
mod entity_tags;
mod idempotency;
mod listing;
mod live_updates;
mod ownership;
mod service_routes;
mod slow_clients;
mod tasks;
mod validation;
