#!/usr/bin/env bash
# The whole test suite: unit, adapter and end-to-end tests in Rust; the end-to-end HTTP
# suite a second time on the embedded SQLite store; then the Node tests against a real
# Better Auth server and in headless Chromium (scripts/test-node.sh). Tests that need
# PostgreSQL use TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
# which scripts/ensure-postgres.sh makes available first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-postgres.sh

cargo test --workspace
echo "== end-to-end HTTP suite on the SQLite store"
TEST_STORE=sqlite cargo test -p tasks-e2e --test api
scripts/test-node.sh
