# -*- coding: utf-8 -*-
# Copyright: eks_hybrid.nodes contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: admits_hybrid_nodes
short_description: Whether a pod spec may be scheduled on EKS hybrid nodes
version_added: 0.1.0
description:
  - Reads the C(nodeSelector) and the required node affinity of a pod spec (for example the template of a
    DaemonSet) for the label C(eks.amazonaws.com/compute-type) and says whether a node with the value C(hybrid)
    passes them.
  - Only that label is judged; other labels, taints and resources are taken to fit. A term that names nodes
    (C(matchFields)) is taken not to admit them.
options:
  _input:
    description: A pod spec, such as C(spec.template.spec) of a DaemonSet.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check that kube-proxy runs on hybrid nodes
  ansible.builtin.assert:
    that:
      - kube_proxy.resources[0].spec.template.spec | eks_hybrid.nodes.admits_hybrid_nodes
"""

RETURN = r"""
_value:
  description: True when a hybrid node passes the node selector and the required node affinity.
  type: bool
"""

COMPUTE_TYPE = "eks.amazonaws.com/compute-type"
HYBRID = "hybrid"


def _expression_admits(expression):
    if expression.get("key") != COMPUTE_TYPE:
        return True
    operator, values = expression.get("operator"), expression.get("values") or []
    if operator == "In":
        return HYBRID in values
    if operator == "NotIn":
        return HYBRID not in values
    return operator == "Exists"


def _term_admits(term):
    """A term with no expressions matches no node; one with matchFields pins named nodes, taken as not hybrid."""
    expressions = term.get("matchExpressions") or []
    if not expressions or term.get("matchFields"):
        return False
    return all(_expression_admits(expression) for expression in expressions)


def admits_hybrid_nodes(pod_spec):
    """Return whether a node labelled compute-type=hybrid passes the pod spec's node selector and node affinity."""
    pod_spec = pod_spec or {}
    selector = pod_spec.get("nodeSelector") or {}
    if selector.get(COMPUTE_TYPE, HYBRID) != HYBRID:
        return False
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms") or []
    return not terms or any(_term_admits(term) for term in terms)


class FilterModule:
    """Filters about where pods may run."""

    def filters(self):
        return {"admits_hybrid_nodes": admits_hybrid_nodes}
