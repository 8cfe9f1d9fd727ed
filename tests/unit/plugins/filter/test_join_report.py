"""join_report: one row per host, saying what became of it."""

from ansible_collections.eks_hybrid.nodes.plugins.filter.join_report import join_report


def host(name, node=None, **facts):
    facts.update(inventory_hostname=name)
    if node:
        facts["hybrid_node_node_name"] = node
    return facts


def test_each_host_gets_its_node_and_verdict():
    hosts = [host("edge-01", "mi-1", hybrid_node_joined_now=True), host("edge-02", "mi-2"),
             host("edge-03", eks_hybrid_host_failure="edge-03: swap is on the partition(s) /dev/sdb2."),
             host("edge-04")]
    verdicts = [{"name": "mi-1", "verdict": "ready"}, {"name": "mi-2", "verdict": "not_ready", "reason": "CNI"}]

    rows = join_report(hosts, verdicts)

    assert rows == [
        {"host": "edge-01", "node": "mi-1", "status": "Ready", "detail": "joined in this run"},
        {"host": "edge-02", "node": "mi-2", "status": "NotReady", "detail": "already joined; CNI"},
        {"host": "edge-03", "node": "-", "status": "Failed", "detail": "swap is on the partition(s) /dev/sdb2."},
        {"host": "edge-04", "node": "-", "status": "Skipped", "detail": "the run did not reach this host"},
    ]


def test_joined_nodes_without_a_verdict_say_why_they_were_not_checked():
    rows = join_report([host("edge-01", "mi-1", hybrid_node_joined_now=True)], [],
                       "Failed to install the Cilium release:\n  chart 1.99.0 not found")

    assert rows[0]["status"] == "Unknown"
    assert rows[0]["detail"] == ("joined in this run; not checked: Failed to install the Cilium release: chart "
                                 "1.99.0 not found")
