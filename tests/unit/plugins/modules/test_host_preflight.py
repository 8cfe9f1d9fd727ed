"""The host_preflight module on a pretend machine: /proc and ufw files it reads, firewall tools it runs."""

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.eks_hybrid.nodes.plugins.modules import host_preflight

SWAPS_HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
UFW_ACTIVE = "Status: active\nDefault: deny (incoming), allow (outgoing), disabled (routed)\n"
SSH_ONLY = "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n"
VXLAN_OPEN = SSH_ONLY + "### tuple ### allow udp 8472 0.0.0.0/0 any 0.0.0.0/0 in\n"


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A machine without swap or firewall tools; tests add what they need."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    swaps = tmp_path / "swaps"
    swaps.write_text(SWAPS_HEADER)
    release = tmp_path / "osrelease"
    release.write_text("6.8.0-45-generic\n")
    rules = tmp_path / "user.rules"
    monkeypatch.setattr(host_preflight, "PROC_SWAPS", str(swaps))
    monkeypatch.setattr(host_preflight, "KERNEL_RELEASE", str(release))
    monkeypatch.setattr(host_preflight, "UFW_USER_RULES", str(rules))

    def only_pretend_tools(_module, name, *_args, **_kwargs):
        path = bin_dir / name
        return str(path) if path.exists() else None

    monkeypatch.setattr(AnsibleModule, "get_bin_path", only_pretend_tools)

    class Machine:
        def tool(self, name, script):
            path = bin_dir / name
            path.write_text("#!/bin/sh\n" + script)
            path.chmod(0o755)

        def ufw(self, status, user_rules):
            self.tool("ufw", "cat <<'OUT'\n%sOUT\n" % status)
            rules.write_text(user_rules)

        def swap(self, lines):
            swaps.write_text(SWAPS_HEADER + lines)

    return Machine()


def test_a_clean_machine_passes_and_reports_its_kernel(machine, run_module):
    run = run_module(host_preflight, {})

    assert not run.failed, run.result
    assert run.result["kernel_release"] == "6.8.0-45-generic"
    assert run.result["firewalls"] == []
    assert run.result["changed"] is False


def test_a_swap_partition_fails_with_the_device_and_the_fix(machine, run_module):
    machine.swap("/swap.img\tfile\t2097148\t0\t-2\n/dev/sdb2\tpartition\t8388604\t0\t-3\n")

    run = run_module(host_preflight, {})

    assert run.failed
    assert run.result["swap_partitions"] == ["/dev/sdb2"]
    assert "swapoff /dev/sdb2" in run.result["msg"] and "/etc/fstab" in run.result["msg"]


def test_active_ufw_without_the_vxlan_port_fails_with_the_command_that_opens_it(machine, run_module):
    machine.ufw(UFW_ACTIVE, SSH_ONLY)

    run = run_module(host_preflight, {}, check_mode=True)

    assert run.failed
    assert run.result["firewalls"] == [{"tool": "ufw", "active": True, "vxlan_port_open": False}]
    assert "ufw allow 8472/udp" in run.result["msg"] and "hybrid_node_vxlan_port" in run.result["msg"]


def test_active_ufw_with_the_vxlan_port_open_passes(machine, run_module):
    machine.ufw(UFW_ACTIVE, VXLAN_OPEN)

    assert not run_module(host_preflight, {}).failed


def test_inactive_ufw_is_no_problem_whatever_its_rules(machine, run_module):
    machine.ufw("Status: inactive\n", SSH_ONLY)

    run = run_module(host_preflight, {})

    assert not run.failed
    assert run.result["firewalls"] == [{"tool": "ufw", "active": False, "vxlan_port_open": True}]


def test_firewall_tools_run_in_the_c_locale(machine, run_module):
    machine.ufw(UFW_ACTIVE, SSH_ONLY)
    machine.tool("ufw", 'if [ "$LC_ALL" = C ]; then echo "Status: active"; else echo "Status: aktiv"; fi\n')

    run = run_module(host_preflight, {})

    assert run.failed and "ufw is active" in run.result["msg"]


def test_running_firewalld_is_checked_in_every_active_zone(machine, run_module):
    zones = "public\\n  interfaces: eth0\\ntrusted\\n  sources: x\\n"
    machine.tool("firewall-cmd", 'case "$*" in\n'
                                 '  --state) echo running ;;\n'
                                 '  --get-active-zones) printf "%s" ;;\n' % zones +
                                 '  "--zone=public --list-ports") echo "10250/tcp 8472/udp" ;;\n'
                                 '  *) echo "" ;;\n'
                                 'esac\n')

    assert not run_module(host_preflight, {}).failed
    run = run_module(host_preflight, {"vxlan_port": 4789})
    assert run.failed and "zone public" in run.result["msg"] and "trusted" not in run.result["msg"]
    assert "firewall-cmd --permanent --zone=public --add-port=4789/udp && firewall-cmd --reload" in run.result["msg"]


def test_firewalld_is_checked_even_when_ufw_is_installed_but_inactive(machine, run_module):
    machine.ufw("Status: inactive\n", SSH_ONLY)
    machine.tool("firewall-cmd", 'case "$*" in\n  --state) echo running ;;\n  --get-active-zones) echo ;;\n'
                                 '  --get-default-zone) echo public ;;\n  *) echo "" ;;\nesac\n')

    run = run_module(host_preflight, {})

    assert run.failed and "firewalld is active" in run.result["msg"] and "zone public" in run.result["msg"]


def test_stopped_firewalld_is_no_problem(machine, run_module):
    machine.tool("firewall-cmd", 'echo "not running"; exit 252\n')

    run = run_module(host_preflight, {})

    assert not run.failed
    assert run.result["firewalls"] == [{"tool": "firewalld", "active": False, "vxlan_port_open": True}]


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


def test_a_deny_rule_before_the_allow_rule_is_named_with_a_fix_that_works(machine, run_module):
    machine.ufw(UFW_ACTIVE, SSH_ONLY + "### tuple ### deny udp 8472 0.0.0.0/0 any 10.52.100.0/24 in\n"
                "### tuple ### allow udp 8472 0.0.0.0/0 any 0.0.0.0/0 in\n")

    run = run_module(host_preflight, {})

    assert run.failed
    assert "ufw insert 1 allow 8472/udp" in run.result["msg"]
    assert "deny udp 8472 0.0.0.0/0 any 10.52.100.0/24 in" in run.result["msg"]
