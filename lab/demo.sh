#!/usr/bin/env bash
# make demo: join the lab machines to the lab EKS cluster with the EKS Workshop's inputs, then show the nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source .lab/lab.env
export ANSIBLE_CONFIG="$PWD/lab/ansible.cfg"

echo "==> ansible-playbook eks_hybrid.nodes.join_hybrid (cluster eks-workshop, group hybrid_nodes)"
.venv/bin/ansible-playbook -i .lab/inventory.yml -i lab/inventory eks_hybrid.nodes.join_hybrid "$@"

echo
echo "==> kubectl get nodes -o wide"
.cache/bin/kubectl get nodes -o wide
cat <<MSG

The lab is still up. Look around:
  source .lab/lab.env                 # fake AWS credentials, KUBECONFIG, lab-only proxy
  .cache/bin/kubectl get nodes -L eks.amazonaws.com/compute-type
  .cache/bin/helm list -A
  .venv/bin/python lab/labctl.py status
  .venv/bin/python lab/labctl.py ssh lab-node-1 -- cat /var/lib/amazon/ssm/registration
Run 'make demo' again: nothing changes and no activation is minted. Stop the lab with 'make lab-down'.
MSG
