"""node_facts: each Node's address, kernel and whether its kubelet still reports."""

from ansible_collections.eks_hybrid.nodes.plugins.filter.node_facts import node_facts


def node(name, ready, kernel="6.8.0-45-generic", deleting=False, address="10.52.100.11"):
    metadata = {"name": name}
    if deleting:
        metadata["deletionTimestamp"] = "2026-12-04T10:00:00Z"
    conditions = [{"type": "Ready", "status": ready}] if ready else []
    addresses = [{"type": "Hostname", "address": name}]
    if address:
        addresses.append({"type": "InternalIP", "address": address})
    return {"metadata": metadata, "status": {"conditions": conditions, "addresses": addresses,
                                             "nodeInfo": {"kernelVersion": kernel}}}


def test_nodes_that_report_ready_or_not_ready_are_reporting():
    facts = node_facts([node("mi-ready", "True"), node("mi-waiting-for-cni", "False"),
                        node("mi-left-behind", "Unknown"), node("mi-new", None),
                        node("mi-deleting", "True", deleting=True)])

    assert [name for name, fact in facts.items() if fact["reporting"]] == ["mi-ready", "mi-waiting-for-cni"]


def test_address_and_kernel_are_read_or_left_empty():
    facts = node_facts([node("mi-1", "True", address="10.52.100.12"), node("mi-2", "True", kernel="", address="")])

    assert facts["mi-1"] == {"internal_ip": "10.52.100.12", "kernel": "6.8.0-45-generic", "reporting": True}
    assert facts["mi-2"] == {"internal_ip": "", "kernel": "", "reporting": True}
    assert node_facts([]) == {}
