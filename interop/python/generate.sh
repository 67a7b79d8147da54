#!/usr/bin/env bash
# Generates the Python modules from the .proto files into interop/python/gen/
# (gitignored): protoc and the python3-protobuf runtime come from the same
# Debian release, so the generated code always matches the runtime it runs on.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
rm -rf "$here/gen"
mkdir -p "$here/gen"
protoc -I "$root/proto" --python_out="$here/gen" "$root"/proto/clacks/v1/*.proto
