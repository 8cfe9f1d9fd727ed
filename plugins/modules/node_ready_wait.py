#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: node_ready_wait
short_description: Wait until EKS hybrid nodes are registered or Ready
version_added: 0.1.0
description:
  - Waits until every wanted Kubernetes Node exists (O(state=registered)) or has its C(Ready) condition
    C(True) (O(state=ready)), and reports a verdict per node.
  - Uses one list of all nodes and then one watch from that list's resourceVersion, however many nodes are
    awaited. The list is repeated only when the watch ends or its resourceVersion has expired (HTTP 410 Gone).
  - Hybrid nodes stay C(NotReady) until a CNI runs on them, so wait for V(registered) after C(nodeadm init),
    install the CNI, then wait for V(ready).
author:
  - eks_hybrid.nodes maintainers (@eks-hybrid)
options:
  names:
    description:
      - Names of the Nodes to wait for. SSM nodes are named after their managed instance id (C(mi-...)), IAM
        Roles Anywhere nodes after C(nodeName).
      - At least one of O(names) and O(label_selector) is required.
    type: list
    elements: str
  label_selector:
    description:
      - Wait for the nodes matching this label selector, for example
        C(eks.amazonaws.com/compute-type=hybrid). With O(names) as well, only the named nodes count and the
        selector narrows what is listed and watched.
      - Without O(names), the wait succeeds once at least one node matches and all matching nodes are done.
    type: str
  state:
    description:
      - V(registered) waits until the Node objects exist.
      - V(ready) waits until their C(Ready) condition is C(True).
    type: str
    choices: [registered, ready]
    default: ready
  timeout:
    description:
      - How many seconds to wait before failing.
    type: int
    default: 600
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kubernetes.core.k8s_auth_options
attributes:
  check_mode:
    support: full
    details: Reports the current verdicts after one list, without waiting.
  diff_mode:
    support: N/A
    details: The module only reads.
  platform:
    support: full
    platforms: posix
notes:
  - Runs on the controller (or wherever the Kubernetes API is reachable), not on the nodes.
  - Pass O(kubeconfig) and O(context) explicitly when the environment may carry another cluster's
    C(K8S_AUTH_*) variables, for example in an AWX execution environment.
  - On timeout the module fails naming only the nodes that are not done, and still returns every verdict.
requirements:
  - kubernetes >= 24.2.0
seealso:
  - module: kubernetes.core.k8s_info
  - module: eks_hybrid.nodes.nodeconfig_render
"""

EXAMPLES = r"""
- name: Wait until the hosts of this run have registered their Node objects
  eks_hybrid.nodes.node_ready_wait:
    kubeconfig: "{{ cluster_kubeconfig }}"
    names: "{{ ansible_play_hosts | map('extract', hostvars, 'hybrid_node_name') | list }}"
    state: registered
    timeout: 300

- name: After the CNI is installed, wait until they are Ready
  eks_hybrid.nodes.node_ready_wait:
    kubeconfig: "{{ cluster_kubeconfig }}"
    names: "{{ ansible_play_hosts | map('extract', hostvars, 'hybrid_node_name') | list }}"
    state: ready
  register: readiness

- name: Report host, node and status
  ansible.builtin.debug:
    msg: "{{ readiness.nodes | map(attribute='name') | zip(readiness.nodes | map(attribute='verdict')) }}"
"""

RETURN = r"""
nodes:
  description: One verdict per wanted node, in the order of O(names) (sorted by name with only a selector).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Node name.
      type: str
      sample: mi-0123456789abcdef0
    verdict:
      description: V(missing) (no Node object), V(not_ready) or V(ready).
      type: str
      sample: not_ready
    reason:
      description: Reason of the Ready condition (or why there is none).
      type: str
      sample: KubeletNotReady
    message:
      description: Message of the Ready condition.
      type: str
      sample: "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady"
    internal_ip:
      description: The node's InternalIP address.
      type: str
      sample: 10.80.1.15
    labels:
      description: The node's C(eks.amazonaws.com/), C(topology.kubernetes.io/), C(node.kubernetes.io/) labels
        and its hostname, OS and architecture labels.
      type: dict
      sample: {eks.amazonaws.com/compute-type: hybrid}
ready:
  description: Names of the Ready nodes.
  returned: always
  type: list
  elements: str
  sample: [mi-0123456789abcdef0]
not_ready:
  description: Names of the nodes that exist but are not Ready.
  returned: always
  type: list
  elements: str
  sample: []
missing:
  description: Names of the wanted nodes without a Node object.
  returned: always
  type: list
  elements: str
  sample: []
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: int
  sample: 42
"""

import copy
import json
import math

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _node_readiness

try:
    from kubernetes.client import CoreV1Api
    from kubernetes.client.exceptions import ApiException
    from kubernetes.watch.watch import iter_resp_lines
    from urllib3.exceptions import HTTPError
except ImportError:
    pass  # Handled by AnsibleK8SModule

WATCH_READ_SLACK = 15  # seconds the client waits beyond the server-side watch timeout before giving up


class NodeApi:
    """Node list and watch as plain dicts, through the typed client without model deserialization."""

    def __init__(self, core_api, label_selector=None):
        self.core_api = core_api
        self.selector = {"label_selector": label_selector} if label_selector else {}

    def list_nodes(self):
        response = self.core_api.list_node(_preload_content=False, **self.selector)
        body = json.loads(response.data)
        return body.get("items") or [], (body.get("metadata") or {}).get("resourceVersion")

    def watch_nodes(self, resource_version, seconds):
        timeout = max(1, math.ceil(seconds))
        try:
            response = self.core_api.list_node(
                watch=True, resource_version=resource_version, allow_watch_bookmarks=True,
                timeout_seconds=timeout, _preload_content=False, _request_timeout=timeout + WATCH_READ_SLACK,
                **self.selector)
        except ApiException as error:
            if error.status == 410:
                raise _node_readiness.ResourceVersionExpired(error.reason) from error
            raise
        try:
            for line in iter_resp_lines(response):
                if line:
                    yield json.loads(line)
        finally:
            response.close()
            response.release_conn()


def run(module, node_api):
    params = module.params
    tracker = _node_readiness.NodeTracker(params["names"], params["state"])
    try:
        if module.check_mode:
            nodes, _resource_version = node_api.list_nodes()
            tracker.replace_all(nodes)
            module.exit_json(changed=False, elapsed=0, **tracker.report())
        outcome = _node_readiness.wait_for_nodes(tracker, node_api.list_nodes, node_api.watch_nodes,
                                                 params["timeout"])
    except ApiException as error:
        module.fail_json(msg="Failed to watch nodes: %s %s" % (error.status, error.reason), **tracker.report())
    except (_node_readiness.WatchFailed, HTTPError, ValueError) as error:
        module.fail_json(msg="Failed to watch nodes: %s" % to_native(error), **tracker.report())
    result = dict(changed=False, elapsed=int(outcome.elapsed), **tracker.report())
    if not outcome.done:
        module.fail_json(msg=_node_readiness.timeout_message(tracker, outcome.elapsed), **result)
    module.exit_json(**result)


def main():
    argument_spec = dict(
        names=dict(type="list", elements="str"),
        label_selector=dict(type="str"),
        state=dict(type="str", choices=list(_node_readiness.STATES), default="ready"),
        timeout=dict(type="int", default=600),
    )
    argument_spec.update(copy.deepcopy(AUTH_ARG_SPEC))
    module = AnsibleK8SModule(argument_spec=argument_spec, required_one_of=[("names", "label_selector")],
                              supports_check_mode=True)
    try:
        client = get_api_client(module)
    except (CoreException, ApiException, HTTPError, OSError, ValueError) as error:
        module.fail_json(msg="Failed to connect to the Kubernetes API: %s" % to_native(error))
    run(module, NodeApi(CoreV1Api(client.client.client), module.params["label_selector"]))


if __name__ == "__main__":
    main()
