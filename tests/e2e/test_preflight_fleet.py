"""End to end: check mode changes nothing, and a mixed fleet joins its good hosts and names the others."""

import re
import subprocess

from kubernetes import client

import labconfig
from e2e_lab import fresh_fleet, host_file_exists, table_rows

GOOD = ["lab-node-1", "lab-node-2"]
LEFTOVER = "lab-node-3"
OUTSIDE = "lab-outside-1"
STALE_NODE = "mi-0a1b2c3d4e5f60718"
FOREIGN_CA = ("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQW5vdGhlciBjbHVzdGVyIENBMAoGCCqGSM49BAMCMBox\n"
              "-----END CERTIFICATE-----\n")


def test_check_diff_on_a_fresh_fleet_lists_the_changes_and_changes_nothing(lab):
    fresh_fleet()
    before = lab.aws_state()
    releases_before = [s.metadata.name for s in lab.kube().list_secret_for_all_namespaces(
        label_selector="owner=helm").items]

    run = lab.run_playbook("--check", "--diff")

    assert run.rc == 0, run
    assert "Would mint an activation (registration limit 3)" in run.output
    for host in ["lab-node-1", "lab-node-2", "lab-node-3"]:
        assert re.search(r"%s\s+-\s+WouldJoin" % host, run.output), run
        assert not host_file_exists(lab, host, "/etc/nodeadm/nodeconfig.yaml")
        assert not host_file_exists(lab, host, "/usr/local/bin/nodeadm")
    assert "+++ after: /etc/nodeadm/nodeconfig.yaml" in run.output
    assert "activationId: (created during the run)" in run.output
    assert "Would run: /usr/local/bin/nodeadm install 1.31 --credential-provider ssm" in run.output
    assert lab.minted_since(before) == []
    releases_after = [s.metadata.name for s in lab.kube().list_secret_for_all_namespaces(
        label_selector="owner=helm").items]
    assert releases_after == releases_before


def test_mixed_fleet_joins_the_good_hosts_and_names_the_others(lab):
    fresh_fleet("--outside", "1", "--outside-in-group")
    written = lab.ssh(LEFTOVER, "mkdir -p /etc/kubernetes/pki /etc/eks/kubelet && cat > /etc/kubernetes/pki/ca.crt "
                                "<<'PEM'\n%sPEM\necho 'NODEADM_KUBELET_ARGS=--node-ip=10.0.0.9' > "
                                "/etc/eks/kubelet/environment" % FOREIGN_CA)
    assert written.returncode == 0, written.stderr
    before = lab.aws_state()

    run = lab.run_playbook()

    assert run.rc != 0, run
    rows = table_rows(run.output)
    assert set(rows) == set(GOOD + [LEFTOVER, OUTSIDE]), run
    for host in GOOD:
        assert rows[host][1] == "Ready", rows
    assert rows[LEFTOVER][1] == "Failed" and "another cluster" in rows[LEFTOVER][2], rows
    assert "nodeadm uninstall" in rows[LEFTOVER][2]
    assert rows[OUTSIDE][1] == "Failed" and "remote node networks" in rows[OUTSIDE][2], rows
    assert "10.99.100.11" in rows[OUTSIDE][2]
    for host in (LEFTOVER, OUTSIDE):
        assert not host_file_exists(lab, host, "/etc/nodeadm/nodeconfig.yaml"), host
        assert not host_file_exists(lab, host, "/usr/local/bin/nodeadm"), host
    minted = lab.minted_since(before)
    assert [a["RegistrationLimit"] for a in minted] == [2]

    fixed = lab.ssh(LEFTOVER, "rm -f /etc/kubernetes/pki/ca.crt /etc/eks/kubelet/environment")
    assert fixed.returncode == 0, fixed.stderr
    subprocess.run(["ip", "netns", "exec", labconfig.NETNS_PREFIX + OUTSIDE, "ip", "addr", "add", "10.52.200.21/24",
                    "dev", "eth0"], check=True)
    before = lab.aws_state()

    rerun = lab.run_playbook()

    assert rerun.rc == 0, rerun
    rows = table_rows(rerun.output)
    assert {host: row[1] for host, row in rows.items()} == {host: "Ready" for host in GOOD + [LEFTOVER, OUTSIDE]}
    assert rows[LEFTOVER][2] == "joined in this run" and rows[OUTSIDE][2] == "joined in this run", rows
    for host in GOOD:
        assert rows[host][2] == "already joined"
        assert rerun.recap[host]["changed"] == 0, rerun
    assert [a["RegistrationLimit"] for a in lab.minted_since(before)] == [2]
    outside_node = [n for n in lab.kube().list_node().items if n.metadata.name == rows[OUTSIDE][0]][0]
    assert {a.address for a in outside_node.status.addresses if a.type == "InternalIP"} == {"10.52.200.21"}


def test_a_node_left_behind_by_a_replaced_machine_stops_only_that_host(lab):
    fresh_fleet()
    core = lab.kube()
    core.create_node(client.V1Node(
        metadata=client.V1ObjectMeta(name=STALE_NODE, labels={"eks.amazonaws.com/compute-type": "hybrid"}),
        status=client.V1NodeStatus(addresses=[client.V1NodeAddress(type="InternalIP", address="10.52.100.11")])))
    before = lab.aws_state()

    run = lab.run_playbook()

    assert run.rc != 0, run
    rows = table_rows(run.output)
    assert rows["lab-node-1"][1] == "Failed", rows
    assert STALE_NODE in rows["lab-node-1"][2] and "kubectl delete node %s" % STALE_NODE in rows["lab-node-1"][2]
    assert rows["lab-node-2"][1] == "Ready" and rows["lab-node-3"][1] == "Ready", rows
    assert not host_file_exists(lab, "lab-node-1", "/etc/nodeadm/nodeconfig.yaml")
    assert [a["RegistrationLimit"] for a in lab.minted_since(before)] == [2]

    core.delete_node(STALE_NODE)
    rerun = lab.run_playbook()

    assert rerun.rc == 0, rerun
    rows = table_rows(rerun.output)
    assert rows["lab-node-1"][1:] == ("Ready", "joined in this run"), rows
