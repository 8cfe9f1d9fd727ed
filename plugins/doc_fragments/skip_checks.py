# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """The skip_checks option of the preflight modules: one list of check names serves a whole join run."""

    DOCUMENTATION = r"""
options:
  skip_checks:
    description:
      - Names of checks not to run, for experts who know why. The module warns about each one it skips.
      - Every check name of a join run is accepted, so one list (eks_hybrid_skip_checks) serves the whole run; a
        module acts on the names of its own checks, listed in its notes, and ignores the others.
    type: list
    elements: str
    choices: [cluster_active, remote_network_config, authentication_mode, endpoint_access, kubernetes_version,
              node_ip, pod_cidrs, role_trust, access_entry, kube_context, leftover_join, ssm_registration,
              stale_node, swap, firewall, kernel, operator_replicas, pod_cidr_change, kube_proxy]
    default: []
"""
