#!/usr/bin/env bash
# Load benchmark: the release binary against PostgreSQL alone running the same SQL.
#
#   scripts/bench.sh [bench.py options]      e.g. --duration 5 --scenarios list,get
#
# Builds `tasks-api` in release mode, installs wrk (Debian package) when missing, then runs
# scripts/bench/bench.py: a fresh database on TEST_DATABASE_URL's server (default
# postgres://postgres@127.0.0.1:5432/postgres; dropped at exit), 100 users x 20 tasks seeded
# through the API, wrk and pgbench (-M prepared, same client count and duration) taking
# turns, and a table of req/s, p50/p99, errors, RSS, time to ready and the ratio to pgbench.
# Exits non-zero on any non-2xx response, socket error or failed transaction.
# Environment: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (32), BENCH_THREADS (2),
# BENCH_ROUNDS (1), BENCH_SCENARIOS, BENCH_JWKS_SCENARIOS, BENCH_WARMUP (3 s),
# BENCH_WRITE_COSTS (e.g. create,toggle: also with the change notification off, pgbench
# without the version, and creates with an Idempotency-Key; docs/performance.md).
# Metrics are on, as deployed; `--server-env APP__METRICS__ENABLED=false` measures without
# them (docs/metrics.md: the cost of the metrics).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in pgbench psql openssl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required (PostgreSQL client tools, openssl, python3)" >&2; exit 1; }
done

cargo build --release -p tasks-server
exec python3 scripts/bench/bench.py --binary target/release/tasks-api "$@"
