# -*- coding: utf-8 -*-
# Copyright: eks_hybrid.nodes contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: node_facts
short_description: The address, kernel and liveness of each Node
version_added: 0.1.0
description:
  - Takes Node objects, for example the C(resources) of M(kubernetes.core.k8s_info), and returns node name to
    C(internal_ip) (the first C(InternalIP) of C(status.addresses), or empty), C(kernel)
    (C(status.nodeInfo.kernelVersion), or empty) and C(reporting).
  - C(reporting) is false for a Node whose Ready condition is C(Unknown) or missing, or that is being deleted. Such
    a Node runs no pods; C(nodeadm uninstall) or a re-imaged machine leaves one behind, for example.
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
    msg: "{{ (hybrid_nodes.resources | eks_hybrid.nodes.node_facts).values() | selectattr('reporting') | length }}"
"""

RETURN = r"""
_value:
  description: Node name to C({internal_ip, kernel, reporting}).
  type: dict
"""

from ansible_collections.eks_hybrid.nodes.plugins.module_utils._node_readiness import ready_condition, verdict_of


def node_facts(nodes):
    """Return {name: {internal_ip, kernel, reporting}} for each Node."""
    facts = {}
    for node in nodes or []:
        verdict = verdict_of(node)
        ready = ready_condition(node) or {}
        deleting = bool((node.get("metadata") or {}).get("deletionTimestamp"))
        facts[verdict.name] = {
            "internal_ip": verdict.internal_ip or "",
            "kernel": ((node.get("status") or {}).get("nodeInfo") or {}).get("kernelVersion") or "",
            "reporting": not deleting and ready.get("status") in ("True", "False"),
        }
    return facts


class FilterModule:
    """Filters over the Node objects of a cluster."""

    def filters(self):
        return {"node_facts": node_facts}
