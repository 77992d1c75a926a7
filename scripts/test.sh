#!/usr/bin/env bash
# The whole test suite: unit, adapter and end-to-end tests in Rust (the fleet test among
# them); the end-to-end HTTP suite again on the embedded SQLite store and through PgBouncer;
# then the Node tests against a real Better Auth server and in headless Chromium
# (scripts/test-node.sh), and the frontend's checks and browser tests
# (scripts/test-frontend.sh). Tests that need PostgreSQL use TEST_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/postgres), which scripts/ensure-postgres.sh makes
# available first; scripts/ensure-test-tools.sh installs PgBouncer and HAProxy.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-postgres.sh
scripts/ensure-test-tools.sh

cargo test --workspace
echo "== end-to-end HTTP suite on the SQLite store"
TEST_STORE=sqlite cargo test -p tasks-e2e --test api
echo "== end-to-end HTTP suite through PgBouncer in transaction mode"
TEST_POOLER=pgbouncer cargo test -p tasks-e2e --test api
scripts/test-node.sh
scripts/test-frontend.sh
