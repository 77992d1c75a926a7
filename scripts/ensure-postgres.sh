#!/usr/bin/env bash
# Makes sure the PostgreSQL server the tests use answers: TEST_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/postgres). A server that already answers there is
# used as it is. Otherwise, for a server on this machine, PostgreSQL is installed with
# apt-get when missing and started when down. Only a server this script installed gets
# its pg_hba.conf changed (trust for local connections, as the tests connect without a
# password); an existing server's authentication is never rewritten.
set -euo pipefail

readonly URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# Written into the configuration of a cluster this script installed.
readonly INSTALLED_HERE_MARKER=installed-by-tasks-ensure-postgres

# host and port from postgres://[user[:password]@]host[:port][/db][?...]
if [[ $URL =~ ^postgres(ql)?://([^@/]*@)?(\[[^]]*\]|[^:/?]*)(:([0-9]+))? ]]; then
  host=${BASH_REMATCH[3]:-127.0.0.1}
  port=${BASH_REMATCH[5]:-5432}
else
  echo "TEST_DATABASE_URL is not a postgres:// URL" >&2
  exit 1
fi
host=${host#[}
host=${host%]}

answers() { pg_isready -d "$URL" -q 2>/dev/null; }
accepts_us() { psql "$URL" -XAtqc 'SELECT 1' >/dev/null 2>&1; }

report() {
  if accepts_us; then
    echo "PostgreSQL answers at $host:$port"
  else
    echo "PostgreSQL at $host:$port answers but refuses TEST_DATABASE_URL's login;" \
      "set TEST_DATABASE_URL to a role that may create databases" >&2
    exit 1
  fi
}

# The client tools alone: never a server just to ask whether one answers.
if ! command -v psql >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
  echo "installing the PostgreSQL client"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
fi

if answers; then
  report
  exit 0
fi

case $host in
  127.0.0.1 | localhost | ::1) ;;
  *)
    echo "PostgreSQL does not answer at $host:$port (TEST_DATABASE_URL); start it" >&2
    exit 1
    ;;
esac

installed_here=false
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "installing PostgreSQL"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  installed_here=true
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
config=/etc/postgresql/$version/main
if $installed_here; then
  touch "$config/$INSTALLED_HERE_MARKER"
fi

if [[ -e $config/$INSTALLED_HERE_MARKER ]]; then
  # Our own test server: listen on TEST_DATABASE_URL's port, trust local connections.
  pg_conftool "$version" main set port "$port"
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$config/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$config/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main stop 2>/dev/null || true
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
else
  echo "starting PostgreSQL $version (its configuration is left as it is)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi

for _ in $(seq 1 30); do answers && break; sleep 1; done
answers || { echo "PostgreSQL does not answer at $host:$port" >&2; exit 1; }
report
