#!/usr/bin/env bash
# ansible-lint with the production profile on the whole collection (settings: .ansible-lint), offline: it
# installs nothing and does not look for a newer ansible-lint. The collections it resolves (amazon.aws,
# kubernetes.core and this checkout as eks_hybrid.nodes) come from .cache/collections, which make deps fills.
#
#   bash lab/lint.sh [extra ansible-lint arguments]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$repo/.venv/bin/ansible-lint" ]; then
  echo "lint: $repo/.venv/bin/ansible-lint is missing; run make deps" >&2
  exit 1
fi
export PATH="$repo/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$repo/.cache/collections"
export NO_COLOR=1
cd "$repo"
exec ansible-lint --offline "$@"
