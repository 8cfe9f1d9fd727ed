# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks of one machine that nodeadm or Cilium would trip on: swap, the firewall, the kernel.

Pure functions over what the machine shows (/proc/swaps, ufw's status and rules, firewalld's zones and ports, the
kernel release), so they are testable without a machine. The names of every preflight check of a run live here too, so
that the modules, filters and roles that take eks_hybrid_skip_checks accept the same names.
"""

import re

CLUSTER_CHECK_NAMES = (
    "cluster_active",
    "remote_network_config",
    "authentication_mode",
    "endpoint_access",
    "kubernetes_version",
    "node_ip",
    "pod_cidrs",
    "role_trust",
    "access_entry",
    "kube_context",
    "leftover_join",
    "ssm_registration",
    "stale_node",
)
HOST_CHECK_NAMES = ("swap", "firewall")
CILIUM_CHECK_NAMES = ("kernel", "operator_replicas", "pod_cidr_change", "kube_proxy")
ALL_CHECK_NAMES = CLUSTER_CHECK_NAMES + HOST_CHECK_NAMES + CILIUM_CHECK_NAMES

CILIUM_VXLAN_PORT = 8472

# The oldest kernel each Cilium line runs on: Cilium's system requirements, and the EKS hybrid nodes guide for
# 1.18 (not on Ubuntu 20.04 or RHEL 8). Below 1.18, RHEL 8.6's 4.18 kernel counts as 5.4 (it carries the
# backports); from 1.18 on it does not.
_CILIUM_KERNEL_FLOORS = (
    ((1, 18), (5, 10), False),
    ((0, 0), (5, 4), True),
)
# RHEL 8.6 shipped kernel 4.18.0-372; earlier RHEL 8 kernels lack the backports Cilium needs.
_RHEL8_KERNEL = re.compile(r"^4\.18\.0-(\d+)[^ ]*\.el8")
_RHEL86_FIRST_BUILD = 372


def skipped_check_warning(name):
    """The warning every part of a run gives for a check skipped on request, worded once so it shows once."""
    return ("Preflight check %s is skipped on request; problems it would find will surface later, on the hosts or "
            "in the cluster." % name)


def swap_partitions(proc_swaps):
    """The devices of /proc/swaps whose type is partition: nodeadm init cannot turn those off and fails."""
    devices = []
    for line in proc_swaps.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2 and fields[1] == "partition":
            devices.append(fields[0].replace("\\040", " "))
    return devices


def ufw_is_active(status_output):
    """Whether `ufw status verbose` (in the C locale) says the firewall is active."""
    return bool(re.search(r"^Status:\s*active\s*$", status_output, re.MULTILINE))


def ufw_default_incoming(status_output):
    """The default incoming policy (allow, deny, reject) that `ufw status verbose` shows, deny when it shows none."""
    match = re.search(r"^Default:\s*(\w+)\s*\(incoming\)", status_output, re.MULTILINE)
    return match.group(1).lower() if match else "deny"


def _ports_cover(ports, port):
    """Whether a port list as ufw or firewalld write it (any, 8472, 8000:9000, 8000-9000, 22,8472) holds PORT."""
    if ports == "any":
        return True
    for part in ports.split(","):
        bounds = re.split(r"[:-]", part.strip())
        if len(bounds) <= 2 and all(bound.isdigit() for bound in bounds):
            if int(bounds[0]) <= port <= int(bounds[-1]):
                return True
    return False


def ufw_first_rule(user_rules, port, protocol="udp"):
    """The first rule of /etc/ufw/user.rules that decides about incoming PORT/PROTOCOL, as its tuple fields; or None.

    USER_RULES holds the rules in order in its "### tuple ###" lines: action, protocol, destination port,
    destination, source port, source[, applications], direction[_interface]. A rule limited to some sources or one
    interface counts: the peers may be those sources.
    """
    for line in user_rules.splitlines():
        if not line.startswith("### tuple ###"):
            continue
        fields = [field for field in line[len("### tuple ###"):].split() if not field.startswith("comment=")]
        if len(fields) < 7 or fields[0].startswith("route:"):
            continue
        _action, rule_protocol, destination_port, _destination, source_port = fields[:5]
        if not fields[-1].startswith("in") or rule_protocol not in ("any", protocol) or source_port != "any":
            continue
        if _ports_cover(destination_port, port):
            return fields
    return None


def ufw_allows(user_rules, default_incoming, port, protocol="udp"):
    """Whether ufw lets PORT/PROTOCOL in, judged like ufw does: the first matching rule, else the default policy."""
    rule = ufw_first_rule(user_rules, port, protocol)
    if rule is None:
        return default_incoming == "allow"
    return rule[0] in ("allow", "limit")


def firewalld_zones(active_zones_output):
    """Zone names in `firewall-cmd --get-active-zones` output (the lines that are not indented)."""
    return [line.split()[0] for line in active_zones_output.splitlines() if line.strip() and not line[0].isspace()]


def firewalld_allows(zone, list_ports_output, port, protocol="udp"):
    """Whether a firewalld zone lets PORT/PROTOCOL in: the trusted zone does, others by `--list-ports`."""
    if zone == "trusted":
        return True
    for spec in list_ports_output.split():
        ports, _slash, spec_protocol = spec.partition("/")
        if spec_protocol == protocol and _ports_cover(ports, port):
            return True
    return False


def kernel_version(release):
    """(major, minor) of a kernel release such as 5.15.0-113-generic, or None when it does not start so."""
    match = re.match(r"^(\d+)\.(\d+)", release.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _is_rhel86_or_later(release):
    match = _RHEL8_KERNEL.match(release.strip())
    return bool(match) and int(match.group(1)) >= _RHEL86_FIRST_BUILD


def _chart_minor(chart_version):
    match = re.match(r"^v?(\d+)\.(\d+)", str(chart_version).strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def cilium_kernel_problem(release, chart_version):
    """Why a kernel release cannot run this Cilium chart version, with the fix; None when it can."""
    minor = _chart_minor(chart_version)
    version = kernel_version(release)
    if minor is None or version is None:
        return None
    for index, (since, floor, rhel86_counts) in enumerate(_CILIUM_KERNEL_FLOORS):
        if minor < since:
            continue
        if version >= floor or (rhel86_counts and _is_rhel86_or_later(release)):
            return None
        fix = "Upgrade the kernel to %d.%d or newer" % floor
        if index + 1 < len(_CILIUM_KERNEL_FLOORS):
            fix += ", or set cilium_chart_version to a release before %d.%d for the whole fleet" % since
        return ("kernel is %s, older than %d.%d, the oldest Cilium %s (cilium_chart_version) runs on. %s."
                % (release.strip(), floor[0], floor[1], chart_version, fix))
    return None
