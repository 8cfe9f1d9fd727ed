# -*- coding: utf-8 -*-
# Copyright: eks_hybrid.nodes contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: live_node_kernels
short_description: The kernel release of each Node whose kubelet still reports
version_added: 0.1.0
description:
  - Takes Node objects, for example the C(resources) of M(kubernetes.core.k8s_info), and returns node name to
    C(status.nodeInfo.kernelVersion).
  - Leaves out the Nodes whose Ready condition is C(Unknown) or missing, and those being deleted. Such Nodes run no
    pods; C(nodeadm uninstall) leaves one behind, for example.
options:
  _input:
    description: Node objects as the Kubernetes API returns them.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Count the hybrid nodes that can run pods
  ansible.builtin.debug:
    msg: "{{ hybrid_nodes.resources | eks_hybrid.nodes.live_node_kernels | length }}"
"""

RETURN = r"""
_value:
  description: Node name to kernel release.
  type: dict
"""


def _reports(node):
    status = node.get("status") or {}
    ready = [condition for condition in status.get("conditions") or [] if condition.get("type") == "Ready"]
    return bool(ready) and ready[0].get("status") in ("True", "False")


def live_node_kernels(nodes):
    """Return {name: kernel release} of the Nodes whose kubelet still reports and that are not being deleted."""
    kernels = {}
    for node in nodes or []:
        metadata = node.get("metadata") or {}
        if metadata.get("deletionTimestamp") or not _reports(node):
            continue
        kernels[metadata.get("name")] = ((node.get("status") or {}).get("nodeInfo") or {}).get("kernelVersion", "")
    return kernels


class FilterModule:
    """Filters over the Node objects of a cluster."""

    def filters(self):
        return {"live_node_kernels": live_node_kernels}
