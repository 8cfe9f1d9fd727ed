#!/usr/bin/env bash
# make test: unit tests, then the lab's own tests, then the end-to-end tests on lab machines.
# The lab is torn down at the end whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
trap '.venv/bin/python lab/labctl.py down >/dev/null 2>&1 || true' EXIT
# A lab left up by make demo would make the lab's own tests skip themselves: start from none.
.venv/bin/python lab/labctl.py down >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
.venv/bin/python -m pytest -p no:cacheprovider tests/unit tests/lab tests/e2e tests/ecosystem "$@"
