"""The host_preflight module on a pretend machine: /proc files and firewall tools it finds on PATH."""

import pytest

from ansible_collections.eks_hybrid.nodes.plugins.modules import host_preflight

SWAPS_HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
UFW_HEADER = "Status: active\n\nTo                         Action      From\n--                         ------      ----\n"


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A machine without swap or firewall tools; tests add what they need."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    swaps = tmp_path / "swaps"
    swaps.write_text(SWAPS_HEADER)
    release = tmp_path / "osrelease"
    release.write_text("6.8.0-45-generic\n")
    monkeypatch.setattr(host_preflight, "PROC_SWAPS", str(swaps))
    monkeypatch.setattr(host_preflight, "KERNEL_RELEASE", str(release))
    monkeypatch.setenv("PATH", str(bin_dir))

    class Machine:
        def tool(self, name, script):
            path = bin_dir / name
            path.write_text("#!/bin/sh\n" + script)
            path.chmod(0o755)

        def swap(self, lines):
            swaps.write_text(SWAPS_HEADER + lines)

    return Machine()


def test_a_clean_machine_passes_and_reports_its_kernel(machine, run_module):
    run = run_module(host_preflight, {})

    assert not run.failed, run.result
    assert run.result["kernel_release"] == "6.8.0-45-generic"
    assert run.result["firewall"] == {"tool": None, "active": False, "vxlan_port_open": True}
    assert run.result["changed"] is False


def test_a_swap_partition_fails_with_the_device_and_the_fix(machine, run_module):
    machine.swap("/swap.img\tfile\t2097148\t0\t-2\n/dev/sdb2\tpartition\t8388604\t0\t-3\n")

    run = run_module(host_preflight, {})

    assert run.failed
    assert run.result["swap_partitions"] == ["/dev/sdb2"]
    assert "/dev/sdb2" in run.result["msg"] and "swapoff /dev/sdb2" in run.result["msg"]


def test_active_ufw_without_the_vxlan_port_fails_with_the_command_that_opens_it(machine, run_module):
    machine.tool("ufw", "printf '%s22/tcp                     ALLOW       Anywhere\\n'\n" % UFW_HEADER)

    run = run_module(host_preflight, {}, check_mode=True)

    assert run.failed
    assert run.result["firewall"] == {"tool": "ufw", "active": True, "vxlan_port_open": False}
    assert "ufw allow 8472/udp" in run.result["msg"]


def test_active_ufw_with_the_vxlan_port_open_passes(machine, run_module):
    machine.tool("ufw", "printf '%s8472/udp                   ALLOW       Anywhere\\n'\n" % UFW_HEADER)

    assert not run_module(host_preflight, {}).failed


def test_running_firewalld_is_checked_for_the_configured_port(machine, run_module):
    machine.tool("firewall-cmd", 'case "$1" in --state) echo running ;; --list-ports) echo "8472/udp" ;; esac\n')

    assert not run_module(host_preflight, {}).failed
    run = run_module(host_preflight, {"vxlan_port": 4789})
    assert run.failed and "--add-port=4789/udp" in run.result["msg"]


def test_stopped_firewalld_is_no_problem(machine, run_module):
    machine.tool("firewall-cmd", 'echo "not running"; exit 252\n')

    run = run_module(host_preflight, {})

    assert not run.failed
    assert run.result["firewall"]["active"] is False


def test_ufw_that_cannot_be_read_fails_with_its_error(machine, run_module):
    machine.tool("ufw", "echo 'ERROR: You need to be root to run this script' >&2; exit 1\n")

    run = run_module(host_preflight, {})

    assert run.failed and "Failed to read the firewall state" in run.result["msg"] and "root" in run.result["msg"]


def test_skipped_checks_are_not_run_and_are_warned_about(machine, run_module):
    machine.swap("/dev/sdb2\tpartition\t8388604\t0\t-3\n")

    run = run_module(host_preflight, {"skip_checks": ["swap", "kernel"]})

    assert not run.failed, run.result
    assert run.result["skipped_checks"] == ["swap"]
    assert any("swap is skipped" in str(warning) for warning in run.result["warnings"])


def test_an_unknown_check_name_is_refused(machine, run_module):
    run = run_module(host_preflight, {"skip_checks": ["swapp"]})

    assert run.failed and "swapp" in run.result["msg"]
