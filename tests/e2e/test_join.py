"""End to end: join_hybrid.yml joins the lab machines, a second run changes nothing, and secrets stay secret."""

import os
import re
import stat

import pytest

HOSTS = ["lab-node-1", "lab-node-2", "lab-node-3"]


def hybrid_nodes(core):
    return [node for node in core.list_node().items
            if node.metadata.labels.get("eks.amazonaws.com/compute-type") == "hybrid"]


def is_ready(node):
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


@pytest.fixture(scope="module")
def first_run(lab):
    before = lab.aws_state()
    run = lab.run_playbook("-vvv")
    return before, run


def test_first_run_joins_every_host_and_reports_them_ready(lab, first_run):
    _before, run = first_run
    assert run.rc == 0, run
    for host in HOSTS:
        assert run.recap[host]["failed"] == 0, run

    nodes = hybrid_nodes(lab.kube())
    assert len(nodes) == 3
    assert all(node.metadata.name.startswith("mi-") for node in nodes)
    assert all(is_ready(node) for node in nodes), [n.status.conditions for n in nodes]
    cloud = [node for node in lab.kube().list_node().items if node not in nodes]
    assert len(cloud) >= 3 and all(is_ready(node) for node in cloud)

    table = {}
    for line in run.output.splitlines():
        match = re.search(r"(lab-node-\d)\s+(mi-[0-9a-f]+)\s+(\w+)", line)
        if match:
            table[match.group(1)] = (match.group(2), match.group(3))
    assert set(table) == set(HOSTS), run.output[-3000:]
    assert {name for name, _status in table.values()} == {node.metadata.name for node in nodes}
    assert {status for _name, status in table.values()} == {"Ready"}


def test_first_run_mints_one_activation_sized_to_the_hosts_and_deletes_it(lab, first_run):
    before, run = first_run
    assert run.rc == 0, run
    minted = lab.minted_since(before)
    assert len(minted) == 1, minted
    activation = minted[0]
    assert activation["RegistrationLimit"] == 3
    assert activation["RegistrationsCount"] == 3
    state = lab.aws_state()
    assert activation["ActivationId"] in {a["ActivationId"] for a in state["deleted_activations"]}
    assert activation["ActivationId"] not in {a["ActivationId"] for a in state["activations"]}
    registered = [i for i in state["managed_instances"] if i["ActivationId"] == activation["ActivationId"]]
    assert sorted(i["ComputerName"] for i in registered) == HOSTS


def test_activation_code_is_only_in_the_nodeconfig_files(lab, first_run):
    _before, run = first_run
    codes = set()
    for host in HOSTS:
        nodeconfig = os.path.join(lab.host_root(host), "etc", "nodeadm", "nodeconfig.yaml")
        assert stat.S_IMODE(os.stat(nodeconfig).st_mode) == 0o600
        with open(nodeconfig, encoding="utf-8") as handle:
            match = re.search(r"activationCode:\s*['\"]?([^'\"\s]+)", handle.read())
        assert match, "no activation code in %s" % nodeconfig
        codes.add(match.group(1))
    assert len(codes) == 1
    code = codes.pop()

    assert code not in run.output
    for host in HOSTS:
        upper = lab.host_upper(host)
        holders = []
        for directory, _subdirectories, files in os.walk(upper):
            for name in files:
                path = os.path.join(directory, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as handle:
                    if code.encode() in handle.read():
                        holders.append(os.path.relpath(path, upper))
        assert holders == ["etc/nodeadm/nodeconfig.yaml"], (host, holders)


def test_second_run_changes_nothing_and_mints_nothing(lab, first_run):
    _before, first = first_run
    assert first.rc == 0, first
    before = lab.aws_state()
    run = lab.run_playbook()
    assert run.rc == 0, run
    assert set(run.recap) == set(HOSTS) | {"localhost"}
    for host, counts in run.recap.items():
        assert counts["changed"] == 0, (host, run)
    assert lab.minted_since(before) == []
    ids = sorted(i["InstanceId"] for i in lab.aws_state()["managed_instances"])
    assert ids == sorted(i["InstanceId"] for i in before["managed_instances"])
    assert "No host needs an SSM registration" in run.output


def test_changed_pod_cidrs_on_a_joined_fleet_stop_the_run_before_any_change(lab, first_run):
    _before, first = first_run
    assert first.rc == 0, first
    before = lab.aws_state()
    releases = sorted(s.metadata.name for s in lab.kube().list_secret_for_all_namespaces(
        label_selector="owner=helm").items)

    run = lab.run_playbook("-e", '{"cilium_pod_cidrs": ["10.53.128.0/17"]}')

    assert run.rc != 0, run
    assert 'hand out ["10.53.128.0/17"] with mask size "25"' in run.words, run
    assert 'installed Cilium uses IPAM mode cluster-pool and hands out ["10.53.0.0/16"]' in run.words, run
    assert "pod_cidr_change" in run.words, run
    assert sorted(s.metadata.name for s in lab.kube().list_secret_for_all_namespaces(
        label_selector="owner=helm").items) == releases
    assert lab.minted_since(before) == []


def test_a_failed_cilium_install_is_named_in_the_table_and_fails_the_run(lab, first_run):
    _before, first = first_run
    assert first.rc == 0, first

    run = lab.run_playbook("-e", "cilium_chart_version=1.99.0")

    assert run.rc != 0, run
    for host in HOSTS:
        row = re.search(r"^\s+%s\s+(mi-\S+)\s+(\S+)\s+(.*)$" % host, run.output, re.MULTILINE)
        assert row and row.group(2) == "Unknown", run
        assert row.group(3).startswith("already joined; not checked: "), row.group(3)
    assert "Failed to make this run's nodes Ready" in run.words, run
