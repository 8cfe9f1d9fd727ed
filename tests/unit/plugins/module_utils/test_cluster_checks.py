"""Which address each host joins with, and why a host has none."""

from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _cluster_checks as checks

CLUSTER = {"name": "eks-workshop", "remoteNetworkConfig": {"remoteNodeNetworks": [{"cidrs": ["10.52.0.0/16"]}]}}


def test_the_address_inside_the_remote_node_network_is_chosen():
    chosen, found = checks.choose_node_ips({"edge-01": {"addresses": ["192.168.122.4", "10.52.100.11"]}}, CLUSTER)

    assert chosen == {"edge-01": "10.52.100.11"} and found == {}


def test_a_chosen_node_ip_the_host_does_not_have_is_refused():
    chosen, found = checks.choose_node_ips(
        {"edge-01": {"addresses": ["10.52.100.11"], "node_ip": "10.52.100.200"}}, CLUSTER)

    assert chosen == {}
    message = checks.describe(found["edge-01"])
    assert "hybrid_node_node_ip" in message and "10.52.100.200" in message and "10.52.100.11" in message


def test_a_host_without_an_address_in_the_remote_node_networks_is_refused():
    chosen, found = checks.choose_node_ips({"edge-01": {"addresses": ["10.99.100.11"]}}, CLUSTER)

    assert chosen == {} and "10.52.0.0/16" in checks.describe(found["edge-01"])


def test_a_node_left_behind_with_a_hosts_address_is_named():
    hosts = {"edge-01": {"registration": {"instance_id": ""}},
             "edge-02": {"registration": {"instance_id": "mi-0000000000000000b"}}}
    node_ips = {"edge-01": "10.52.100.11", "edge-02": "10.52.100.12"}
    nodes = {"mi-0000000000000000a": "10.52.100.11", "mi-0000000000000000b": "10.52.100.12",
             "mi-0000000000000000c": "10.52.100.13"}

    found = checks.check_stale_nodes(hosts, node_ips, nodes)

    assert list(found) == ["edge-01"]
    message = checks.describe(found["edge-01"])
    assert "mi-0000000000000000a" in message and "10.52.100.11" in message
    assert "kubectl delete node mi-0000000000000000a" in message
