#!/usr/bin/env bash
# Builds the npm package into pkg/: the release .wasm, the wasm-bindgen
# glue (--target web: ES modules, one .wasm for Node and browsers),
# wasm-opt -Oz, and the hand-written entry points and error classes.
# Needs the wasm32-unknown-unknown target, wasm-bindgen (the version in
# Cargo.lock) on PATH, and wasm-opt: npm's binaryen (`npm ci` puts it in
# node_modules/.bin) or $WASM_OPT. ../ci.sh installs them all.
set -euo pipefail
cd "$(dirname "$0")"

cargo build --release --target wasm32-unknown-unknown
rm -rf pkg
wasm-bindgen --target web --out-dir pkg --out-name mfa_core \
  target/wasm32-unknown-unknown/release/mfa_core.wasm
# Rust's wasm32 target emits these proposals (all in every current
# browser and in Node 20); wasm-opt must be told it may keep them.
"${WASM_OPT:-node_modules/.bin/wasm-opt}" -Oz --strip-debug --strip-producers \
  --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
  pkg/mfa_core_bg.wasm -o pkg/mfa_core_bg.wasm
cp js/errors.js js/errors.d.ts js/index.js js/index.d.ts js/node.js js/node.d.ts pkg/
# wasm-bindgen writes a package.json of its own; the package's is ../package.json.
rm -f pkg/package.json pkg/.gitignore
