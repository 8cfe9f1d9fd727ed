#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: host_preflight
short_description: Check a machine for what stops nodeadm init or Cilium, without changing it
version_added: 0.1.0
description:
  - Runs on the host before it changes and only reads.
  - Finds swap on a partition (C(nodeadm init) turns swap off but stops at partitions), and an active firewall
    (C(ufw) or C(firewalld), each checked when present) that keeps the Cilium VXLAN port closed (C(nodeadm init)
    stops, and pods on the host could not reach pods elsewhere). Reports the kernel release for the Cilium kernel
    check.
  - Fails when it finds a problem, with what it found and how to fix it; the result holds the same findings.
author:
  - eks_hybrid.nodes maintainers (@eks-hybrid)
options:
  vxlan_port:
    description: The UDP port of the CNI's VXLAN overlay that the firewall must let in.
    type: int
    default: 8472
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - eks_hybrid.nodes.read_only
  - eks_hybrid.nodes.skip_checks
attributes:
  platform:
    support: full
    platforms: posix
notes:
  - Needs root, as C(ufw status) and C(firewall-cmd) do.
  - The firewall check reads C(ufw status verbose) and C(/etc/ufw/user.rules) on hosts with ufw, and the open ports
    of every active zone (C(firewall-cmd --list-ports)) on hosts with firewalld. A rule limited to some sources or
    one interface counts as open. Rules made with nftables or iptables directly, ufw's before.rules, firewalld
    services and rich rules, and firewalls between the machines are not read.
  - Swap files are not a problem, nodeadm turns them off; only swap partitions are reported.
  - Of O(skip_checks), this module acts on C(swap) and C(firewall).
seealso:
  - module: eks_hybrid.nodes.cluster_preflight
  - module: eks_hybrid.nodes.nodeconfig_render
"""

EXAMPLES = r"""
- name: Check the machine before nodeadm init
  eks_hybrid.nodes.host_preflight:
  register: host_check

- name: Check a fleet that runs Calico (VXLAN on 4789/udp)
  eks_hybrid.nodes.host_preflight:
    vxlan_port: 4789
"""

RETURN = r"""
swap_partitions:
  description: The swap partitions in use (C(/proc/swaps)).
  returned: always
  type: list
  elements: str
  sample: [/dev/sda3]
firewalls:
  description: Each firewall tool the host has, whether it is active and whether it lets the VXLAN port in.
  returned: always
  type: list
  elements: dict
  sample: [{tool: ufw, active: true, vxlan_port_open: false}]
kernel_release:
  description: The running kernel release, as C(uname -r) prints it.
  returned: always
  type: str
  sample: 6.8.0-45-generic
problems:
  description: One message per problem found, each with what was found and the fix.
  returned: always
  type: list
  elements: str
skipped_checks:
  description: The checks of this module that were skipped on request.
  returned: always
  type: list
  elements: str
"""

import shlex

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _host_checks as checks

PROC_SWAPS = "/proc/swaps"
KERNEL_RELEASE = "/proc/sys/kernel/osrelease"
UFW_USER_RULES = "/etc/ufw/user.rules"
# Tool output is parsed, so it must not be translated.
C_LOCALE = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"}


def read_text(module, path):
    """The content of PATH; fails the module when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        module.fail_json(msg="Failed to read %s: %s" % (path, error))
    return ""


def run_tool(module, argv, what):
    """stdout of a command run in the C locale; fails the module with WHAT when the command fails."""
    rc, stdout, stderr = module.run_command(argv, environ_update=C_LOCALE)
    if rc != 0:
        module.fail_json(msg="Failed to %s with %s: %s" % (what, " ".join(argv), (stderr or stdout).strip()))
    return stdout


def check_swap(module):
    """The swap partitions in use, and the problem they make for nodeadm init."""
    partitions = checks.swap_partitions(read_text(module, PROC_SWAPS))
    if not partitions:
        return partitions, []
    devices = " ".join(shlex.quote(device) for device in partitions)
    return partitions, [
        "swap is on the partition(s) %s (%s). nodeadm init turns swap off but stops at partitions ('partition type "
        "swap found on the host'). Turn it off for good: run swapoff %s and remove the line(s) from /etc/fstab (for "
        "a zram device, disable zram-generator or zram-config instead), then run again."
        % (", ".join(partitions), PROC_SWAPS, devices)]


def check_ufw(module, ufw, port):
    """State of ufw, and the problem when it is active and keeps PORT/udp closed."""
    status = run_tool(module, [ufw, "status", "verbose"], "read the firewall state")
    state = dict(tool="ufw", active=checks.ufw_is_active(status), closed_in=[])
    fix = "ufw allow %d/udp" % port
    if state["active"]:
        rules = read_text(module, UFW_USER_RULES)
        if not checks.ufw_allows(rules, checks.ufw_default_incoming(status), port):
            state["closed_in"] = ["ufw"]
            blocking = checks.ufw_first_rule(rules, port)
            if blocking:
                fix = ("ufw insert 1 allow %d/udp (the rule '%s' comes first and keeps the port closed; "
                       "'ufw status numbered' lists it)" % (port, " ".join(blocking)))
    return state, fix


def check_firewalld(module, firewall_cmd, port):
    """State of firewalld, and the zones in which it keeps PORT/udp closed."""
    rc, stdout, stderr = module.run_command([firewall_cmd, "--state"], environ_update=C_LOCALE)
    running = rc == 0
    if not running and "not running" not in (stdout + stderr):
        module.fail_json(msg="Failed to read the firewall state with %s --state: %s"
                             % (firewall_cmd, (stderr or stdout).strip()))
    state = dict(tool="firewalld", active=running, closed_in=[])
    if running:
        zones = checks.firewalld_zones(run_tool(module, [firewall_cmd, "--get-active-zones"], "list the zones"))
        if not zones:
            zones = [run_tool(module, [firewall_cmd, "--get-default-zone"], "read the default zone").strip()]
        for zone in zones:
            ports = run_tool(module, [firewall_cmd, "--zone=%s" % zone, "--list-ports"], "list the open ports")
            if not checks.firewalld_allows(zone, ports, port):
                state["closed_in"].append("zone %s" % zone)
    fix = " && ".join(["firewall-cmd --permanent --zone=%s --add-port=%d/udp" % (where.split()[-1], port)
                       for where in state["closed_in"]] + ["firewall-cmd --reload"])
    return state, fix


def check_firewalls(module, port):
    """Every firewall tool the host has, with the problems of those that keep PORT/udp closed."""
    firewalls, problems = [], []
    for name, check in (("ufw", check_ufw), ("firewall-cmd", check_firewalld)):
        path = module.get_bin_path(name)
        if not path:
            continue
        state, fix = check(module, path, port)
        firewalls.append(dict(tool=state["tool"], active=state["active"], vxlan_port_open=not state["closed_in"]))
        if state["closed_in"]:
            problems.append(
                "%s is active and keeps %d/udp (hybrid_node_vxlan_port, the CNI's VXLAN port) closed in %s. nodeadm "
                "init would stop ('VxLan ports are not open on the host') and pods here could not reach pods on "
                "other nodes. Run %s, then run again."
                % (state["tool"], port, ", ".join(state["closed_in"]), fix))
    return firewalls, problems


def main():
    module = AnsibleModule(
        argument_spec=dict(
            vxlan_port=dict(type="int", default=checks.CILIUM_VXLAN_PORT),
            skip_checks=dict(type="list", elements="str", default=[], choices=list(checks.ALL_CHECK_NAMES)),
        ),
        supports_check_mode=True,
    )
    skip = [name for name in module.params["skip_checks"] if name in checks.HOST_CHECK_NAMES]
    for name in skip:
        module.warn(checks.skipped_check_warning(name))

    problems = []
    partitions = []
    if "swap" not in skip:
        partitions, found = check_swap(module)
        problems += found

    firewalls = []
    if "firewall" not in skip:
        firewalls, found = check_firewalls(module, module.params["vxlan_port"])
        problems += found

    result = dict(changed=False, swap_partitions=partitions, firewalls=firewalls, problems=problems,
                  kernel_release=read_text(module, KERNEL_RELEASE).strip(), skipped_checks=skip)
    if problems:
        module.fail_json(msg="Failed to pass the host preflight: %s" % " | ".join(problems), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
