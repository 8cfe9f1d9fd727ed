#!/usr/bin/env bash
# ansible-test sanity and units on the collection's own content, staged where ansible-test wants a collection:
# <tmp>/ansible_collections/eks_hybrid/nodes, holding the files git lists (tracked, plus untracked files that
# .gitignore does not exclude) less those galaxy.yml's build_ignore keeps out of the built collection (the lab, the
# lab and end-to-end tests, molecule, ...), with amazon.aws and kubernetes.core from .cache/collections beside it.
# The sanity tests are about what the collection ships; the lab is tested by its own tests and by lab/lint.sh.
#
#   bash lab/sanity.sh [sanity|units|all] [extra ansible-test arguments]     (default: all)
#
# ansible-test runs each test in a virtual environment of its own (--venv; no container engine here). It
# bootstraps pip in those environments with a get-pip script that it downloads from a host out of reach, unless
# its cache already holds one; this script puts a stand-in there that uses Python's bundled ensurepip instead.
# ansible-test's home (its cache and environments) is .cache/ansible-test-home, so later runs reuse them.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv_bin="$repo/.venv/bin"
python_version=3.11
what=${1:-all}
[ $# -gt 0 ] && shift
case "$what" in
  sanity | units | all) ;;
  *) echo "usage: bash lab/sanity.sh [sanity|units|all] [ansible-test arguments]" >&2; exit 2 ;;
esac
[ -x "$venv_bin/ansible-test" ] || { echo "sanity: $venv_bin/ansible-test is missing; run make deps" >&2; exit 1; }

stage=$(mktemp -d /tmp/eks-hybrid-sanity.XXXXXX)
trap 'rm -rf "$stage"' EXIT
collection="$stage/ansible_collections/eks_hybrid/nodes"
mkdir -p "$collection"

# Files git knows of or would add, less a tracked file deleted in the working tree and whatever matches a
# build_ignore pattern, matched as `ansible-galaxy collection build` does: against the path of the file or of any
# directory above it, with fnmatch (whose * also matches /).
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) \
  | (cd "$repo" && "$venv_bin/python" -c '
import fnmatch
import os
import sys

import yaml

with open("galaxy.yml", encoding="utf-8") as handle:
    patterns = yaml.safe_load(handle).get("build_ignore") or []
for path in sys.stdin.buffer.read().decode("utf-8", "surrogateescape").split("\0"):
    parts = path.split("/")
    candidates = ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
    if path and os.path.exists(path) and not any(
            fnmatch.fnmatch(candidate, pattern) for candidate in candidates for pattern in patterns):
        sys.stdout.buffer.write(path.encode("utf-8", "surrogateescape") + b"\0")
') \
  | rsync -a --from0 --files-from=- "$repo/" "$collection/"
for dependency in amazon/aws kubernetes/core; do
  source_dir="$repo/.cache/collections/ansible_collections/$dependency"
  [ -d "$source_dir" ] || { echo "sanity: $source_dir is missing; run make deps" >&2; exit 1; }
  mkdir -p "$stage/ansible_collections/$(dirname "$dependency")"
  cp -a "$source_dir" "$stage/ansible_collections/$dependency"
done

export HOME="$repo/.cache/ansible-test-home"
export PATH="$venv_bin:$PATH"
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
# One stand-in per pip version that this ansible-test bootstraps (get_pip_<version>.py).
for pip_version in $("$venv_bin/python" - <<'EOF'
import pathlib
import re

import ansible_test

source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(" ".join(sorted(set(re.findall(r"pip='([0-9.]+)'", source.read_text(encoding="utf-8"))))))
EOF
); do
  cat > "$cache/get_pip_${pip_version//./_}.py" <<'EOF'
"""Stand-in for get-pip.py: pip from Python's bundled ensurepip, then the release asked for from the package index.

ansible-test runs this in a new virtual environment with get-pip's arguments, e.g. `pip==24.2 --no-setuptools`.
"""

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}

subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
requested = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_OPTIONS]
sys.exit(subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *requested], check=False).returncode)
EOF
done

status=0
cd "$collection"
if [ "$what" != units ]; then
  echo "sanity: ansible-test sanity in $collection"
  ansible-test sanity --venv --python "$python_version" --color no "$@" || status=1
fi
if [ "$what" != sanity ]; then
  if [ -d tests/unit ] && [ -n "$(find tests/unit -name 'test_*.py' -print -quit)" ]; then
    echo "sanity: ansible-test units in $collection"
    ansible-test units --venv --python "$python_version" --color no "$@" || status=1
  else
    echo "sanity: no unit tests under tests/unit" >&2
    status=1
  fi
fi
exit "$status"
