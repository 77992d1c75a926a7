#!/usr/bin/env bash
# Prints the path of a `promtool` (Prometheus' checker of the text format), getting one
# when none is found: the one on the PATH, else target/tools/promtool, taken out of
# Debian's `prometheus` package.
#
# Debian ships promtool only in that package (no smaller one provides it): a 19 MB
# download, 96 MB installed, with the Prometheus server, its web assets, a dozen JavaScript
# packages and a service that installing would start. Only the promtool binary is needed,
# so it is extracted from the downloaded package instead of installing the package.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi
tool=$PWD/target/tools/promtool
if [ ! -x "$tool" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "getting promtool from Debian's prometheus package" >&2
  if ! (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1); then
    apt-get update -qq >&2
    (cd "$work" && apt-get download -qq prometheus >&2)
  fi
  dpkg-deb --fsys-tarfile "$work"/prometheus_*.deb | tar -x -C "$work" ./usr/bin/promtool
  mkdir -p "$(dirname "$tool")"
  mv "$work/usr/bin/promtool" "$tool.partial"
  mv "$tool.partial" "$tool"
fi
echo "$tool"
