#!/usr/bin/env bash
# The frontend's checks: its API types against the current API's /openapi.json, tsc and
# eslint, one production build (`next build`), then the browser tests (node --test) against
# `next start` with the API on PostgreSQL, and the smoke test of scripts/dev.sh.
# Needs PostgreSQL (TEST_DATABASE_URL; started here when it is down), Node 20+ with npm,
# and Debian's chromium (installed here when missing). Extra arguments go to `node --test`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-postgres.sh

echo "== npm ci (frontend)"
(cd frontend && npm ci --no-audit --no-fund --loglevel=error)

if ! [ -x /usr/bin/chromium ]; then
  echo "== installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

echo "== API types match the API's /openapi.json"
scripts/check-api-types.sh

cd frontend
echo "== tsc and eslint (frontend)"
npm run --silent typecheck
npm run --silent lint

# The browser-side API URL is fixed at build time, so the build names the port that the
# tests then start the API on.
api_port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
export NEXT_PUBLIC_API_URL="http://127.0.0.1:$api_port"
echo "== next build (API at $NEXT_PUBLIC_API_URL)"
npx --no-install next build

echo "== node --test (logs and screenshots in frontend/test-output/)"
node --test --test-reporter=tap --test-concurrency=1 "$@" tests/
