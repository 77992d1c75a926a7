#!/usr/bin/env bash
# Installs what the tests start on their own when it is missing: Debian's PgBouncer (the
# transaction-pooler tests) and HAProxy (the fleet test).
set -euo pipefail

missing=()
for tool in pgbouncer haproxy; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
