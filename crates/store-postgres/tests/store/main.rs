//! The PostgreSQL store against a real server (`TEST_DATABASE_URL`), each test with a
//! database of its own; the TLS tests start a cluster of their own.

mod availability;
mod listing;
mod metrics;
mod migrations;
mod shared_reads;
mod support;
mod tls;
mod tls_cluster;
mod use_cases;
