#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: nodeconfig_render
short_description: Render and validate the nodeadm NodeConfig of an EKS hybrid node
version_added: 0.1.0
description:
  - Builds a C(NodeConfig) document (C(apiVersion=node.eks.aws/v1alpha1)) for C(nodeadm init) from structured
    options, optionally laid over a raw NodeConfig fragment given in O(extra_config).
  - Validates the result against the fields and rules of nodeadm v1.0.20 for hybrid nodes before anything is
    written, and reports every problem at once, each with the field path, the value and how to fix it.
    Secret values are never shown, only their length.
  - Unknown fields are refused (nodeadm decodes the file strictly); fields that moved between releases or that
    belong to the EC2 flavour of nodeadm are reported with their new place.
  - Writes O(dest) atomically with mode V(0600) and reports a change only when the content or the mode differs.
author:
  - eks_hybrid.nodes maintainers (@eks-hybrid)
options:
  dest:
    description:
      - Where to write the NodeConfig on the target host.
      - Pass it to nodeadm as C(file:///) plus the absolute path.
      - Missing parent directories are created with mode V(0700).
    type: path
    default: /etc/nodeadm/nodeconfig.yaml
  validate_only:
    description:
      - Build and validate only; no file is read or written.
      - Meant for the controller before any host changes, typically together with O(ssm_activation_pending=true).
    type: bool
    default: false
  check_host_files:
    description:
      - Check on the target host that the IAM Roles Anywhere certificate and private key exist, that the
        certificate is currently valid and that its subject CN equals the node name.
      - Defaults to V(true), or to V(false) when O(validate_only=true).
    type: bool
  ssm_activation_pending:
    description:
      - Accept an SSM configuration without activation id and code, because the activation is created later
        in the run. Values that are given are still validated.
    type: bool
    default: false
  cluster_name:
    description:
      - Name of the EKS cluster (C(spec.cluster.name)).
    type: str
  region:
    description:
      - AWS region of the cluster (C(spec.cluster.region)). An SSM activation must come from this region.
    type: str
  api_server_endpoint:
    description:
      - HTTPS URL of the cluster API server (C(spec.cluster.apiServerEndpoint)).
      - When O(api_server_endpoint), O(certificate_authority) and O(service_cidr) are all set, nodeadm does not
        call C(eks:DescribeCluster).
    type: str
  certificate_authority:
    description:
      - Base64 encoded certificate authority bundle of the cluster (C(spec.cluster.certificateAuthority)), as
        returned in C(certificateAuthority.data) by DescribeCluster.
    type: str
  service_cidr:
    description:
      - IPv4 CIDR of the cluster's Kubernetes services (C(spec.cluster.cidr)).
    type: str
  credential_provider:
    description:
      - How the node obtains AWS credentials.
      - V(ssm) writes C(spec.hybrid.ssm) from O(ssm_activation_id) and O(ssm_activation_code).
      - V(iam-ra) writes C(spec.hybrid.iamRolesAnywhere) from O(iam_roles_anywhere) and fills in nodeadm's
        default certificate and key paths explicitly.
      - When omitted, the provider follows from the options that are set (or from O(extra_config)).
    type: str
    choices: [ssm, iam-ra]
  ssm_activation_id:
    description:
      - ID of the SSM hybrid activation (a UUID), see M(eks_hybrid.nodes.ssm_activation).
    type: str
  ssm_activation_code:
    description:
      - Code of the SSM hybrid activation. Masked in every output and diff of this module.
    type: str
  iam_roles_anywhere:
    description:
      - IAM Roles Anywhere settings (C(spec.hybrid.iamRolesAnywhere)).
    type: dict
    suboptions:
      node_name:
        description:
          - Kubernetes node name; at most 64 characters and equal to the certificate's subject CN.
        type: str
      trust_anchor_arn:
        description:
          - ARN of the IAM Roles Anywhere trust anchor (C(arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID)).
        type: str
      profile_arn:
        description:
          - ARN of the IAM Roles Anywhere profile (C(arn:aws:rolesanywhere:REGION:ACCOUNT:profile/ID)).
        type: str
      role_arn:
        description:
          - ARN of the Hybrid Nodes IAM role (C(arn:aws:iam::ACCOUNT:role/NAME)).
        type: str
      certificate_path:
        description:
          - Path of the node certificate on the host. nodeadm's default is C(/etc/iam/pki/server.pem).
        type: str
      private_key_path:
        description:
          - Path of the node private key on the host. nodeadm's default is C(/etc/iam/pki/server.key).
        type: str
      aws_config_path:
        description:
          - Path of the AWS config file nodeadm writes. nodeadm's default is C(/etc/aws/hybrid/config).
        type: str
  enable_credentials_file:
    description:
      - Set C(spec.hybrid.enableCredentialsFile), needed by the EKS Pod Identity agent on hybrid nodes.
    type: bool
  kubelet_config:
    description:
      - KubeletConfiguration fragment (C(spec.kubelet.config)), deep-merged over the one in O(extra_config).
    type: dict
  kubelet_flags:
    description:
      - Extra kubelet flags (C(spec.kubelet.flags)), each one item C(--name=value). Appended after the flags
        of O(extra_config).
      - C(--hostname-override) is refused; C(--node-ip) must be a single IPv4 address.
    type: list
    elements: str
  node_labels:
    description:
      - Labels the kubelet registers the node with, rendered as one C(--node-labels) flag.
      - Labels in the C(kubernetes.io) and C(k8s.io) namespaces are refused unless the kubelet may set them
        (for example C(topology.kubernetes.io/zone) or C(node.kubernetes.io/*)).
    type: dict
  node_taints:
    description:
      - Taints the node registers with, each C(key=value:Effect) or C(key:Effect), rendered as one
        C(--register-with-taints) flag.
    type: list
    elements: str
  node_ip:
    description:
      - IPv4 address the kubelet advertises, rendered as C(--node-ip). Replaces any C(--node-ip) in
        O(extra_config).
    type: str
  containerd_config:
    description:
      - Inline containerd TOML (C(spec.containerd.config)). Its syntax is checked when the host's Python has
        C(tomllib) (3.11 or later).
    type: str
  extra_config:
    description:
      - A raw NodeConfig or fragment of one, for example an existing NodeConfig file loaded with
        P(ansible.builtin.from_yaml#filter). The structured options are merged over it and win where both
        set a value.
      - An activation code inside it is masked in all output like O(ssm_activation_code).
    type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports whether the file would change, without writing it.
  diff_mode:
    support: full
    details: The diff shows the NodeConfig before and after with the activation code masked on both sides.
  platform:
    support: full
    platforms: posix
notes:
  - Runs on the target host and needs PyYAML there.
  - Certificate checks use the C(cryptography) Python package when the host has it, otherwise
    C(openssl x509).
  - Validation covers the static rules of nodeadm v1.0.20 for hybrid nodes plus checks nodeadm only makes late
    or not at all (ARN shapes, region and CIDR syntax, node label namespaces, certificate CN). It cannot check
    anything that needs AWS, such as whether the activation has expired.
  - The module fails when any problem is found, also with O(validate_only=true); the failure result still
    carries RV(problems) and RV(nodeconfig).
seealso:
  - module: eks_hybrid.nodes.ssm_activation
  - module: eks_hybrid.nodes.node_ready_wait
  - name: nodeadm configuration reference
    description: The NodeConfig API of EKS hybrid nodes.
    link: https://docs.aws.amazon.com/eks/latest/userguide/hybrid-nodes-nodeadm.html
"""

EXAMPLES = r"""
- name: Render the NodeConfig of an SSM node
  eks_hybrid.nodes.nodeconfig_render:
    cluster_name: my-cluster
    region: us-west-2
    credential_provider: ssm
    ssm_activation_id: "{{ activation.activation_id }}"
    ssm_activation_code: "{{ activation.activation_code }}"
    node_ip: "{{ ansible_default_ipv4.address }}"
    node_labels:
      example.com/rack: r12
    node_taints:
      - example.com/edge=true:NoSchedule
  no_log: true

- name: Validate on the controller before the activation exists
  eks_hybrid.nodes.nodeconfig_render:
    cluster_name: my-cluster
    region: us-west-2
    credential_provider: ssm
    validate_only: true
    ssm_activation_pending: true
  delegate_to: localhost

- name: Render an IAM Roles Anywhere node from an existing NodeConfig file plus overrides
  eks_hybrid.nodes.nodeconfig_render:
    extra_config: "{{ lookup('ansible.builtin.file', 'nodeconfig.yaml') | ansible.builtin.from_yaml }}"
    credential_provider: iam-ra
    iam_roles_anywhere:
      node_name: "{{ inventory_hostname_short }}"
      trust_anchor_arn: arn:aws:rolesanywhere:us-west-2:111122223333:trust-anchor/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
      profile_arn: arn:aws:rolesanywhere:us-west-2:111122223333:profile/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d
      role_arn: arn:aws:iam::111122223333:role/hybrid-nodes
"""

RETURN = r"""
dest:
  description: Path of the NodeConfig file.
  returned: when O(validate_only=false)
  type: str
  sample: /etc/nodeadm/nodeconfig.yaml
nodeconfig:
  description:
    - The rendered NodeConfig with the activation code masked.
    - With O(ssm_activation_pending=true), a missing activation id and code read C((created during the run)); the
      diff shows the same.
  returned: always
  type: dict
  sample:
    apiVersion: node.eks.aws/v1alpha1
    kind: NodeConfig
    spec:
      cluster: {name: my-cluster, region: us-west-2}
      hybrid:
        ssm: {activationId: 5743558d-563b-4457-8682-d16c3c1d63ac, activationCode: "********"}
problems:
  description: Every problem found; empty when the NodeConfig is valid.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Dotted path of the field (or the module option) at fault.
      type: str
      sample: spec.hybrid.nodeName
    value:
      description: The offending value; secrets appear masked with their length.
      type: raw
      sample: node-01
    message:
      description: What is wrong, in nodeadm's wording where nodeadm has a rule for it.
      type: str
      sample: "unknown field: nodeadm v1.0.20 decodes strictly and refuses it (json: unknown field \"nodeName\")"
    fix:
      description: How to fix it.
      type: str
      sample: move it to spec.hybrid.iamRolesAnywhere.nodeName
node_name:
  description: Kubernetes node name when it is known before C(nodeadm init) (IAM Roles Anywhere); SSM nodes are
    named after their managed instance id, which exists only after registration.
  returned: when the credential provider is IAM Roles Anywhere
  type: str
  sample: edge-node-01
"""

import os
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

try:
    import yaml

    HAS_YAML = True
    YAML_IMPORT_ERROR = None
except ImportError:
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _certificate
from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _nodeconfig

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def _to_yaml(document):
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=False)


def _read_existing(path):
    """Current content of the file as text, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None


def _masked_text(module, text):
    """A NodeConfig file's text with its secrets masked, for a diff; never the raw text of an unparsable file."""
    if text is None:
        return ""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return "# the existing file is not valid YAML; its content is not shown\n"
    module.no_log_values.update(_nodeconfig.secrets_of(document))
    return _to_yaml(_nodeconfig.mask_nodeconfig(document))


def _certificate_reader(module):
    if _certificate.HAS_CRYPTOGRAPHY:
        return _certificate.read_with_cryptography
    openssl = module.get_bin_path("openssl")
    if openssl is None:
        module.fail_json(msg="Failed to check the IAM Roles Anywhere certificate: neither the Python package "
                             "cryptography nor the openssl command is available on the host")

    def read(path):
        return _certificate.read_with_openssl(path, module.run_command, openssl=openssl)

    return read


def _write_atomically(module, dest, content):
    """Replace dest with content so that the file is never readable by others, not even for a moment."""
    directory = os.path.dirname(dest) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=DIRECTORY_MODE)
    if os.path.exists(dest):
        os.chmod(dest, FILE_MODE)  # atomic_move copies the old mode onto the new file
    else:
        # A placeholder with the final mode, so that atomic_move does not apply the umask-based default.
        os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    handle, temporary = tempfile.mkstemp(prefix=".nodeconfig-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.encode("utf-8"))
        module.atomic_move(temporary, dest)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    os.chmod(dest, FILE_MODE)


def render(module):
    params = module.params
    validate_only = params["validate_only"]
    check_files = params["check_host_files"]
    if check_files is None:
        check_files = not validate_only
    module.no_log_values.update(_nodeconfig.secrets_of(params.get("extra_config") or {}))

    document, problems = _nodeconfig.build_nodeconfig(params)
    problems += _nodeconfig.validate_nodeconfig(document, activation_pending=params["ssm_activation_pending"])
    if check_files:
        problems += _nodeconfig.check_host_files(document, os.path.exists, _certificate_reader(module))

    masked = _nodeconfig.mask_nodeconfig(document)
    if params["ssm_activation_pending"]:
        masked = _nodeconfig.show_pending_activation(masked)
    result = dict(changed=False, nodeconfig=masked, problems=[problem.as_dict() for problem in problems])
    files = _nodeconfig.iam_roles_anywhere_files(document)
    if files and files.get("nodeName"):
        result["node_name"] = files["nodeName"]
    if problems:
        module.fail_json(msg="Failed to validate NodeConfig: %s" % _nodeconfig.summarize(problems), **result)
    if validate_only:
        module.exit_json(**result)

    dest = params["dest"]
    result["dest"] = dest
    content = _to_yaml(document)
    try:
        existing = _read_existing(dest)
        mode_differs = existing is not None and (os.stat(dest).st_mode & 0o7777) != FILE_MODE
    except OSError as error:
        module.fail_json(msg="Failed to read NodeConfig %s: %s" % (dest, to_native(error)), **result)
    content_differs = existing != content
    result["changed"] = content_differs or mode_differs
    if module._diff and content_differs:
        result["diff"] = dict(before_header=dest, after_header=dest, before=_masked_text(module, existing),
                              after=_to_yaml(masked))
    if result["changed"] and not module.check_mode:
        try:
            if content_differs:
                _write_atomically(module, dest, content)
            else:
                os.chmod(dest, FILE_MODE)
        except OSError as error:
            module.fail_json(msg="Failed to write NodeConfig %s: %s" % (dest, to_native(error)), **result)
    module.exit_json(**result)


def main():
    iam_roles_anywhere_spec = dict(
        node_name=dict(type="str"),
        trust_anchor_arn=dict(type="str"),
        profile_arn=dict(type="str"),
        role_arn=dict(type="str"),
        certificate_path=dict(type="str"),
        private_key_path=dict(type="str", no_log=False),
        aws_config_path=dict(type="str"),
    )
    argument_spec = dict(
        dest=dict(type="path", default=_nodeconfig.DEFAULT_DEST),
        validate_only=dict(type="bool", default=False),
        check_host_files=dict(type="bool"),
        ssm_activation_pending=dict(type="bool", default=False),
        cluster_name=dict(type="str"),
        region=dict(type="str"),
        api_server_endpoint=dict(type="str"),
        certificate_authority=dict(type="str"),
        service_cidr=dict(type="str"),
        credential_provider=dict(type="str", choices=["ssm", "iam-ra"]),
        ssm_activation_id=dict(type="str", no_log=False),
        ssm_activation_code=dict(type="str", no_log=True),
        iam_roles_anywhere=dict(type="dict", options=iam_roles_anywhere_spec),
        enable_credentials_file=dict(type="bool"),
        kubelet_config=dict(type="dict"),
        kubelet_flags=dict(type="list", elements="str"),
        node_labels=dict(type="dict"),
        node_taints=dict(type="list", elements="str"),
        node_ip=dict(type="str"),
        containerd_config=dict(type="str"),
        extra_config=dict(type="dict"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)
    render(module)


if __name__ == "__main__":
    main()
