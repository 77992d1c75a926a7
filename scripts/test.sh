#!/usr/bin/env bash
# The whole test suite: unit, adapter and end-to-end tests. Tests that need PostgreSQL use
# TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace "$@"
