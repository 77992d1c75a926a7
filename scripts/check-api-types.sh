#!/usr/bin/env bash
# Fails when frontend/src/lib/api-schema.ts no longer matches the OpenAPI document that the
# current API build serves: builds and starts target/debug/tasks-api on a throwaway SQLite
# store, fetches /openapi.json, regenerates the types with openapi-typescript and compares.
# With --write, replaces the committed file instead. Needs `npm ci` in frontend/ first.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMA=frontend/src/lib/api-schema.ts
work=$(mktemp -d)
api_pid=
cleanup() {
  if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cargo build -p tasks-server
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
env -i PATH="$PATH" HOME="$work" HOST=127.0.0.1 PORT="$port" APP__METRICS__PORT=0 \
  BETTER_AUTH_SECRET="$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')" \
  DATABASE_URL="sqlite://$work/t.db" target/debug/tasks-api >"$work/api.log" 2>&1 &
api_pid=$!

for _ in $(seq 1 150); do
  if curl -sf "http://127.0.0.1:$port/openapi.json" -o "$work/openapi.json"; then break; fi
  kill -0 "$api_pid" 2>/dev/null || { cat "$work/api.log"; echo "tasks-api exited" >&2; exit 1; }
  sleep 0.2
done
[ -s "$work/openapi.json" ] || { cat "$work/api.log"; echo "no /openapi.json within 30 s" >&2; exit 1; }

(cd frontend && npx --no-install openapi-typescript "$work/openapi.json" -o "$work/api-schema.ts" >/dev/null)
if [ "${1:-}" = "--write" ]; then
  cp "$work/api-schema.ts" "$SCHEMA"
  echo "wrote $SCHEMA"
elif ! diff -u "$SCHEMA" "$work/api-schema.ts"; then
  echo "$SCHEMA is out of date with the API's /openapi.json: run scripts/check-api-types.sh --write" >&2
  exit 1
else
  echo "$SCHEMA matches the API's /openapi.json"
fi
