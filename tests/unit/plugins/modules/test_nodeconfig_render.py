"""The nodeconfig_render module end to end in-process: files, modes, check/diff mode, masking, host checks."""

import base64
import datetime
import json
import os
import stat

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _certificate
from ansible_collections.eks_hybrid.nodes.plugins.modules import nodeconfig_render

ACTIVATION_ID = "5743558d-563b-4457-8682-d16c3c1d63ac"
FIRST_CODE = "first-activation-code-0123456789"
SECOND_CODE = "second-activation-code-9876543210"
CA_BUNDLE = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n").decode()
TRUST_ANCHOR = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
PROFILE = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
ROLE = "arn:aws:iam::123456789012:role/eks-workshop-hybrid-nodes"


def ssm_args(dest, code=FIRST_CODE, **extra):
    args = dict(dest=str(dest), cluster_name="eks-workshop", region="us-west-2", credential_provider="ssm",
                api_server_endpoint="https://10.52.100.1:6443", certificate_authority=CA_BUNDLE,
                service_cidr="172.20.0.0/16", ssm_activation_id=ACTIVATION_ID, ssm_activation_code=code,
                node_ip="10.52.100.11", node_labels={"example.com/rack": "r12"})
    args.update(extra)
    return args


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def write_certificate(directory, common_name, not_before, not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return str(cert_path), str(key_path)


def iam_ra_args(dest, cert_path, key_path, node_name="edge-node-01"):
    return dict(dest=str(dest), cluster_name="eks-workshop", region="us-west-2", credential_provider="iam-ra",
                iam_roles_anywhere=dict(node_name=node_name, trust_anchor_arn=TRUST_ANCHOR, profile_arn=PROFILE,
                                        role_arn=ROLE, certificate_path=cert_path, private_key_path=key_path))


def test_writes_0600_atomically_and_second_run_is_unchanged(run_module, tmp_path):
    dest = tmp_path / "eks-hybrid" / "nodeconfig.yaml"
    first = run_module(nodeconfig_render, ssm_args(dest))
    assert first.exit_code == 0 and first.result["changed"] is True
    assert mode_of(dest) == 0o600
    assert mode_of(dest.parent) == 0o700
    written = yaml.safe_load(dest.read_text())
    assert written["spec"]["hybrid"]["ssm"]["activationCode"] == FIRST_CODE
    assert written["spec"]["kubelet"]["flags"] == ["--node-labels=example.com/rack=r12", "--node-ip=10.52.100.11"]
    assert os.listdir(dest.parent) == ["nodeconfig.yaml"], "no temporary file may be left behind"
    assert first.result["dest"] == str(dest)

    second = run_module(nodeconfig_render, ssm_args(dest))
    assert second.result["changed"] is False


def test_loose_mode_is_tightened_even_when_content_is_equal(run_module, tmp_path):
    dest = tmp_path / "nodeconfig.yaml"
    run_module(nodeconfig_render, ssm_args(dest))
    dest.chmod(0o644)
    result = run_module(nodeconfig_render, ssm_args(dest))
    assert result.result["changed"] is True and mode_of(dest) == 0o600


def test_replacing_a_world_readable_file_never_widens_the_new_one(run_module, tmp_path):
    dest = tmp_path / "nodeconfig.yaml"
    dest.write_text("old: content\n")
    dest.chmod(0o644)
    result = run_module(nodeconfig_render, ssm_args(dest))
    assert result.result["changed"] is True and mode_of(dest) == 0o600
    assert "activationCode" in dest.read_text()


def test_check_mode_reports_change_and_writes_nothing(run_module, tmp_path):
    dest = tmp_path / "nodeconfig.yaml"
    result = run_module(nodeconfig_render, ssm_args(dest), check_mode=True)
    assert result.result["changed"] is True
    assert not dest.exists()


def test_diff_masks_the_code_before_and_after(run_module, tmp_path, capsys):
    dest = tmp_path / "nodeconfig.yaml"
    run_module(nodeconfig_render, ssm_args(dest, code=FIRST_CODE))
    result = run_module(nodeconfig_render, ssm_args(dest, code=SECOND_CODE), check_mode=True, diff=True)
    diff = result.result["diff"]
    assert diff["before_header"] == diff["after_header"] == str(dest)
    assert "activationCode: '********'" in diff["before"] and "activationCode: '********'" in diff["after"]
    everything = json.dumps(result.result)
    assert FIRST_CODE not in everything and SECOND_CODE not in everything
    assert result.result["nodeconfig"]["spec"]["hybrid"]["ssm"]["activationCode"] == "********"
    assert FIRST_CODE in dest.read_text(), "check mode must not have rewritten the file"


def test_diff_of_an_unparsable_existing_file_does_not_show_it(run_module, tmp_path):
    dest = tmp_path / "nodeconfig.yaml"
    dest.write_text("activationCode: %s\n  : [broken\n" % FIRST_CODE)
    result = run_module(nodeconfig_render, ssm_args(dest), check_mode=True, diff=True)
    assert FIRST_CODE not in json.dumps(result.result)
    assert "not valid YAML" in result.result["diff"]["before"]


def test_validate_only_touches_no_file_and_accepts_a_pending_activation(run_module, tmp_path):
    dest = tmp_path / "nodeconfig.yaml"
    args = ssm_args(dest, validate_only=True, ssm_activation_pending=True)
    del args["ssm_activation_id"], args["ssm_activation_code"]
    result = run_module(nodeconfig_render, args)
    assert result.exit_code == 0 and result.result["changed"] is False
    assert result.result["problems"] == []
    pending = "(created during the run)"
    expected = {"ssm": {"activationId": pending, "activationCode": pending}}
    assert result.result["nodeconfig"]["spec"]["hybrid"] == expected
    assert not dest.exists() and "dest" not in result.result


def test_check_mode_diff_shows_that_the_activation_comes_later(run_module, tmp_path):
    dest = tmp_path / "nodeconfig.yaml"
    args = ssm_args(dest, ssm_activation_pending=True)
    del args["ssm_activation_id"], args["ssm_activation_code"]

    result = run_module(nodeconfig_render, args, check_mode=True, diff=True)

    assert result.exit_code == 0 and result.result["changed"] is True
    assert "activationId: (created during the run)" in result.result["diff"]["after"]
    assert not dest.exists()


def test_problems_fail_before_writing_and_never_echo_the_code(run_module, tmp_path):
    dest = tmp_path / "nodeconfig.yaml"
    args = ssm_args(dest, code="too-short", region="oregon", kubelet_flags=["--hostname-override=n1"],
                    extra_config={"spec": {"hybrid": {"nodeName": "n1"}}})
    result = run_module(nodeconfig_render, args)
    assert result.exit_code == 1 and result.failed
    assert not dest.exists()
    paths = [problem["path"] for problem in result.result["problems"]]
    assert paths == ["spec.hybrid.nodeName", "spec.cluster.region", "spec.hybrid.ssm.activationCode",
                     "spec.kubelet.flags[0]"]
    assert result.result["msg"].startswith("Failed to validate NodeConfig: 4 problems: spec.hybrid.nodeName: ")
    assert "move it to spec.hybrid.iamRolesAnywhere.nodeName" in result.result["msg"]
    assert "too-short" not in json.dumps(result.result)


def test_code_inside_extra_config_is_masked_in_output(run_module, tmp_path):
    dest = tmp_path / "nodeconfig.yaml"
    extra = {"apiVersion": "node.eks.aws/v1alpha1", "kind": "NodeConfig",
             "spec": {"hybrid": {"ssm": {"activationId": ACTIVATION_ID, "activationCode": FIRST_CODE}}}}
    result = run_module(nodeconfig_render, dict(dest=str(dest), cluster_name="eks-workshop", region="us-west-2",
                                                extra_config=extra), diff=True)
    assert result.result["changed"] is True
    assert FIRST_CODE not in json.dumps(result.result)
    assert FIRST_CODE in dest.read_text()


def test_iam_ra_with_valid_certificate_renders_and_reports_node_name(run_module, tmp_path):
    now = datetime.datetime.now(datetime.timezone.utc)
    cert_path, key_path = write_certificate(tmp_path, "edge-node-01", now - datetime.timedelta(days=1),
                                            now + datetime.timedelta(days=30))
    dest = tmp_path / "nodeconfig.yaml"
    result = run_module(nodeconfig_render, iam_ra_args(dest, cert_path, key_path))
    assert result.exit_code == 0, result.result.get("msg")
    assert result.result["node_name"] == "edge-node-01"
    written = yaml.safe_load(dest.read_text())["spec"]["hybrid"]["iamRolesAnywhere"]
    assert written["certificatePath"] == cert_path and written["nodeName"] == "edge-node-01"


@pytest.mark.parametrize("use_openssl", [False, True], ids=["cryptography", "openssl"])
def test_iam_ra_certificate_for_another_name_or_expired_is_refused(run_module, tmp_path, monkeypatch, use_openssl):
    if use_openssl:
        monkeypatch.setattr(_certificate, "HAS_CRYPTOGRAPHY", False)
    now = datetime.datetime.now(datetime.timezone.utc)
    cert_path, key_path = write_certificate(tmp_path, "other-node", now - datetime.timedelta(days=30),
                                            now - datetime.timedelta(days=1))
    result = run_module(nodeconfig_render, iam_ra_args(tmp_path / "nodeconfig.yaml", cert_path, key_path))
    assert result.failed
    messages = [problem["message"] for problem in result.result["problems"]]
    assert len(messages) == 2
    assert messages[0].startswith("validating iam-roles-anywhere certificate: server certificate has expired")
    assert messages[1] == "does not match the certificate's CN 'other-node'"


def test_iam_ra_field_input_is_flagged_for_arns_and_missing_files(run_module, tmp_path, inputs_dir):
    with open(os.path.join(inputs_dir, "nodeconfig-iamra-custom-cert-path.yaml")) as handle:
        text = handle.read()
    for placeholder, value in {"<CLUSTER_NAME>": "eks-workshop", "<REGION>": "us-west-2",
                               "<API_SERVER_HOST>": "api.example.test", "<CA_BUNDLE_BASE64>": CA_BUNDLE,
                               "<SERVICE_CIDR>": "172.20.0.0/16", "<ACCOUNT_ID>": "123456789012",
                               "<CA_ID>": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}.items():
        text = text.replace(placeholder, value)
    dest = tmp_path / "nodeconfig.yaml"
    result = run_module(nodeconfig_render, dict(dest=str(dest), extra_config=yaml.safe_load(text)))
    assert result.failed and not dest.exists()
    assert [problem["path"] for problem in result.result["problems"]] == [
        "spec.hybrid.iamRolesAnywhere.trustAnchorArn", "spec.hybrid.iamRolesAnywhere.profileArn",
        "spec.hybrid.iamRolesAnywhere.privateKeyPath", "spec.hybrid.iamRolesAnywhere.certificatePath"]
    assert result.result["node_name"] == "mock-hybrid-node"


def test_validate_only_skips_host_files_by_default(run_module, tmp_path):
    args = iam_ra_args(tmp_path / "nodeconfig.yaml", "/nonexistent/server.pem", "/nonexistent/server.key")
    assert run_module(nodeconfig_render, dict(args, validate_only=True)).exit_code == 0
    assert run_module(nodeconfig_render, dict(args, validate_only=True, check_host_files=True)).failed
