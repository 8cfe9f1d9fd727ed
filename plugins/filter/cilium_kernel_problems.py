# -*- coding: utf-8 -*-
# Copyright: eks_hybrid.nodes contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: cilium_kernel_problems
short_description: The machines whose kernel is too old for a Cilium version, each with the reason and fix
version_added: 0.1.0
description:
  - Cilium 1.18 and later need Linux 5.10 or newer; earlier lines need 5.4 or newer, or the 4.18 kernel of RHEL 8.
  - Takes machine names with their kernel releases and returns only the machines below the floor.
  - A kernel release or chart version that does not start with C(major.minor) is not judged.
options:
  _input:
    description:
      - Machine name to kernel release (C(uname -r)), for example from the C(kernel_release) that
        M(eks_hybrid.nodes.host_preflight) returns or the C(status.nodeInfo.kernelVersion) of a Node.
    type: dict
    required: true
  chart_version:
    description: The Cilium chart version, such as C(1.18.3) or the AWS build C(1.18.3-0).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Stop when a node cannot run the chosen Cilium
  ansible.builtin.fail:
    msg: "{{ problems }}"
  vars:
    problems: "{{ {'edge-01': '4.18.0-553.el8_10.x86_64'} | eks_hybrid.nodes.cilium_kernel_problems('1.18.3') }}"
  when: problems | length > 0
"""

RETURN = r"""
_value:
  description: Machine name to a message saying which kernel it runs, the floor, and the fix.
  type: dict
"""

from ansible_collections.eks_hybrid.nodes.plugins.module_utils._host_checks import cilium_kernel_problem


def cilium_kernel_problems(kernels, chart_version):
    """Return {name: message} for the machines whose kernel the chart version cannot run on."""
    problems = {}
    for name, release in (kernels or {}).items():
        message = cilium_kernel_problem(str(release or ""), chart_version)
        if message:
            problems[name] = message
    return problems


class FilterModule:
    """Filters for checking a fleet against a Cilium version."""

    def filters(self):
        return {"cilium_kernel_problems": cilium_kernel_problems}
