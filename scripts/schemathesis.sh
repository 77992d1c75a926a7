#!/usr/bin/env bash
# Schemathesis against the real binary: serves tasks-api on a free port over a fresh
# PostgreSQL database and runs every check on its own GET /openapi.json with a valid
# token. Fails on any 5xx, any answer the document does not describe, any schema-valid
# request refused and any schema-invalid one accepted.
#
# The live-update stream (GET /api/{user_id}/tasks/events) is left out: a valid request
# streams until the token expires. The end-to-end tests cover it. Generated idempotency
# keys get a unique suffix (scripts/schemathesis_hooks.py), so that unrelated creates do
# not replay each other.
#
# Needs python3, psql and a PostgreSQL server in TEST_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/postgres; scripts/ensure-postgres.sh starts one).
# SCHEMATHESIS_MAX_EXAMPLES sets the test cases per operation and phase (default 200:
# about 2000 requests in all, a few minutes on two cores); extra arguments go to
# `schemathesis run` (e.g. `--seed N` to replay a run).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly SCHEMATHESIS_VERSION=4.32.5
readonly MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-200}
readonly ADMIN_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
readonly USER_ID=schemathesis-user
readonly WORK=target/schemathesis
mkdir -p "$WORK"

echo "== schemathesis $SCHEMATHESIS_VERSION"
venv=$WORK/venv
if [[ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != *" $SCHEMATHESIS_VERSION" ]]; then
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

echo "== building tasks-api"
cargo build --quiet -p tasks-server

database=tasks_schemathesis_$$
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
}
trap cleanup EXIT

psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $database"
database_url=$(python3 - "$ADMIN_URL" "$database" <<'EOF'
import sys
from urllib.parse import urlsplit

url, name = sys.argv[1:]
print(urlsplit(url)._replace(path="/" + name).geturl())
EOF
)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')

echo "== serving on 127.0.0.1:$port"
DATABASE_URL=$database_url BETTER_AUTH_SECRET=$secret HOST=127.0.0.1 PORT=$port APP__METRICS__PORT=0 \
  RUST_LOG=${RUST_LOG:-warn} target/debug/tasks-api serve >"$WORK/server.log" 2>&1 &
server_pid=$!
base_url=http://127.0.0.1:$port
for _ in $(seq 1 60); do
  curl -fs "$base_url/ready" >/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.5
done
curl -fs "$base_url/ready" >/dev/null || { echo "tasks-api is not ready" >&2; cat "$WORK/server.log"; exit 1; }

# An HS256 token for USER_ID, valid for an hour.
token=$(BETTER_AUTH_SECRET=$secret python3 - "$USER_ID" <<'EOF'
import base64, hashlib, hmac, json, os, sys, time

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

now = int(time.time())
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = b64(json.dumps({"sub": sys.argv[1], "iat": now, "exp": now + 3600}).encode())
signed = f"{header}.{claims}".encode()
key = os.environ["BETTER_AUTH_SECRET"].encode()
print(f"{header}.{claims}.{b64(hmac.new(key, signed, hashlib.sha256).digest())}")
EOF
)

# The token and the user stay out of the command line; schemathesis reads them from here.
cat >"$WORK/schemathesis.toml" <<'EOF'
[auth.openapi.bearer]
bearer = "${TASKS_TOKEN}"

[parameters]
"path.user_id" = "${TASKS_USER_ID}"
# Its coverage phase sends values outside these headers' documented pattern as valid ones
# (`If-Match: 0`), so they are fixed here; their parser has unit tests of its own. Setting
# a header replaces the generated ones, so the token is named here too.
"header.If-Match" = "*"
"header.If-None-Match" = "\"stale\", W/\"older\""
"header.Authorization" = "Bearer ${TASKS_TOKEN}"

# Unknown query parameters are ignored, as FastAPI does (README: choices where the
# contract is silent), so a request with one is not schema-violating here.
[generation]
allow-extra-parameters = false

# A valid request for this user may only miss a task, or meet a precondition or an
# idempotency key that does not fit the task's state (304, 409, 412, and 422 for a key first
# used with another body); nothing else counts as accepted.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "304", "404", "409", "412", "422"]
EOF

echo "== schemathesis run"
TASKS_TOKEN=$token TASKS_USER_ID=$USER_ID \
  PYTHONPATH="$PWD/scripts" SCHEMATHESIS_HOOKS=schemathesis_hooks \
  "$venv/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run "$base_url/openapi.json" \
  --checks all \
  --exclude-path '/api/{user_id}/tasks/events' \
  --max-examples "$MAX_EXAMPLES" \
  --generation-database "$WORK/examples" \
  --no-color "$@"
