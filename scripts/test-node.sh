#!/usr/bin/env bash
# The Node end-to-end tests (tests/better-auth/): our binary against a real Better Auth
# server (every key type, key rotation, shared database), and the seed's whole flow in
# headless Chromium. Needs PostgreSQL on 127.0.0.1:5432 (started here when it is down),
# Node 20+ with npm, and Debian's chromium (installed here when missing). Extra arguments
# go to `node --test` (e.g. --test-name-pattern=ES256).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-postgres.sh

echo "== npm ci (tests/better-auth)"
(cd tests/better-auth && npm ci --no-audit --no-fund --loglevel=error)

if ! [ -x /usr/bin/chromium ]; then
  echo "== installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

echo "== cargo build -p tasks-server"
cargo build -p tasks-server

echo "== node --test (logs and screenshots in tests/output/)"
cd tests/better-auth
node --test --test-reporter=tap --test-concurrency=1 "$@" better-auth.test.mjs browser.test.mjs
