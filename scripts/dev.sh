#!/usr/bin/env bash
# The whole system on this machine, with no database server: the Next.js frontend (Better
# Auth on a SQLite file) and the Tasks API (its embedded SQLite store), wired together.
# Needs Rust (cargo) and Node 20+ with npm. Ctrl-C stops both.
#
#   scripts/dev.sh            then open the URL it prints (http://localhost:3000)
#
# Settings (all optional): FRONTEND_PORT (3000), API_PORT (8000), DEV_DATA_DIR (./data):
# where the SQLite files and the generated development secret (dev-secrets.env, gitignored)
# are kept, so accounts and tasks survive a restart.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

frontend_port=${FRONTEND_PORT:-3000}
api_port=${API_PORT:-8000}
data_dir=$(mkdir -p "${DEV_DATA_DIR:-data}" && cd "${DEV_DATA_DIR:-data}" && pwd)
frontend_url="http://localhost:$frontend_port"
api_url="http://localhost:$api_port"

for tool in cargo node npm curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "dev.sh needs $tool on PATH" >&2; exit 1; }
done

secrets="$data_dir/dev-secrets.env"
if ! [ -s "$secrets" ]; then
  (umask 077 && echo "BETTER_AUTH_SECRET=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')" >"$secrets")
  echo "== generated a development secret in $secrets"
fi
# shellcheck source=/dev/null
. "$secrets"

if ! [ -f frontend/node_modules/.package-lock.json ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
  echo "== npm ci (frontend)"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== cargo build -p tasks-server"
cargo build -p tasks-server

pids=()
stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Each server runs in its own process group, so stopping it stops all of its children.
start() { setsid "$@" & pids+=("$!"); }

wait_for() { # URL SECONDS WHAT
  for _ in $(seq 1 $(($2 * 4))); do
    curl -sf -o /dev/null "$1" && return 0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "$3 stopped; see its output above" >&2; exit 1; }; done
    sleep 0.25
  done
  echo "$3 did not answer $1 within $2 s" >&2
  exit 1
}

# The frontend first: the API answers 503 to every token until it has fetched the JWKS once.
echo "== frontend (next dev) on $frontend_url"
start env -C frontend \
  BETTER_AUTH_SECRET="$BETTER_AUTH_SECRET" BETTER_AUTH_URL="$frontend_url" \
  AUTH_SQLITE_PATH="$data_dir/auth.db" NEXT_PUBLIC_API_URL="$api_url" \
  DATABASE_URL= NEXT_TELEMETRY_DISABLED=1 \
  npx --no-install next dev -p "$frontend_port"
wait_for "$frontend_url/api/auth/jwks" 300 "the frontend"

# Every auth setting is given, so a .env file of another setup cannot change them.
echo "== Tasks API on $api_url"
start env -C "$data_dir" \
  HOST=127.0.0.1 PORT="$api_port" DATABASE_URL="sqlite://$data_dir/tasks.db" \
  BETTER_AUTH_URL="$frontend_url" CORS_ORIGINS="$frontend_url" APP_ENV=local \
  JWKS_URL="$frontend_url/api/auth/jwks" JWT_ISSUER="$frontend_url" JWT_AUDIENCE="$frontend_url" \
  "$repo/target/debug/tasks-api"
wait_for "http://127.0.0.1:$api_port/ready" 120 "the Tasks API"

echo
echo "Tasks is running: open $frontend_url (API at $api_url). Ctrl-C stops it."
wait -n "${pids[@]}"
echo "a server stopped; stopping the other" >&2
exit 1
