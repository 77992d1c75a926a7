#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 (trust auth for `postgres`, as
# the tests expect): installs it with apt-get when missing, starts it when it is down.
set -euo pipefail

answers() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "installing PostgreSQL"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

if ! answers; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  config=/etc/postgresql/$version/main
  # Local test server: listen on loopback and trust local connections.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$config/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$config/pg_hba.conf"
  fi
  echo "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do answers && break; sleep 1; done
fi

answers || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
echo "PostgreSQL answers on 127.0.0.1:5432"
