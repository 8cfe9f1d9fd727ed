"""What counts as a swap partition, an open VXLAN port and a kernel too old for Cilium."""

import pytest

from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _host_checks as checks

SWAPS_HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

UFW_ACTIVE = """Status: active

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW       Anywhere
10250/tcp                  ALLOW       10.0.0.0/16
%s
22/tcp (v6)                ALLOW       Anywhere (v6)
"""


def test_only_partitions_count_as_swap_nodeadm_cannot_turn_off():
    text = SWAPS_HEADER + "/swap.img\tfile\t2097148\t0\t-2\n/dev/sda3\tpartition\t8388604\t0\t-3\n"
    assert checks.swap_partitions(text) == ["/dev/sda3"]
    assert checks.swap_partitions(SWAPS_HEADER + "/swap.img\tfile\t2097148\t0\t-2\n") == []
    assert checks.swap_partitions(SWAPS_HEADER) == []


def test_ufw_inactive_and_active_are_told_apart():
    assert checks.ufw_is_active(UFW_ACTIVE % "")
    assert not checks.ufw_is_active("Status: inactive\n")


@pytest.mark.parametrize("rule, is_open", [
    ("8472/udp                   ALLOW       Anywhere", True),
    ("8472                       ALLOW       Anywhere", True),
    ("8000:9000/udp              ALLOW       10.52.0.0/16", True),
    ("Anywhere                   ALLOW       10.52.0.0/16", True),
    ("8472/udp                   ALLOW IN    Anywhere", True),
    ("8472/tcp                   ALLOW       Anywhere", False),
    ("8472/udp                   DENY        Anywhere", False),
    ("8472/udp (v6)              ALLOW       Anywhere (v6)", False),
    ("4789/udp                   ALLOW       Anywhere", False),
    ("", False),
])
def test_ufw_rules_that_let_the_cilium_vxlan_port_in(rule, is_open):
    assert checks.ufw_allows(UFW_ACTIVE % rule, 8472) is is_open


@pytest.mark.parametrize("ports, is_open", [
    ("10250/tcp 8472/udp", True),
    ("8000-9000/udp", True),
    ("8472/tcp 10250/tcp", False),
    ("", False),
])
def test_firewalld_ports_that_let_the_cilium_vxlan_port_in(ports, is_open):
    assert checks.firewalld_allows(ports, 8472) is is_open


@pytest.mark.parametrize("release, chart, floor_in_message", [
    ("4.18.0-553.el8_10.x86_64", "1.18.3-0", "5.10"),
    ("5.4.0-200-generic", "1.18.3", "5.10"),
    ("4.15.0-213-generic", "1.17.1", "5.4"),
    ("4.18.0-80.el7.x86_64", "v1.16.5", "5.4"),
])
def test_kernels_below_the_floor_of_the_cilium_line_are_named_with_a_fix(release, chart, floor_in_message):
    message = checks.cilium_kernel_problem(release, chart)
    assert release in message and floor_in_message in message and chart in message
    assert "cilium_chart_version" in message


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


def test_the_floor_follows_the_chart_line():
    assert checks.cilium_kernel_floor("1.18.3-0") == "5.10"
    assert checks.cilium_kernel_floor("1.19.0") == "5.10"
    assert checks.cilium_kernel_floor("1.17.1") == "5.4"


def test_every_check_name_is_known_once():
    assert len(set(checks.ALL_CHECK_NAMES)) == len(checks.ALL_CHECK_NAMES)
