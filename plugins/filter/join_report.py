# -*- coding: utf-8 -*-
# Copyright: eks_hybrid.nodes contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: join_report
short_description: One row per inventory host of a join run, with its node name and status
version_added: 0.1.0
description:
  - Combines what the hosts of a join run recorded (node name, failure) with the verdicts of
    M(eks_hybrid.nodes.node_ready_wait) into rows C(host), C(node), C(status), C(detail).
  - Render the rows with P(eks_hybrid.nodes.text_table#filter).
options:
  _input:
    description:
      - The host variables of the run's hosts.
      - For example C(groups['hybrid_nodes'] | map('extract', hostvars)).
    type: list
    elements: dict
    required: true
  verdicts:
    description: The C(nodes) list returned by M(eks_hybrid.nodes.node_ready_wait).
    type: list
    elements: dict
    default: []
  unchecked_reason:
    description: Why joined nodes without a verdict were not checked, for example a failed CNI install.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Show what became of each host
  ansible.builtin.debug:
    msg: "{{ groups['hybrid_nodes'] | map('extract', hostvars) | eks_hybrid.nodes.join_report(wait.nodes)
             | eks_hybrid.nodes.text_table }}"
"""

RETURN = r"""
_value:
  description: Rows with keys C(host), C(node), C(status) and C(detail).
  type: list
  elements: dict
"""

_STATUS = {"ready": "Ready", "not_ready": "NotReady", "missing": "Missing"}


def _strip_host_prefix(message, host):
    """The message on one line, without the host name the table already shows."""
    message = " ".join(message.split())
    prefix = "%s: " % host
    return message[len(prefix):] if message.startswith(prefix) else message


def join_report(hosts, verdicts=None, unchecked_reason=""):
    """Return one row per host: failed hosts with their reason, joined hosts with their node's verdict."""
    by_name = {verdict.get("name"): verdict for verdict in verdicts or []}
    rows = []
    for host in hosts:
        name = host.get("inventory_hostname", "?")
        node = host.get("hybrid_node_node_name") or "-"
        if "eks_hybrid_host_failure" in host:
            rows.append({"host": name, "node": node, "status": "Failed",
                         "detail": _strip_host_prefix(str(host["eks_hybrid_host_failure"]), name)})
            continue
        if host.get("hybrid_node_would_join"):
            rows.append({"host": name, "node": node, "status": "WouldJoin",
                         "detail": "check mode: would install and join"})
            continue
        if node == "-":
            rows.append({"host": name, "node": node, "status": "Skipped", "detail": "the run did not reach this host"})
            continue
        verdict = by_name.get(node, {})
        status = _STATUS.get(verdict.get("verdict"), "Unknown")
        detail = "joined in this run" if host.get("hybrid_node_joined_now") else "already joined"
        if status != "Ready" and verdict.get("reason"):
            detail = "%s; %s" % (detail, verdict["reason"])
        elif not verdict and unchecked_reason:
            detail = "%s; not checked: %s" % (detail, " ".join(str(unchecked_reason).split()))
        rows.append({"host": name, "node": node, "status": status, "detail": detail})
    return rows


class FilterModule:
    """Filters for reporting a join run."""

    def filters(self):
        return {"join_report": join_report}
