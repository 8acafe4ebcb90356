#!/usr/bin/env bash
# Side-by-side figures for docs/PERFORMANCE.md: the Python binding and
# the WASM package against plain-language equivalents, and
# django-phone-verify's own code path; the .wasm size.
#
# Builds what it needs: the wheel (maturin, into a venv), the npm package
# (wasm/build.sh, needs the tools ci.sh installs), and a second venv with
# django-phone-verify from PyPI. Numbers are µs per call, best of 5 runs
# of about 0.25 s (django-phone-verify: best of 3 of 0.5 s).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
WORK=$(mktemp -d /tmp/mfa-bindings-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "== building the wheel and the npm package" >&2
"$PYTHON" -m venv "$WORK/py"
"$WORK/py/bin/pip" install -q --disable-pip-version-check 'maturin>=1.9.4,<2'
PYO3_PYTHON="$WORK/py/bin/python" "$WORK/py/bin/maturin" build -q --release \
  --manifest-path python/Cargo.toml --out "$WORK/wheels" >&2
"$WORK/py/bin/pip" install -q --disable-pip-version-check "$WORK"/wheels/*.whl
[ -d wasm/node_modules ] || (cd wasm && npm ci --no-audit --no-fund >&2)
bash wasm/build.sh >&2

echo "== django-phone-verify (PyPI) in its own venv" >&2
"$PYTHON" -m venv "$WORK/dpv"
"$WORK/dpv/bin/pip" install -q --disable-pip-version-check django-phone-verify

echo "== running" >&2
"$WORK/py/bin/python" bench/bench_python.py >"$WORK/python.json"
(cd bench && "$WORK/dpv/bin/python" bench_dpv.py) >"$WORK/dpv.json"
node bench/bench_js.mjs >"$WORK/js.json"
dpv_version=$("$WORK/dpv/bin/pip" show django-phone-verify | sed -n 's/^Version: //p')

raw=$(wc -c <wasm/pkg/mfa_core_bg.wasm)
gz=$(gzip -9c wasm/pkg/mfa_core_bg.wasm | wc -c)

"$PYTHON" - "$WORK" "$raw" "$gz" "$dpv_version" <<'PY'
import json, sys
work, raw, gz, dpv_version = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
py = json.load(open(f"{work}/python.json"))
dpv = json.load(open(f"{work}/dpv.json"))
js = json.load(open(f"{work}/js.json"))
f = lambda x: f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"
print(f"CPython {py['python']}, Django {dpv['django']} + django-phone-verify {dpv_version}, Node {js['node']}")
print()
print("| call | binding µs | plain µs | plain / binding | django-phone-verify µs | dpv / binding |")
print("|---|---:|---:|---:|---:|---:|")
for name, r in py["rows"].items():
    d = dpv["rows"].get(name)
    dcell = (f"{f(d)} | {d / r['binding']:.0f}x") if d else "— | —"
    print(f"| {name} | {f(r['binding'])} | {f(r['plain'])} | {r['plain'] / r['binding']:.2f}x | {dcell} |")
d = dpv["rows"]["python: code generation alone"]
print(f"| python: code generation alone (dpv: get_random_string) | — | — | — | {f(d)} | — |")
for name, r in js["rows"].items():
    if "plain" in r:
        print(f"| {name} | {f(r['binding'])} | {f(r['plain'])} | {r['plain'] / r['binding']:.2f}x | — | — |")
    else:
        print(f"| {name} | {f(r['binding'])} | — | — | — | — |")
print()
print(f"mfa_core_bg.wasm (release, wasm-opt -Oz): {raw} bytes ({raw / 1000:.1f} kB), "
      f"{gz} bytes gzipped -9 ({gz / 1000:.1f} kB)")
PY
