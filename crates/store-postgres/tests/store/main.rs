//! The PostgreSQL store against a real server (`TEST_DATABASE_URL`), each test with a
//! database of its own; the TLS tests start a cluster of their own, the pooler tests a
//! PgBouncer.

mod availability;
mod change_listener;
mod freezing_proxy;
mod idempotency;
mod listing;
mod metrics;
mod migrations;
mod pooler;
mod races;
mod shared_reads;
mod support;
mod tls;
mod tls_cluster;
mod use_cases;
mod write_batches;
