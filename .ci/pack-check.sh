#!/usr/bin/env bash
# The package as a user gets it: npm pack (prepack builds), the tarball installed into a scratch
# app in a temporary folder, then a CommonJS, an ES module and a TypeScript consumer (the latest
# TypeScript, with @types/node as the README says) run against it; its source maps and its clacks
# command are checked too, and its types by arethetypeswrong. The consumers are .ci/consumers/.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tarball="clacks-$(node -p "require('./package.json').version").tgz"
npm pack --silent --pack-destination "$scratch" >/dev/null
# Types resolve, and say the right module format, for every TypeScript resolution mode (node10, node16 from CJS and ESM, bundler).
npx attw --quiet "$scratch/$tarball"
cp .ci/consumers/* "$scratch/"
cd "$scratch"
printf '{ "name": "scratch-app", "private": true }\n' > package.json
npm install --no-audit --no-fund --loglevel=error "./$tarball" typescript@latest @types/node@20
node consumer.cjs
node consumer.mjs
node source-maps.cjs
npx clacks --version >/dev/null
npx tsc -p tsconfig.json
echo "TypeScript consumer ($(npx tsc --version)): ok"
