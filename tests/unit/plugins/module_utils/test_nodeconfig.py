"""NodeConfig building, validation and masking (plugins/module_utils/_nodeconfig.py)."""

import base64
import copy
import datetime
import os

import jinja2
import pytest
import yaml

from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _nodeconfig as nodeconfig

ACTIVATION_ID = "5743558d-563b-4457-8682-d16c3c1d63ac"
ACTIVATION_CODE = "Zq8vX3bN1mK7pL2wR9tY"
CA_BUNDLE = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n").decode()
PLACEHOLDERS = {
    "<CLUSTER_NAME>": "eks-workshop",
    "<REGION>": "us-west-2",
    "<API_SERVER_HOST>": "0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com",
    "<CA_BUNDLE_BASE64>": CA_BUNDLE,
    "<SERVICE_CIDR>": "172.20.0.0/16",
    "<ACTIVATION_ID>": ACTIVATION_ID,
    "<ACTIVATION_CODE>": ACTIVATION_CODE,
    "<ACCOUNT_ID>": "123456789012",
    "<CA_ID>": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "<ZONE_LABEL>": "onprem-dc1",
}
GOOD_INPUTS = ["nodeconfig-ssm-minimal.yaml", "nodeconfig-ssm-kubelet-labels-staticpod.yaml",
               "nodeconfig-ssm-terraform-userdata.yaml"]


def load_input(inputs_dir, name):
    """A field-case input with its placeholders filled in with realistic values."""
    with open(os.path.join(inputs_dir, name)) as handle:
        text = handle.read()
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return yaml.safe_load(text)


def valid_ssm():
    return {
        "apiVersion": "node.eks.aws/v1alpha1",
        "kind": "NodeConfig",
        "spec": {
            "cluster": {"name": "eks-workshop", "region": "us-west-2",
                        "apiServerEndpoint": "https://api.example.test", "certificateAuthority": CA_BUNDLE,
                        "cidr": "172.20.0.0/16"},
            "hybrid": {"ssm": {"activationId": ACTIVATION_ID, "activationCode": ACTIVATION_CODE}},
            "kubelet": {"flags": ["--node-ip=10.52.100.11"]},
        },
    }


def valid_iam_ra():
    config = valid_ssm()
    config["spec"]["hybrid"] = {"iamRolesAnywhere": {
        "nodeName": "edge-node-01",
        "trustAnchorArn": "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/0f1e2d3c-4b5a",
        "profileArn": "arn:aws:rolesanywhere:us-west-2:123456789012:profile/1a2b3c4d-5e6f",
        "roleArn": "arn:aws:iam::123456789012:role/hybrid/eks-workshop-hybrid-nodes",
    }}
    return config


def with_value(config, path, value):
    """A copy of config with the dotted path set (created as needed), or removed when value is DELETE."""
    changed = copy.deepcopy(config)
    *parents, leaf = path.split(".")
    node = changed
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return changed


DELETE = object()

# (base, dotted path, new value, expected problem path, words the message must contain)
RULES = [
    (valid_ssm, "spec.cluster.name", DELETE, "spec.cluster.name", "Name is missing in cluster configuration"),
    (valid_ssm, "spec.cluster.name", "-bad name", "spec.cluster.name", "not a valid EKS cluster name"),
    (valid_ssm, "spec.cluster.region", DELETE, "spec.cluster.region", "Region is missing in cluster configuration"),
    (valid_ssm, "spec.cluster.region", "oregon", "spec.cluster.region", "does not look like an AWS region"),
    (valid_ssm, "spec.cluster.apiServerEndpoint", "http://api.example.test", "spec.cluster.apiServerEndpoint",
     "https:// URL"),
    (valid_ssm, "spec.cluster.certificateAuthority", "not base64!", "spec.cluster.certificateAuthority",
     "not valid base64"),
    (valid_ssm, "spec.cluster.cidr", "172.20.0.0/33", "spec.cluster.cidr", "not an IPv4 CIDR"),
    (valid_ssm, "spec.cluster.cidr", "fd00::/108", "spec.cluster.cidr", "not an IPv4 CIDR"),
    (valid_ssm, "spec.cluster.enableOutpost", True, "spec.cluster.enableOutpost", "not supported for hybrid"),
    (valid_ssm, "spec.cluster.id", "abc", "spec.cluster.id", "not supported for hybrid"),
    (valid_ssm, "spec.hybrid.ssm", DELETE, "spec.hybrid", "Either IAMRolesAnywhere or SSM must be provided"),
    (valid_ssm, "spec.hybrid", DELETE, "spec.hybrid", "treats the machine as an EC2 node"),
    (valid_ssm, "spec.hybrid.iamRolesAnywhere", valid_iam_ra()["spec"]["hybrid"]["iamRolesAnywhere"],
     "spec.hybrid", "Only one of IAMRolesAnywhere or SSM must be provided"),
    (valid_ssm, "spec.hybrid.ssm.activationId", DELETE, "spec.hybrid.ssm.activationId", "ActivationID is missing"),
    (valid_ssm, "spec.hybrid.ssm.activationId", "mi-12345", "spec.hybrid.ssm.activationId",
     "invalid ActivationID format: mi-12345"),
    (valid_ssm, "spec.hybrid.ssm.activationCode", DELETE, "spec.hybrid.ssm.activationCode",
     "ActivationCode is missing"),
    (valid_ssm, "spec.hybrid.ssm.activationCode", "short-code", "spec.hybrid.ssm.activationCode",
     "Must be 20-250 characters"),
    (valid_ssm, "spec.hybrid.ssm.activationCode", "x" * 251, "spec.hybrid.ssm.activationCode",
     "Must be 20-250 characters"),
    (valid_ssm, "spec.kubelet.flags", ["--hostname-override=node1.example.com"], "spec.kubelet.flags[0]",
     "hostname-override kubelet flag is not supported for hybrid nodes but found override: node1.example.com"),
    (valid_ssm, "spec.kubelet.flags", ["--node-ip=10.0.0.1,10.0.0.2"], "spec.kubelet.flags[0]",
     "single IPv4 address"),
    (valid_ssm, "spec.kubelet.flags", ["--node-ip=fd00::1"], "spec.kubelet.flags[0]", "single IPv4 address"),
    (valid_ssm, "spec.kubelet.flags", ["--node-ip=10.0.0.1", "--node-ip=10.0.0.2"], "spec.kubelet.flags[1]",
     "given 2 times"),
    (valid_ssm, "spec.kubelet.flags", ["--node-ip", "10.0.0.1"], "spec.kubelet.flags[0]", "has no value"),
    (valid_ssm, "spec.kubelet.flags", ["--node-labels=node-role.kubernetes.io/worker=true"],
     "spec.kubelet.flags[0]", "kubelet may not set"),
    (valid_ssm, "spec.kubelet.flags", ["--node-labels=bad key=v"], "spec.kubelet.flags[0]", "invalid key"),
    (valid_ssm, "spec.kubelet.flags", ["--register-with-taints=dedicated=edge:NoScheduleX"],
     "spec.kubelet.flags[0]", "not key=value:Effect"),
    (valid_ssm, "spec.kubelet.flags", "--node-ip=10.0.0.1", "spec.kubelet.flags", "must be a list of strings"),
    (valid_ssm, "spec.hybrid.enableCredentialsFile", "true", "spec.hybrid.enableCredentialsFile",
     "must be a boolean"),
    (valid_ssm, "spec.containerd.config", "version = 2\n[plugins\n", "spec.containerd.config", "not valid TOML"),
    (valid_ssm, "apiVersion", "node.eks.aws/v1beta1", "apiVersion", "must be node.eks.aws/v1alpha1"),
    (valid_ssm, "kind", "Config", "kind", "must be NodeConfig"),
    (valid_ssm, "spec.hybrid.region", "us-west-2", "spec.hybrid.region", "unknown field"),
    (valid_iam_ra, "spec.hybrid.iamRolesAnywhere.nodeName", DELETE, "spec.hybrid.iamRolesAnywhere.nodeName",
     "NodeName can't be empty"),
    (valid_iam_ra, "spec.hybrid.iamRolesAnywhere.nodeName", "n" * 65, "spec.hybrid.iamRolesAnywhere.nodeName",
     "NodeName can't be longer than 64 characters"),
    (valid_iam_ra, "spec.hybrid.iamRolesAnywhere.nodeName", "Edge_Node", "spec.hybrid.iamRolesAnywhere.nodeName",
     "not a valid Kubernetes node name"),
    (valid_iam_ra, "spec.hybrid.iamRolesAnywhere.trustAnchorArn", DELETE,
     "spec.hybrid.iamRolesAnywhere.trustAnchorArn", "TrustAnchorARN is missing"),
    (valid_iam_ra, "spec.hybrid.iamRolesAnywhere.profileArn", DELETE, "spec.hybrid.iamRolesAnywhere.profileArn",
     "ProfileARN is missing"),
    (valid_iam_ra, "spec.hybrid.iamRolesAnywhere.roleArn", DELETE, "spec.hybrid.iamRolesAnywhere.roleArn",
     "RoleARN is missing"),
    (valid_iam_ra, "spec.hybrid.iamRolesAnywhere.roleArn", "arn:aws:iam::123456789012:user/bob",
     "spec.hybrid.iamRolesAnywhere.roleArn", "expected iam:role"),
    (valid_iam_ra, "spec.hybrid.iamRolesAnywhere.profileArn",
     "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/1a2b", "spec.hybrid.iamRolesAnywhere.profileArn",
     "is in region eu-west-1 but the trust anchor is in us-west-2"),
    (valid_iam_ra, "spec.hybrid.iamRolesAnywhere.certificatePath", "pki/server.pem",
     "spec.hybrid.iamRolesAnywhere.certificatePath", "absolute path"),
]


def test_valid_documents_have_no_problems():
    assert nodeconfig.validate_nodeconfig(valid_ssm()) == []
    assert nodeconfig.validate_nodeconfig(valid_iam_ra()) == []


@pytest.mark.parametrize("base, path, value, problem_path, words", RULES,
                         ids=["%s=%s" % (rule[1], "DELETE" if rule[2] is DELETE else str(rule[2])[:30])
                              for rule in RULES])
def test_each_rule_reports_path_message_and_fix(base, path, value, problem_path, words):
    problems = nodeconfig.validate_nodeconfig(with_value(base(), path, value))
    matching = [problem for problem in problems if problem.path == problem_path and words in problem.message]
    assert matching, "expected %r at %s, got %s" % (words, problem_path, [str(p) for p in problems])
    assert all(problem.fix for problem in problems)


@pytest.mark.parametrize("path, fix", [
    ("spec.hybrid.nodeName", "move it to spec.hybrid.iamRolesAnywhere.nodeName"),
    ("spec.hybrid.region", "move it to spec.cluster.region"),
    ("spec.hybrid.enableHostCredentialsFile", "rename it to spec.hybrid.enableCredentialsFile"),
    ("spec.containerd.baseRuntimeSpec", "not supported for hybrid nodes"),
    ("spec.hybrid.ssm.activationID", "did you mean activationId? Field names are case-sensitive"),
    ("spec.kubelet.flgs", "did you mean flags?"),
    ("spec.cluster.endpoint", "fields accepted here: name, region, apiServerEndpoint"),
])
def test_unknown_fields_name_the_path_and_the_new_place(path, fix):
    problems = nodeconfig.validate_nodeconfig(with_value(valid_ssm(), path, "x"))
    unknown = [problem for problem in problems if problem.path == path]
    assert len(unknown) == 1
    assert "unknown field" in unknown[0].message
    assert fix in unknown[0].fix


def test_field_case_f06_reports_every_drifted_field_at_once():
    config = {"apiVersion": nodeconfig.API_VERSION, "kind": nodeconfig.KIND, "spec": {
        "cluster": {"name": "eks-workshop"},
        "hybrid": {"region": "us-west-2", "nodeName": "node-01", "enableHostCredentialsFile": True,
                   "iamRolesAnywhere": {}},
    }}
    paths = {problem.path for problem in nodeconfig.validate_nodeconfig(config)}
    assert {"spec.hybrid.region", "spec.hybrid.nodeName", "spec.hybrid.enableHostCredentialsFile",
            "spec.cluster.region", "spec.hybrid.iamRolesAnywhere.nodeName"} <= paths


def test_field_case_f07_both_providers_and_hostname_override_and_long_name():
    config = valid_iam_ra()
    config["spec"]["hybrid"]["ssm"] = {"activationId": ACTIVATION_ID, "activationCode": ACTIVATION_CODE}
    config["spec"]["hybrid"]["iamRolesAnywhere"]["nodeName"] = "very-long-host-name." * 4 + "example.com"
    config["spec"]["kubelet"]["flags"] = ["--hostname-override=node"]
    messages = " | ".join(problem.message for problem in nodeconfig.validate_nodeconfig(config))
    assert "Only one of IAMRolesAnywhere or SSM" in messages
    assert "hostname-override kubelet flag is not supported" in messages
    assert "longer than 64 characters" in messages


def test_pending_activation_accepts_missing_id_and_code_but_still_checks_given_values():
    config = with_value(valid_ssm(), "spec.hybrid.ssm", {})
    assert nodeconfig.validate_nodeconfig(config, activation_pending=True) == []
    assert len(nodeconfig.validate_nodeconfig(config)) == 2
    config = with_value(valid_ssm(), "spec.hybrid.ssm", {"activationId": "nope"})
    assert [p.path for p in nodeconfig.validate_nodeconfig(config, activation_pending=True)] == [
        "spec.hybrid.ssm.activationId"]


@pytest.mark.parametrize("code", ["short-secret-code", "y" * 300])
def test_activation_code_never_appears_in_problems(code):
    config = with_value(valid_ssm(), "spec.hybrid.ssm.activationCode", code)
    config["spec"]["hybrid"]["ssm"]["activationcode"] = code  # a typo'd key carries the secret too
    problems = nodeconfig.validate_nodeconfig(config)
    assert len(problems) == 2
    text = " ".join(str(problem) + repr(problem.as_dict()) for problem in problems)
    assert code not in text
    assert "%d characters" % len(code) in text


def test_mask_and_secrets_cover_the_code_and_misspelt_code_keys_only():
    config = valid_ssm()
    config["spec"]["hybrid"]["ssm"]["ActivationCode"] = "another-secret-value-123"
    masked = nodeconfig.mask_nodeconfig(config)
    assert masked["spec"]["hybrid"]["ssm"] == {"activationId": ACTIVATION_ID, "activationCode": nodeconfig.MASK,
                                               "ActivationCode": nodeconfig.MASK}
    assert config["spec"]["hybrid"]["ssm"]["activationCode"] == ACTIVATION_CODE, "the input must not change"
    assert sorted(nodeconfig.secrets_of(config)) == sorted([ACTIVATION_CODE, "another-secret-value-123"])


@pytest.mark.parametrize("name", GOOD_INPUTS)
def test_good_field_inputs_validate_once_placeholders_are_filled(inputs_dir, name):
    assert nodeconfig.validate_nodeconfig(load_input(inputs_dir, name)) == []


@pytest.mark.parametrize("name", GOOD_INPUTS)
def test_unfilled_placeholders_are_caught(inputs_dir, name):
    with open(os.path.join(inputs_dir, name)) as handle:
        raw = yaml.safe_load(handle)
    paths = {problem.path for problem in nodeconfig.validate_nodeconfig(raw)}
    assert {"spec.cluster.name", "spec.cluster.region", "spec.hybrid.ssm.activationId"} <= paths


def test_ansible_template_input_renders_to_a_valid_config(inputs_dir):
    with open(os.path.join(inputs_dir, "nodeconfig-ssm-ansible-template.yaml.j2")) as handle:
        template = jinja2.Template(handle.read())
    text = template.render(cluster_name="eks-workshop", region_name="us-west-2",
                           cluster_api_endpoint="https://api.example.test", cluster_certificate=CA_BUNDLE,
                           activation_code=ACTIVATION_CODE, activation_id=ACTIVATION_ID)
    assert nodeconfig.validate_nodeconfig(yaml.safe_load(text)) == []
    text = template.render(cluster_name="eks-workshop", region_name="", cluster_api_endpoint="api.example.test",
                           cluster_certificate=CA_BUNDLE, activation_code="", activation_id=ACTIVATION_ID)
    paths = {problem.path for problem in nodeconfig.validate_nodeconfig(yaml.safe_load(text))}
    assert paths == {"spec.cluster.region", "spec.cluster.apiServerEndpoint", "spec.hybrid.ssm.activationCode"}


def test_iam_ra_input_is_flagged_for_its_arns(inputs_dir):
    problems = nodeconfig.validate_nodeconfig(load_input(inputs_dir, "nodeconfig-iamra-custom-cert-path.yaml"))
    by_path = {problem.path: problem for problem in problems}
    assert set(by_path) == {"spec.hybrid.iamRolesAnywhere.trustAnchorArn",
                            "spec.hybrid.iamRolesAnywhere.profileArn"}
    assert "acm-pca:certificate-authority, expected rolesanywhere:trust-anchor" in \
        by_path["spec.hybrid.iamRolesAnywhere.trustAnchorArn"].message
    assert "iam:instance-profile, expected rolesanywhere:profile" in \
        by_path["spec.hybrid.iamRolesAnywhere.profileArn"].message


# --- host checks ----------------------------------------------------------------------------------------------

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.timezone.utc)


def certificate(common_name="edge-node-01", days_left=30, days_valid=10):
    return nodeconfig.CertificateInfo(common_name=common_name, not_before=NOW - datetime.timedelta(days=days_valid),
                                      not_after=NOW + datetime.timedelta(days=days_left))


def test_iam_ra_input_is_flagged_for_missing_files(inputs_dir):
    config = load_input(inputs_dir, "nodeconfig-iamra-custom-cert-path.yaml")
    problems = nodeconfig.check_host_files(config, lambda path: False, lambda path: pytest.fail("not read"), NOW)
    assert [problem.message for problem in problems] == [
        "IAM Roles Anywhere private key /etc/certificates/iam/pki/my-server.key not found",
        "IAM Roles Anywhere certificate /etc/certificates/iam/pki/my-server.crt not found",
    ]


def test_host_checks_use_nodeadm_default_paths_when_unset():
    checked = []
    nodeconfig.check_host_files(valid_iam_ra(), lambda path: checked.append(path) or False, None, NOW)
    assert checked == [nodeconfig.DEFAULT_PRIVATE_KEY_PATH, nodeconfig.DEFAULT_CERTIFICATE_PATH]


@pytest.mark.parametrize("info, words", [
    (certificate(), None),
    (certificate(days_left=-1), "server certificate has expired"),
    (certificate(days_valid=-1), "server certificate is not yet valid"),
    (certificate(common_name="other-node"), "does not match the certificate's CN 'other-node'"),
])
def test_certificate_validity_and_common_name(info, words):
    problems = nodeconfig.check_host_files(valid_iam_ra(), lambda path: True, lambda path: info, NOW)
    if words is None:
        assert problems == []
    else:
        assert len(problems) == 1 and words in problems[0].message


def test_unreadable_certificate_is_a_problem_not_a_crash():
    def unreadable(path):
        raise ValueError("%s is not a PEM certificate" % path)

    problems = nodeconfig.check_host_files(valid_iam_ra(), lambda path: True, unreadable, NOW)
    assert "validating iam-roles-anywhere certificate" in problems[0].message


def test_ssm_nodes_need_no_host_files():
    assert nodeconfig.check_host_files(valid_ssm(), lambda path: False, None, NOW) == []


# --- building from structured options ---------------------------------------------------------------------


def test_build_from_structured_options_in_canonical_order():
    config, problems = nodeconfig.build_nodeconfig({
        "node_ip": "10.52.100.11",
        "node_taints": ["example.com/edge=true:NoSchedule"],
        "node_labels": {"example.com/rack": "r12", "example.com/gpu": True},
        "kubelet_flags": ["--max-pods=58"],
        "kubelet_config": {"maxPods": 58},
        "ssm_activation_code": ACTIVATION_CODE,
        "ssm_activation_id": ACTIVATION_ID,
        "credential_provider": "ssm",
        "service_cidr": "172.20.0.0/16",
        "region": "us-west-2",
        "cluster_name": "eks-workshop",
        "enable_credentials_file": True,
        "containerd_config": "version = 2\n",
    })
    assert problems == []
    assert list(config) == ["apiVersion", "kind", "spec"]
    assert list(config["spec"]) == ["cluster", "hybrid", "kubelet", "containerd"]
    assert config["spec"]["cluster"] == {"name": "eks-workshop", "region": "us-west-2", "cidr": "172.20.0.0/16"}
    assert config["spec"]["hybrid"] == {"enableCredentialsFile": True,
                                        "ssm": {"activationId": ACTIVATION_ID, "activationCode": ACTIVATION_CODE}}
    assert config["spec"]["kubelet"]["flags"] == [
        "--max-pods=58", "--node-labels=example.com/rack=r12,example.com/gpu=true",
        "--register-with-taints=example.com/edge=true:NoSchedule", "--node-ip=10.52.100.11"]
    assert nodeconfig.validate_nodeconfig(config) == []


def test_extra_config_is_merged_under_structured_options(inputs_dir):
    extra = load_input(inputs_dir, "nodeconfig-ssm-kubelet-labels-staticpod.yaml")
    extra["spec"]["kubelet"]["flags"].append("--node-ip=10.0.0.9")
    config, problems = nodeconfig.build_nodeconfig({
        "extra_config": extra, "region": "eu-west-1", "kubelet_config": {"maxPods": 30},
        "node_ip": "10.52.100.12", "ssm_activation_code": "a-fresh-activation-code-0001",
    })
    assert problems == []
    assert config["spec"]["cluster"] == {"name": "eks-workshop", "region": "eu-west-1"}
    assert config["spec"]["kubelet"]["config"] == {"staticPodPath": "/etc/kubernetes/manifests", "maxPods": 30}
    assert config["spec"]["kubelet"]["flags"] == ["--node-labels=topology.kubernetes.io/zone=onprem-dc1",
                                                  "--node-ip=10.52.100.12"]
    assert config["spec"]["hybrid"]["ssm"] == {"activationId": ACTIVATION_ID,
                                               "activationCode": "a-fresh-activation-code-0001"}
    assert extra["spec"]["cluster"]["region"] == "us-west-2", "the caller's fragment must not change"


def test_iam_ra_provider_writes_nodeadm_default_paths_explicitly():
    config, problems = nodeconfig.build_nodeconfig({
        "cluster_name": "c", "region": "us-west-2", "credential_provider": "iam-ra",
        "iam_roles_anywhere": {"node_name": "n1", "trust_anchor_arn": "t", "profile_arn": "p", "role_arn": "r",
                               "certificate_path": None, "private_key_path": None, "aws_config_path": None},
    })
    assert problems == []
    block = config["spec"]["hybrid"]["iamRolesAnywhere"]
    assert block["certificatePath"] == nodeconfig.DEFAULT_CERTIFICATE_PATH
    assert block["privateKeyPath"] == nodeconfig.DEFAULT_PRIVATE_KEY_PATH
    assert "awsConfigPath" not in block


def test_options_of_the_other_provider_are_refused():
    _nodeconfig, problems = nodeconfig.build_nodeconfig({"credential_provider": "iam-ra",
                                                         "ssm_activation_id": ACTIVATION_ID,
                                                         "iam_roles_anywhere": {"node_name": "n1"}})
    assert [problem.path for problem in problems] == ["ssm_activation_id"]
    _nodeconfig, problems = nodeconfig.build_nodeconfig({"credential_provider": "ssm",
                                                         "iam_roles_anywhere": {"node_name": "n"}})
    assert [problem.path for problem in problems] == ["iam_roles_anywhere"]


def test_summary_names_every_problem():
    problems = nodeconfig.validate_nodeconfig(with_value(with_value(valid_ssm(), "spec.cluster.name", DELETE),
                                                         "spec.hybrid.nodeName", "x"))
    summary = nodeconfig.summarize(problems)
    assert summary.startswith("2 problems: ")
    assert "spec.cluster.name: Name is missing" in summary and "spec.hybrid.nodeName: unknown field" in summary


def test_a_malformed_fragment_is_reported_not_silently_replaced():
    options = {"extra_config": {"spec": "cluster: x"}, "cluster_name": "c", "node_ip": "10.0.0.1"}
    _nodeconfig, problems = nodeconfig.build_nodeconfig(options)
    assert [(problem.path, problem.message, problem.value) for problem in problems] == [
        ("extra_config.spec", "must be a mapping", "cluster: x")]
