"""admits_hybrid_nodes reads the compute-type label out of node selectors and required node affinity."""

import pytest

from ansible_collections.eks_hybrid.nodes.plugins.filter.admits_hybrid_nodes import admits_hybrid_nodes


def with_terms(*terms):
    return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": list(term)} for term in terms]}}}}


def compute_type(operator, *values):
    return {"key": "eks.amazonaws.com/compute-type", "operator": operator, "values": list(values)}


OS_LINUX = {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}


@pytest.mark.parametrize("pod_spec, admitted", [
    ({}, True),
    (with_terms([OS_LINUX, compute_type("NotIn", "fargate", "auto")]), True),
    (with_terms([compute_type("In", "hybrid")]), True),
    (with_terms([compute_type("NotIn", "fargate", "hybrid")]), False),
    (with_terms([compute_type("In", "auto")]), False),
    (with_terms([compute_type("DoesNotExist")]), False),
    (with_terms([compute_type("DoesNotExist")], [compute_type("In", "hybrid")]), True),
    ({"nodeSelector": {"eks.amazonaws.com/compute-type": "auto"}}, False),
    ({"nodeSelector": {"kubernetes.io/os": "linux"}}, True),
    (with_terms([]), False),
    (with_terms([compute_type("Gt", "1")]), False),
    ({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["ip-10-42-110-36"]}]}]}}}}, False),
])
def test_hybrid_nodes_pass_only_what_admits_their_compute_type(pod_spec, admitted):
    assert admits_hybrid_nodes(pod_spec) is admitted
