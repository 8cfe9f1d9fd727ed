"""live_node_kernels keeps the Nodes whose kubelet still reports."""

from ansible_collections.eks_hybrid.nodes.plugins.filter.live_node_kernels import live_node_kernels


def node(name, ready, kernel="6.8.0-45-generic", deleting=False):
    metadata = {"name": name}
    if deleting:
        metadata["deletionTimestamp"] = "2026-12-04T10:00:00Z"
    conditions = [{"type": "Ready", "status": ready}] if ready else []
    return {"metadata": metadata, "status": {"conditions": conditions, "nodeInfo": {"kernelVersion": kernel}}}


def test_nodes_that_report_ready_or_not_ready_are_live():
    nodes = [node("mi-ready", "True"), node("mi-waiting-for-cni", "False", "5.14.0-427.el9.x86_64"),
             node("mi-left-behind", "Unknown"), node("mi-new", None), node("mi-deleting", "True", deleting=True)]

    assert live_node_kernels(nodes) == {"mi-ready": "6.8.0-45-generic", "mi-waiting-for-cni": "5.14.0-427.el9.x86_64"}
    assert live_node_kernels([]) == {}
