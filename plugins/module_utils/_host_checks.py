# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks of one machine that nodeadm or Cilium would trip on: swap, the firewall, the kernel.

Pure functions over what the machine shows (/proc/swaps, `ufw status`, `firewall-cmd --list-ports`, the kernel
release), so they are testable without a machine. The names of every preflight check of a run live here too, so
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
)
HOST_CHECK_NAMES = ("swap", "firewall")
CILIUM_CHECK_NAMES = ("kernel", "operator_replicas")
ALL_CHECK_NAMES = CLUSTER_CHECK_NAMES + HOST_CHECK_NAMES + CILIUM_CHECK_NAMES

CILIUM_VXLAN_PORT = 8472

# The oldest kernel each Cilium line runs on: Cilium's system requirements, and the EKS hybrid nodes guide for
# 1.18 (not on Ubuntu 20.04 or RHEL 8). Below 1.18, RHEL 8.6's 4.18 kernel counts as 5.4 (it carries the
# backports); from 1.18 on it does not.
_CILIUM_KERNEL_FLOORS = (
    ((1, 18), (5, 10), False),
    ((0, 0), (5, 4), True),
)
_RHEL8_KERNEL = re.compile(r"^4\.18\.0-\d+.*\.el8")


def skipped_check_warning(name):
    """The warning every part of a run gives for a check skipped on request, worded once so it shows once."""
    return ("Preflight check %s is skipped on request (eks_hybrid_skip_checks); problems it would find will "
            "surface later, on the hosts or in the cluster." % name)


def swap_partitions(proc_swaps):
    """The devices of /proc/swaps whose type is partition: nodeadm init cannot turn those off and fails."""
    devices = []
    for line in proc_swaps.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2 and fields[1] == "partition":
            devices.append(fields[0].replace("\\040", " "))
    return devices


def ufw_is_active(status_output):
    """Whether `ufw status` says the firewall is active."""
    return bool(re.search(r"^Status:\s*active\s*$", status_output, re.MULTILINE))


def _port_spec_covers(spec, port, protocol):
    """Whether a ufw or firewalld port spec (8472, 8472/udp, 8000:9000/udp, 8000-9000/udp, 22,8472/udp) covers it."""
    spec = spec.strip()
    if spec.lower().startswith("anywhere"):
        return True
    ports, slash, spec_protocol = spec.partition("/")
    spec_protocol = spec_protocol.split()[0].lower() if slash and spec_protocol.strip() else ""
    if spec_protocol and spec_protocol != protocol:
        return False
    for part in ports.split(","):
        bounds = re.split(r"[:-]", part.strip())
        if not all(bound.isdigit() for bound in bounds) or len(bounds) > 2:
            continue
        low, high = int(bounds[0]), int(bounds[-1])
        if low <= port <= high:
            return True
    return False


def ufw_allows(status_output, port, protocol="udp"):
    """Whether an active ufw (as `ufw status` shows it) lets PORT/PROTOCOL in."""
    for line in status_output.splitlines():
        match = re.match(r"^(?P<to>.+?)\s{2,}(?P<action>ALLOW|DENY|REJECT|LIMIT)(?: IN)?\s{2,}", line)
        if match and match.group("action") == "ALLOW" and "(v6)" not in match.group("to"):
            if _port_spec_covers(match.group("to"), port, protocol):
                return True
    return False


def firewalld_allows(list_ports_output, port, protocol="udp"):
    """Whether `firewall-cmd --list-ports` output holds a port spec that lets PORT/PROTOCOL in."""
    return any(_port_spec_covers(spec, port, protocol) for spec in list_ports_output.split() if "/" in spec)


def kernel_version(release):
    """(major, minor) of a kernel release such as 5.15.0-113-generic, or None when it does not start so."""
    match = re.match(r"^(\d+)\.(\d+)", release.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _chart_minor(chart_version):
    match = re.match(r"^v?(\d+)\.(\d+)", str(chart_version).strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def cilium_kernel_floor(chart_version):
    """'5.10' style floor of the kernel for a Cilium chart version (1.18.3, 1.18.3-0, v1.17.1)."""
    minor = _chart_minor(chart_version) or (0, 0)
    for since, floor, _rhel8 in _CILIUM_KERNEL_FLOORS:
        if minor >= since:
            return "%d.%d" % floor
    return None


def cilium_kernel_problem(release, chart_version):
    """Why a kernel release cannot run this Cilium chart version, with the fix; None when it can."""
    minor = _chart_minor(chart_version)
    version = kernel_version(release)
    if minor is None or version is None:
        return None
    for since, floor, rhel8_counts in _CILIUM_KERNEL_FLOORS:
        if minor < since:
            continue
        if version >= floor or (rhel8_counts and _RHEL8_KERNEL.match(release.strip())):
            return None
        older = "1.17" if floor > (5, 4) else None
        fix = ("Upgrade the kernel to %d.%d or newer" % floor
               + (", or set cilium_chart_version to a %s release for the whole fleet" % older if older else "")
               + ".")
        return ("kernel is %s, older than %d.%d, the oldest Cilium %s (cilium_chart_version) runs on. %s"
                % (release.strip(), floor[0], floor[1], chart_version, fix))
    return None
