#!/usr/bin/env bash
# Install the emulator's Python environment (requirements.txt: moto server and the validators,
# pinned) into the venv named: `bash tests/emulator/install.sh target/moto-venv`. .ci/run and the
# tests (tests/support/mod.rs, on first use) both install through here.
set -euo pipefail
venv=$1
requirements="$(cd "$(dirname "$0")" && pwd)/requirements.txt"
python3 -m venv "$venv"
# uv installs the pinned requirements in parallel and compiles them: 9 s against pip's 31 s on
# two cores (BENCHMARKS.md, "Building"). pip when uv cannot be had.
if "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==0.13.9" \
  && "$venv/bin/uv" pip install --quiet --native-tls --python "$venv/bin/python" \
       --compile-bytecode -r "$requirements"; then
  exit 0
fi
echo "uv could not install $requirements; installing it with pip" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
