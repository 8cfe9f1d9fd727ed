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
  - Finds swap on a partition (C(nodeadm init) turns swap off but stops at partitions), an active firewall
    (C(ufw) or C(firewalld)) that keeps the Cilium VXLAN port closed (C(nodeadm init) stops, and pods on the host
    could not reach pods elsewhere), and reports the kernel release for the Cilium kernel check.
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
  - The firewall check reads C(ufw status) on hosts with ufw and C(firewall-cmd --list-ports) (default zone) on
    hosts with firewalld. Rules made with nftables or iptables directly, firewalld services and rich rules, and
    firewalls between the machines are not read.
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
firewall:
  description: The firewall found, whether it is active and whether it lets the VXLAN port in.
  returned: always
  type: dict
  sample: {tool: ufw, active: true, vxlan_port_open: false}
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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _host_checks as checks

PROC_SWAPS = "/proc/swaps"
KERNEL_RELEASE = "/proc/sys/kernel/osrelease"


def read_text(module, path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        module.fail_json(msg="Failed to read %s: %s" % (path, error))


def check_swap(module):
    partitions = checks.swap_partitions(read_text(module, PROC_SWAPS))
    if not partitions:
        return partitions, []
    devices = " ".join(partitions)
    return partitions, [
        "swap is on the partition(s) %s (%s). nodeadm init turns swap off but stops at partitions ('partition type "
        "swap found on the host'). Run swapoff %s and remove the swap line(s) from /etc/fstab, then run again."
        % (devices, PROC_SWAPS, devices)]


def _run(module, argv):
    rc, stdout, stderr = module.run_command(argv)
    return rc, stdout, stderr.strip()


def check_firewall(module, port):
    ufw = module.get_bin_path("ufw")
    if ufw:
        rc, status, stderr = _run(module, [ufw, "status"])
        if rc != 0:
            module.fail_json(msg="Failed to read the firewall state with ufw status: %s" % (stderr or status))
        state = dict(tool="ufw", active=checks.ufw_is_active(status))
        state["vxlan_port_open"] = not state["active"] or checks.ufw_allows(status, port)
        fix = "ufw allow %d/udp" % port
    else:
        firewall_cmd = module.get_bin_path("firewall-cmd")
        if not firewall_cmd:
            return dict(tool=None, active=False, vxlan_port_open=True), []
        rc, _stdout, _stderr = _run(module, [firewall_cmd, "--state"])
        state = dict(tool="firewalld", active=rc == 0)
        ports = ""
        if state["active"]:
            rc, ports, stderr = _run(module, [firewall_cmd, "--list-ports"])
            if rc != 0:
                module.fail_json(msg="Failed to list the open ports with firewall-cmd: %s" % (stderr or ports))
        state["vxlan_port_open"] = not state["active"] or checks.firewalld_allows(ports, port)
        fix = "firewall-cmd --permanent --add-port=%d/udp && firewall-cmd --reload" % port
    if state["vxlan_port_open"]:
        return state, []
    return state, [
        "%s is active and keeps %d/udp, the VXLAN port of Cilium, closed. nodeadm init would stop ('VxLan ports are "
        "not open on the host') and pods here could not reach pods on other nodes. Run %s (and let 10250/tcp in "
        "from the cluster's VPC), then run again." % (state["tool"], port, fix)]


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

    firewall = dict(tool=None, active=None, vxlan_port_open=None)
    if "firewall" not in skip:
        firewall, found = check_firewall(module, module.params["vxlan_port"])
        problems += found

    result = dict(changed=False, swap_partitions=partitions, firewall=firewall, problems=problems,
                  kernel_release=read_text(module, KERNEL_RELEASE).strip(), skipped_checks=skip)
    if problems:
        module.fail_json(msg="Failed to pass the host preflight: %s" % " | ".join(problems), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
