"""The lab's nodeadm stand-in (lab/nodeadm/nodeadm) against the lab's AWS and a tiny Kubernetes API.

The stand-in runs as a subprocess with NODEADM_LAB_ROOT set to a fresh directory per test, so every
file it reads or writes stays there. The lab AWS (lab/aws/server.py) and an HTTPS Kubernetes
stand-in that records Node objects both listen on 127.0.0.1.
"""

import datetime
import ipaddress
import json
import os
import shutil
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(REPO, "lab"), os.path.join(REPO, "lab", "aws")]

import labconfig  # noqa: E402
from testing import lab_aws, lab_request  # noqa: E402

NODEADM = os.path.join(REPO, "lab", "nodeadm", "nodeadm")
NODE_IP = "10.52.100.11"


def make_certificate(common_name, issuer_key=None, issuer_name=None, ip=None, days=30, is_ca=False):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name or subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                                        critical=False)
    certificate = builder.sign(issuer_key or key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return certificate, key, certificate.public_bytes(serialization.Encoding.PEM), key_pem


class FakeKubernetes(BaseHTTPRequestHandler):
    """Enough of the Kubernetes API for kubelet's registration: create, read and replace Nodes."""

    nodes: dict = {}
    tokens: list = []

    def log_message(self, *_):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

    def authorized(self):
        token = self.headers.get("Authorization", "")
        self.tokens.append(token)
        if not token.startswith("Bearer k8s-aws-v1."):
            self.reply(401, {"kind": "Status", "message": "Unauthorized"})
            return False
        return True

    def do_GET(self):
        if not self.authorized():
            return
        if self.path == "/version":
            return self.reply(200, {"major": "1", "minor": "31", "gitVersion": "v1.31.13-eks-lab"})
        name = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/api/v1/nodes/") and name in self.nodes:
            return self.reply(200, self.nodes[name])
        self.reply(404, {"kind": "Status", "message": "not found"})

    def do_POST(self):
        if not self.authorized():
            return
        node = self.body()
        name = node["metadata"]["name"]
        if name in self.nodes:
            return self.reply(409, {"kind": "Status", "reason": "AlreadyExists", "message": f"{name} exists"})
        node["metadata"]["resourceVersion"] = "1"
        node.pop("status", None)  # as the API server does: status is written through /status only
        self.nodes[name] = node
        self.reply(201, node)

    def do_PUT(self):
        if not self.authorized():
            return
        node = self.body()
        name = node["metadata"]["name"]
        stored = self.nodes.get(name)
        if stored is None:
            return self.reply(404, {"kind": "Status", "message": "not found"})
        if node["metadata"].get("resourceVersion") != stored["metadata"]["resourceVersion"]:
            return self.reply(409, {"kind": "Status", "reason": "Conflict", "message": "modified"})
        if self.path.endswith("/status"):
            node = dict(stored, status=node.get("status", {}))
        else:
            node["status"] = stored.get("status", {})
        node["metadata"]["resourceVersion"] = str(int(stored["metadata"]["resourceVersion"]) + 1)
        self.nodes[name] = node
        self.reply(200, node)


@pytest.fixture(scope="module")
def kube(tmp_path_factory):
    directory = tmp_path_factory.mktemp("kube")
    ca_cert, ca_key, ca_pem, _ca_key_pem = make_certificate("lab-kube-ca", is_ca=True, days=365)
    _server_cert, _server_key, server_pem, server_key_pem = make_certificate("kube-apiserver", ca_key, ca_cert.subject,
                                                                             ip="127.0.0.1")
    (directory / "ca.crt").write_bytes(ca_pem)
    (directory / "server.crt").write_bytes(server_pem)
    (directory / "server.key").write_bytes(server_key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "server.crt", directory / "server.key")
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKubernetes)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"endpoint": "https://127.0.0.1:%d" % server.server_address[1], "ca_path": str(directory / "ca.crt"),
           "ca_pem": ca_pem, "nodes": FakeKubernetes.nodes, "tokens": FakeKubernetes.tokens}
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def aws(kube):
    with lab_aws(kube["ca_path"], kube_endpoint=kube["endpoint"]) as endpoint:
        yield endpoint


@pytest.fixture
def ssm(aws, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client("ssm", region_name=labconfig.REGION, endpoint_url=aws)


@pytest.fixture
def root(tmp_path, aws):
    """A fresh host filesystem: lab endpoints and an Ubuntu 24.04 os-release."""
    host = tmp_path / "host"
    (host / "etc/eks-hybrid-lab").mkdir(parents=True)
    (host / "etc/eks-hybrid-lab/endpoints.json").write_text(json.dumps({"aws": aws}))
    (host / "etc/os-release").write_text('ID=ubuntu\nVERSION_ID="24.04"\nNAME="Ubuntu"\n'
                                         'PRETTY_NAME="Ubuntu 24.04.1 LTS"\n')
    (host / "etc/nodeadm").mkdir()
    return host


def nodeadm(root, *arguments, cwd=None):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment["NODEADM_LAB_ROOT"] = str(root)
    return subprocess.run([sys.executable, NODEADM, *arguments], capture_output=True, text=True, timeout=60,
                          check=False, env=environment, cwd=cwd or str(root))


def log_lines(result):
    return [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]


def failure(result):
    """The error of the "Command failed" line."""
    fatal = [line for line in log_lines(result) if line["msg"] == "Command failed"]
    assert result.returncode == 1 and fatal, result.stderr
    return fatal[-1]["error"]


def ssm_config(activation, flags=(f"--node-ip={NODE_IP}",), **cluster):
    spec_cluster = {"name": labconfig.CLUSTER_NAME, "region": labconfig.REGION}
    spec_cluster.update(cluster)
    return {"apiVersion": "node.eks.aws/v1alpha1", "kind": "NodeConfig",
            "spec": {"cluster": spec_cluster,
                     "hybrid": {"ssm": {"activationCode": activation["ActivationCode"],
                                        "activationId": activation["ActivationId"]}},
                     "kubelet": {"flags": list(flags)}}}


def write_config(root, config, name="config.yaml"):
    (root / "etc/nodeadm" / name).write_text(yaml.safe_dump(config))
    return f"file:///etc/nodeadm/{name}"


def activation(ssm, limit=1):
    return ssm.create_activation(IamRole=labconfig.HYBRID_ROLE_NAME, RegistrationLimit=limit)


def installed(root):
    result = nodeadm(root, "install", "1.31", "--credential-provider", "ssm")
    assert result.returncode == 0, result.stderr
    return root


def test_version_and_help():
    result = subprocess.run([sys.executable, NODEADM, "--version"], capture_output=True, text=True, timeout=30,
                            check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "v1.0.20")
    result = subprocess.run([sys.executable, NODEADM, "init", "-h"], capture_output=True, text=True, timeout=30,
                            check=False)
    assert result.returncode == 0 and "--config-source" in result.stdout


@pytest.mark.parametrize("arguments", [("install", "1.31"), ("init",), ("config", "check"), ("install", "-p", "ssm"),
                                       ("install", "1.31", "-p", "ssm", "--bogus")])
def test_missing_or_unknown_flags_exit_2(root, arguments):
    assert nodeadm(root, *arguments).returncode == 2


def test_mutating_commands_must_run_as_root():
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop to an unprivileged user")
    # The checkout and its virtualenv may sit below a directory only root can enter (mktemp -d makes 0700), so
    # the unprivileged user gets its own readable copy and the system interpreter, as on a lab host.
    interpreter = "/usr/bin/python3"
    if subprocess.run([interpreter, "-c", "import yaml"], capture_output=True, check=False).returncode != 0:
        pytest.skip("needs /usr/bin/python3 with PyYAML (Debian's python3-yaml, installed by lab/deps.sh)")
    readable = tempfile.mkdtemp(prefix="nodeadm-unprivileged-")
    try:
        os.chmod(readable, 0o755)
        program = shutil.copy(NODEADM, os.path.join(readable, "nodeadm"))
        os.chmod(program, 0o755)
        result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", interpreter, program,
                                 "install", "1.31", "-p", "ssm"], capture_output=True, text=True, timeout=30,
                                check=False, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, cwd=readable)
    finally:
        shutil.rmtree(readable, ignore_errors=True)
    assert failure(result) == "must run as root"


def test_init_without_install_exits_0_and_says_so(root):
    result = nodeadm(root, "init", "-c", "file:///etc/nodeadm/config.yaml")
    assert result.returncode == 0
    assert any(line["msg"] == "Nodeadm components are not installed. Please run nodeadm install before running init"
               for line in log_lines(result))


@pytest.mark.parametrize("requested, message", [
    ("v1.31", "invalid semantic version"),
    ("1.31.99", "input semver did not match with available releases. Try again with major.minor version"),
])
def test_install_refuses_bad_versions(root, requested, message):
    assert failure(nodeadm(root, "install", requested, "-p", "ssm")) == message


def test_install_resolves_latest_patch_and_writes_components(root):
    installed(root)
    tracker = yaml.safe_load((root / "opt/nodeadm/tracker").read_text())
    assert tracker["KubernetesVersion"] == "1.31.13" and tracker["CredentialProvider"] == "ssm"
    assert tracker["Artifacts"]["Containerd"] == "distro"
    kubelet = subprocess.run([str(root / "usr/bin/kubelet"), "--version"], capture_output=True, text=True,
                             check=False)
    assert kubelet.stdout.startswith("Kubernetes v1.31.13-eks-")
    for path in ("etc/systemd/system/kubelet.service", "usr/local/bin/kubectl", "opt/cni/bin/bridge",
                 "usr/bin/amazon-ssm-agent", "usr/lib/systemd/system/containerd.service"):
        assert (root / path).exists(), path
    # A second install finds containerd present and records it as not installed by nodeadm.
    installed(root)
    assert yaml.safe_load((root / "opt/nodeadm/tracker").read_text())["Artifacts"]["Containerd"] == "none"


@pytest.mark.parametrize("change, message", [
    (lambda config: config["spec"].update(foo=1), 'json: unknown field "foo"'),
    (lambda config: config["spec"]["cluster"].pop("name"), "Name is missing in cluster configuration"),
    (lambda config: config["spec"]["cluster"].pop("region"), "Region is missing in cluster configuration"),
    (lambda config: config["spec"]["hybrid"].pop("ssm"),
     "Either IAMRolesAnywhere or SSM must be provided for hybrid node configuration"),
    (lambda config: config["spec"]["hybrid"]["ssm"].update(activationCode="short"),
     "invalid ActivationCode format: short. Must be 20-250 characters"),
    (lambda config: config["spec"]["hybrid"]["ssm"].update(activationId="nope"), "invalid ActivationID format: nope"),
    (lambda config: config["spec"]["kubelet"]["flags"].append("--hostname-override=x"),
     "hostname-override kubelet flag is not supported for hybrid nodes but found override: x"),
    (lambda config: config["spec"]["cluster"].update(name=3),
     "json: cannot unmarshal number into Go struct field ClusterDetails.spec.cluster.name of type string"),
])
def test_config_check_reports_nodeadm_messages(root, change, message):
    config = ssm_config({"ActivationCode": "a" * 20, "ActivationId": "0b5c2a0e-7b1c-4d37-9d51-1f7d6c3c1e2a"})
    change(config)
    assert failure(nodeadm(root, "config", "check", "-c", write_config(root, config))).startswith(message)


def test_config_source_url_semantics(root):
    config = ssm_config({"ActivationCode": "a" * 20, "ActivationId": "0b5c2a0e-7b1c-4d37-9d51-1f7d6c3c1e2a"})
    write_config(root, config)
    # file://etc/... is relative to the working directory, not to /.
    assert nodeadm(root, "config", "check", "-c", "file://etc/nodeadm/config.yaml", cwd=str(root)).returncode == 0
    assert failure(nodeadm(root, "config", "check", "-c", "file://etc/nodeadm/config.yaml",
                           cwd=str(root / "etc"))).startswith("open etc/nodeadm/config.yaml")
    assert failure(nodeadm(root, "config", "check", "-c", "file:///etc/nodeadm")) == \
        "path is a directory, which is not currently supported"
    assert failure(nodeadm(root, "config", "check", "-c", "https://x/config.yaml")) == "unsupported scheme: https"


def test_install_init_registers_writes_files_and_creates_node(root, ssm, kube, aws):
    installed(root)
    created = activation(ssm)
    source = write_config(root, ssm_config(created, flags=(f"--node-ip={NODE_IP}", "--node-labels=tier=edge",
                                                           "--register-with-taints=edge=true:NoSchedule")))
    result = nodeadm(root, "init", "-c", source)
    assert result.returncode == 0, result.stderr
    assert created["ActivationCode"] not in result.stderr

    registration = json.loads((root / "var/lib/amazon/ssm/registration").read_text())
    node_name = registration["ManagedInstanceID"]
    assert registration["Region"] == labconfig.REGION and node_name.startswith("mi-")
    credentials = root / "root/.aws/credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert (root / "etc/kubernetes/pki/ca.crt").read_bytes() == kube["ca_pem"]
    kubeconfig = yaml.safe_load((root / "var/lib/kubelet/kubeconfig").read_text())
    assert kubeconfig["clusters"][0]["cluster"]["server"] == kube["endpoint"]
    environment = (root / "etc/eks/kubelet/environment").read_text()
    assert f"--hostname-override={node_name}" in environment and f"--node-ip={NODE_IP}" in environment
    kubelet_config = json.loads((root / "etc/kubernetes/kubelet/config.json").read_text())
    assert kubelet_config["clusterDNS"] == ["172.20.0.10"]

    node = kube["nodes"][node_name]
    labels = node["metadata"]["labels"]
    assert labels["eks.amazonaws.com/compute-type"] == "hybrid"
    assert labels["eks.amazonaws.com/hybrid-credential-provider"] == "ssm"
    assert labels["kubernetes.io/hostname"] == node_name and labels["tier"] == "edge"
    assert node["spec"]["providerID"] == f"eks-hybrid:///{labconfig.REGION}/{labconfig.CLUSTER_NAME}/{node_name}"
    assert node["spec"]["taints"] == [{"key": "edge", "value": "true", "effect": "NoSchedule"}]
    assert {"type": "InternalIP", "address": NODE_IP} in node["status"]["addresses"]
    assert node["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.31.13-eks-")
    assert [condition["status"] for condition in node["status"]["conditions"]] == ["False"]
    assert kube["tokens"][-1].startswith("Bearer k8s-aws-v1.")

    listed = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [node_name]}])
    assert listed["InstanceInformationList"][0]["IPAddress"] == "127.0.0.1"

    # Running init again keeps the managed instance, consumes nothing, and warns like nodeadm.
    again = nodeadm(root, "init", "-c", source)
    assert again.returncode == 0, again.stderr
    assert json.loads((root / "var/lib/amazon/ssm/registration").read_text())["ManagedInstanceID"] == node_name
    assert any("kubelet args environment file /etc/eks/kubelet/environment exists" in line.get("error", "")
               for line in log_lines(again) if line["level"] == "warn")
    shown = ssm.describe_activations(Filters=[{"FilterKey": "ActivationIds",
                                               "FilterValues": [created["ActivationId"]]}])["ActivationList"][0]
    assert shown["RegistrationsCount"] == 1
    assert node_name in kube["nodes"]

    # Uninstall deregisters the managed instance and removes what nodeadm put there.
    removed = nodeadm(root, "uninstall")
    assert removed.returncode == 0, removed.stderr
    assert ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [node_name]}])["InstanceInformationList"] == []
    for path in ("opt/nodeadm", "etc/kubernetes", "root/.aws", "var/lib/amazon/ssm/registration", "usr/bin/kubelet",
                 "etc/eks"):
        assert not (root / path).exists(), path
    assert nodeadm(root, "uninstall").returncode == 0


def test_expired_activation(root, ssm, aws):
    installed(root)
    created = activation(ssm)
    assert lab_request(aws, "POST", f"/_lab/activations/{created['ActivationId']}/expire")[0] == 200
    result = nodeadm(root, "init", "-c", write_config(root, ssm_config(created)))
    assert failure(result) == "SSM activation expired. Please use a valid activation"
    assert not (root / "var/lib/amazon/ssm/registration").exists()


def test_wrong_region_is_an_invalid_activation(root, ssm):
    installed(root)
    config = ssm_config(activation(ssm), region="eu-west-1")
    assert failure(nodeadm(root, "init", "-c", write_config(root, config))).startswith("invalid SSM activation")


def test_exhausted_activation_fails_after_retries(root, ssm, tmp_path):
    created = activation(ssm, limit=1)
    first_host = tmp_path / "first"
    shutil.copytree(root, first_host)
    installed(first_host)
    assert nodeadm(first_host, "init", "-c", write_config(first_host, ssm_config(created))).returncode == 0
    installed(root)
    result = nodeadm(root, "init", "-c", write_config(root, ssm_config(created)))
    assert failure(result).startswith("failed to register machine with SSM after multiple attempts")
    retries = [line for line in log_lines(result) if line["level"] == "warn" and "retrying" in line["msg"]]
    assert len(retries) == 3 and "ActivationLimitExceeded" in retries[0]["error"]


def test_node_ip_outside_remote_node_networks(root, ssm):
    installed(root)
    config = ssm_config(activation(ssm), flags=("--node-ip=10.99.100.5",))
    assert failure(nodeadm(root, "init", "-c", write_config(root, config))) == \
        "node IP 10.99.100.5 is not in any of the remote network CIDR blocks: [10.52.0.0/16]"


def test_iam_roles_anywhere_without_access_entry(root, kube):
    result = nodeadm(root, "install", "1.31", "-p", "iam-ra")
    assert result.returncode == 0, result.stderr
    _certificate, _key, certificate_pem, key_pem = make_certificate("edge-ira-1")
    (root / "etc/iam/pki").mkdir(parents=True)
    (root / "etc/iam/pki/server.pem").write_bytes(certificate_pem)
    (root / "etc/iam/pki/server.key").write_bytes(key_pem)
    role_arn = f"arn:aws:iam::{labconfig.ACCOUNT_ID}:role/no-entry-role"
    config = {"spec": {"cluster": {"name": labconfig.CLUSTER_NAME, "region": labconfig.REGION},
                       "hybrid": {"iamRolesAnywhere": {
                           "nodeName": "edge-ira-1", "roleArn": role_arn,
                           "trustAnchorArn": f"arn:aws:rolesanywhere:{labconfig.REGION}:{labconfig.ACCOUNT_ID}:"
                                             "trust-anchor/t", "profileArn": f"arn:aws:rolesanywhere:"
                                                                             f"{labconfig.REGION}:"
                                                                             f"{labconfig.ACCOUNT_ID}:profile/p"}},
                       "kubelet": {"flags": [f"--node-ip={NODE_IP}"]}}}
    result = nodeadm(root, "init", "-c", write_config(root, config))
    assert failure(result).startswith(f"missing access entry of type HYBRID_LINUX for role {role_arn}")
    aws_config = (root / "etc/aws/hybrid/config").read_text()
    assert "--role-session-name edge-ira-1" in aws_config and "[profile hybrid]" in aws_config


def test_refuses_endpoints_outside_the_lab(root, ssm):
    installed(root)
    (root / "etc/eks-hybrid-lab/endpoints.json").write_text(json.dumps({"aws": "http://192.0.2.1:5000"}))
    error = failure(nodeadm(root, "init", "-c", write_config(root, ssm_config(activation(ssm)))))
    assert error.startswith("refusing to contact 192.0.2.1")


def test_debug_then_upgrade_keeps_the_node_and_moves_the_kubelet(root, ssm, kube):
    assert nodeadm(root, "install", "1.30", "-p", "ssm").returncode == 0
    source = write_config(root, ssm_config(activation(ssm)))
    assert nodeadm(root, "init", "-c", source).returncode == 0
    node_name = json.loads((root / "var/lib/amazon/ssm/registration").read_text())["ManagedInstanceID"]
    assert kube["nodes"][node_name]["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.30.14-eks-")

    checked = nodeadm(root, "debug", "-c", source, "--no-color")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "[FAIL]" not in checked.stdout

    upgraded = nodeadm(root, "upgrade", "1.31", "-c", source)
    assert upgraded.returncode == 0, upgraded.stderr
    assert yaml.safe_load((root / "opt/nodeadm/tracker").read_text())["KubernetesVersion"] == "1.31.13"
    assert json.loads((root / "var/lib/amazon/ssm/registration").read_text())["ManagedInstanceID"] == node_name
    assert kube["nodes"][node_name]["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.31.13-eks-")

    outside = write_config(root, ssm_config(activation(ssm), flags=("--node-ip=10.99.100.5",)), "outside.yaml")
    failed = nodeadm(root, "debug", "-c", outside, "--no-color")
    assert failed.returncode == 1 and "[FAIL]" in failed.stdout and "10.99.100.5" in failed.stdout
