"""What counts as a swap partition, an open VXLAN port and a kernel too old for Cilium."""

import pytest

from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _host_checks as checks

SWAPS_HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

UFW_VERBOSE = """Status: active
Logging: on (low)
Default: %s (incoming), allow (outgoing), disabled (routed)
New profiles: skip
"""
SSH_RULE = "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in"


def user_rules(*tuples):
    """/etc/ufw/user.rules as ufw writes it, with the given tuple lines in order."""
    body = "".join("\n%s\n-A ufw-user-input -j ACCEPT\n" % line for line in tuples)
    return "*filter\n:ufw-user-input - [0:0]\n### RULES ###\n%s\n### END RULES ###\nCOMMIT\n" % body


def test_only_partitions_count_as_swap_nodeadm_cannot_turn_off():
    text = SWAPS_HEADER + "/swap.img\tfile\t2097148\t0\t-2\n/dev/sda3\tpartition\t8388604\t0\t-3\n"
    assert checks.swap_partitions(text) == ["/dev/sda3"]
    assert checks.swap_partitions(SWAPS_HEADER + "/swap.img\tfile\t2097148\t0\t-2\n") == []
    assert checks.swap_partitions(SWAPS_HEADER) == []


def test_ufw_state_and_default_policy_are_read_from_its_verbose_status():
    assert checks.ufw_is_active(UFW_VERBOSE % "deny")
    assert not checks.ufw_is_active("Status: inactive\n")
    assert checks.ufw_default_incoming(UFW_VERBOSE % "allow") == "allow"
    assert checks.ufw_default_incoming("Status: active\n") == "deny"


@pytest.mark.parametrize("rules, is_open", [
    ([SSH_RULE, "### tuple ### allow udp 8472 0.0.0.0/0 any 0.0.0.0/0 in"], True),
    (["### tuple ### allow any 8472 0.0.0.0/0 any 0.0.0.0/0 in"], True),
    (["### tuple ### allow udp 8000:9000 0.0.0.0/0 any 10.52.0.0/16 in"], True),
    (["### tuple ### allow udp 22,8472 0.0.0.0/0 any 0.0.0.0/0 in_eth0 comment=Y2lsaXVt"], True),
    (["### tuple ### allow udp 8472 10.52.100.5 any 0.0.0.0/0 in"], True),
    (["### tuple ### limit udp 8472 0.0.0.0/0 any 0.0.0.0/0 in"], True),
    (["### tuple ### allow any any 0.0.0.0/0 any 10.52.0.0/16 in"], True),
    (["### tuple ### allow tcp 8472 0.0.0.0/0 any 0.0.0.0/0 in"], False),
    (["### tuple ### allow tcp any 0.0.0.0/0 any 0.0.0.0/0 in"], False),
    (["### tuple ### deny udp 8472 0.0.0.0/0 any 0.0.0.0/0 in",
      "### tuple ### allow udp 8472 0.0.0.0/0 any 10.0.0.0/8 in"], False),
    (["### tuple ### allow udp any 0.0.0.0/0 8472 10.0.0.0/8 in"], False),
    (["### tuple ### allow udp 8472 0.0.0.0/0 any 0.0.0.0/0 out"], False),
    (["### tuple ### route:allow udp 8472 0.0.0.0/0 any 0.0.0.0/0 in"], False),
    ([SSH_RULE], False),
])
def test_ufw_rules_that_let_the_cilium_vxlan_port_in(rules, is_open):
    assert checks.ufw_allows(user_rules(*rules), "deny", 8472) is is_open


def test_ufw_with_an_allowing_default_and_no_rule_lets_the_port_in():
    assert checks.ufw_allows(user_rules(SSH_RULE), "allow", 8472)
    assert not checks.ufw_allows(user_rules(SSH_RULE), "reject", 8472)


def test_firewalld_active_zones_are_the_lines_that_are_not_indented():
    output = "public\n  interfaces: eth0\ntrusted\n  sources: 10.52.0.0/16\n"
    assert checks.firewalld_zones(output) == ["public", "trusted"]


@pytest.mark.parametrize("zone, ports, is_open", [
    ("public", "10250/tcp 8472/udp", True),
    ("public", "8000-9000/udp", True),
    ("trusted", "", True),
    ("public", "8472/tcp 10250/tcp", False),
    ("public", "", False),
])
def test_firewalld_zones_that_let_the_cilium_vxlan_port_in(zone, ports, is_open):
    assert checks.firewalld_allows(zone, ports, 8472) is is_open


@pytest.mark.parametrize("release, chart, floor_in_message", [
    ("4.18.0-553.el8_10.x86_64", "1.18.3-0", "5.10"),
    ("5.4.0-200-generic", "1.18.3", "5.10"),
    ("4.15.0-213-generic", "1.17.1", "5.4"),
    ("4.18.0-80.el7.x86_64", "v1.16.5", "5.4"),
    ("4.18.0-193.el8.x86_64", "1.17.1", "5.4"),
])
def test_kernels_below_the_floor_of_the_cilium_line_are_named_with_a_fix(release, chart, floor_in_message):
    message = checks.cilium_kernel_problem(release, chart)
    assert release in message and floor_in_message in message and chart in message
    assert "cilium_chart_version" in message


def test_only_a_newer_cilium_line_suggests_going_back_to_an_older_one():
    assert "a release before 1.18" in checks.cilium_kernel_problem("5.4.0-200-generic", "1.18.3")
    assert "release before" not in checks.cilium_kernel_problem("4.15.0-213-generic", "1.17.1")


@pytest.mark.parametrize("release, chart", [
    ("5.10.0-32-amd64", "1.18.3"),
    ("6.8.0-45-generic", "1.18.3-0"),
    ("5.14.0-427.13.1.el9_4.x86_64", "1.18.3"),
    ("4.18.0-553.el8_10.x86_64", "1.17.9-0"),
    ("5.4.0-200-generic", "1.17.1"),
    ("not-a-kernel", "1.18.3"),
    ("6.1.0", "latest"),
])
def test_kernels_the_cilium_line_runs_on_pass(release, chart):
    assert checks.cilium_kernel_problem(release, chart) is None


def test_every_check_name_is_known_once():
    assert len(set(checks.ALL_CHECK_NAMES)) == len(checks.ALL_CHECK_NAMES)
