#!/usr/bin/env bash
# Creates the Python venv of models/ at <repo>/.venv and installs models/requirements.txt when it changed (idempotent).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/models/requirements.txt"
STAMP="$VENV/.models-requirements.sha256"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup-models: creating $VENV with $($PY --version 2>&1)"
  "$PY" -m venv "$VENV"
fi

want="$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$REQ")"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [ "$want" = "$have" ]; then
  exit 0
fi

echo "setup-models: installing $REQ"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
echo "$want" > "$STAMP"
echo "setup-models: done"
