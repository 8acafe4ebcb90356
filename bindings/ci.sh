#!/usr/bin/env bash
# CI for the language bindings (bindings/python, bindings/wasm), from a
# fresh machine: Debian, stable Rust by rustup, python3 (3.9+), node 20+.
#
# - Python: format, lints and docs of the PyO3 crate; maturin (from PyPI,
#   into a throw-away venv) builds the abi3 wheel; a second fresh venv
#   installs the wheel, pytest and Flask, and runs the tests: every vector
#   file, the API tests, the Flask example.
# - WASM: the wasm32 target (rustup), wasm-bindgen-cli at the version in
#   Cargo.lock (crates.io), the npm devDependencies (binaryen's wasm-opt,
#   express, typescript; npm ci); format, lints and docs for wasm32; the
#   release package (wasm-opt -Oz); node --test on every vector file and
#   the examples; tsc on the .d.ts.
#
# Prints the vector counts and the .wasm size, raw and gzipped.
set -euo pipefail
cd "$(dirname "$0")"
BINDINGS=$(pwd)
export CARGO_TERM_COLOR=never
start=$SECONDS
step() { printf '\n== %s (%ds)\n' "$*" $((SECONDS - start)); }

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
WORK=$(mktemp -d /tmp/mfa-bindings-ci.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# --- Python --------------------------------------------------------------------------

step "python: tools (maturin from PyPI, in a throw-away venv)"
"$PYTHON" -m venv "$WORK/tools"
"$WORK/tools/bin/pip" install -q --disable-pip-version-check 'maturin>=1.9.4,<2'
# PyO3's build script finds the interpreter here.
export PYO3_PYTHON="$WORK/tools/bin/python"

step "python: format, lints, docs"
(
  cd python
  cargo fmt --check
  cargo clippy --all-targets -- -D warnings
  RUSTDOCFLAGS="-D warnings" cargo doc --no-deps
)

step "python: the abi3 wheel (maturin build --release)"
"$WORK/tools/bin/maturin" build --release --manifest-path python/Cargo.toml --out "$WORK/wheels"
wheel=$(ls "$WORK"/wheels/*.whl)
case "$wheel" in
  *-abi3-*) echo "wheel: $(basename "$wheel")" ;;
  *) echo "not an abi3 wheel: $wheel" >&2; exit 1 ;;
esac

step "python: the wheel in a fresh venv, then pytest"
"$PYTHON" -m venv "$WORK/test"
"$WORK/test/bin/pip" install -q --disable-pip-version-check "$wheel" pytest flask
# From outside the source tree, so the installed wheel is what is tested.
(cd "$WORK" && "$WORK/test/bin/python" -m pytest "$BINDINGS/python/tests" -q -p no:cacheprovider) \
  | tee "$WORK/pytest.log"
py_vectors=$(grep -E '^vectors: ' "$WORK/pytest.log")

# --- WASM --------------------------------------------------------------------------------

step "wasm: tools (wasm32 target, wasm-bindgen-cli, npm ci)"
rustup target add wasm32-unknown-unknown
want=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' wasm/Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  # --locked first; the registry has at times lacked a locked dependency
  # of the CLI (webpki-roots), and then a fresh resolution builds it.
  # --force: cargo's record of an install may outlive its binary.
  cargo install --force --locked wasm-bindgen-cli --version "$want" ||
    cargo install --force wasm-bindgen-cli --version "$want"
fi
(cd wasm && npm ci --no-audit --no-fund)

step "wasm: format, lints, docs (wasm32)"
(
  cd wasm
  cargo fmt --check
  cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings
  RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --target wasm32-unknown-unknown
)

step "wasm: the npm package (release, wasm-opt -Oz)"
bash wasm/build.sh

step "wasm: node --test, then tsc on the .d.ts"
(cd wasm && node --test test/*.test.js) | tee "$WORK/node.log"
(cd wasm && node_modules/.bin/tsc -p test/tsconfig.json)
js_vectors=$(grep -E '^# vectors: ' "$WORK/node.log" | sed 's/^# //')

raw=$(wc -c <wasm/pkg/mfa_core_bg.wasm)
gz=$(gzip -9c wasm/pkg/mfa_core_bg.wasm | wc -c)

echo
echo "python $py_vectors"
echo "wasm   $js_vectors"
echo "mfa_core_bg.wasm: $raw bytes, $gz bytes gzipped (-9)"
echo "bindings CI passed in $((SECONDS - start)) s"
