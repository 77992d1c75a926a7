#!/usr/bin/env bash
# Fails when a locked dependency declares a rust-version above the workspace's: the
# workspace's `rust-version` must be the true minimum toolchain. Only one toolchain is
# available where CI runs, so this reads what each package declares instead of building
# with an older compiler.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v python3 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3 >/dev/null; }

cargo metadata --format-version 1 --locked | python3 -c '
import json, sys

def version(text):
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))

metadata = json.load(sys.stdin)
members = set(metadata["workspace_members"])
packages = metadata["packages"]
ours = {p["rust_version"] for p in packages if p["id"] in members}
if len(ours) != 1 or None in ours:
    sys.exit(f"every workspace member must state the same rust-version, found {sorted(map(str, ours))}")
workspace = ours.pop()
too_new = sorted(
    (p["name"], p["version"], p["rust_version"])
    for p in packages
    if p["id"] not in members
    and p["rust_version"]
    and version(p["rust_version"]) > version(workspace)
)
for name, package_version, needs in too_new:
    print(f"{name} {package_version} needs Rust {needs}", file=sys.stderr)
if too_new:
    sys.exit(f"the workspace says rust-version = \"{workspace}\": raise it, or lock older versions")
print(f"rust-version {workspace} covers every locked dependency")
'
