#!/usr/bin/env bash
# Generates the Python modules from the .proto files into interop/python/gen/
# (gitignored): protoc and the python3-protobuf runtime come from the same
# Debian release, so the generated code always matches the runtime it runs on.
# Each module is renamed into place, so a tower starting meanwhile (tests run
# in parallel) never reads a half-written one.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
tmp="$(mktemp -d "$here/.gen.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
protoc -I "$root/proto" --python_out="$tmp" "$root"/proto/clacks/v1/*.proto
mkdir -p "$here/gen/clacks/v1"
for module in "$tmp"/clacks/v1/*.py; do
  mv -f "$module" "$here/gen/clacks/v1/"
done
