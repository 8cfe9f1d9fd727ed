"""Tests of the lab's Kubernetes API server (lab/kube/server.py) and stand-in Cilium chart
(lab/charts/cilium) with the real clients: helm 3, kubectl and the kubernetes Python client.

The server runs on 127.0.0.1 on a free port with a CNI delay of half a second; the chart is
served from a temporary HTTP server on 127.0.0.1. Nothing leaves loopback.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Iterator

import pytest
import urllib3
from kubernetes import client, config, watch

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HELM = os.path.join(REPO_ROOT, ".cache", "bin", "helm")
KUBECTL = os.path.join(REPO_ROOT, ".cache", "bin", "kubectl")
CNI_DELAY = 0.5
HYBRID_LABEL = "eks.amazonaws.com/compute-type"
CNI_NOT_READY = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady " \
                "message:Network plugin returns error: cni plugin not initialized"

pytestmark = pytest.mark.skipif(not (os.access(HELM, os.X_OK) and os.access(KUBECTL, os.X_OK)),
                                reason="helm and kubectl are missing: run lab/deps.sh")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LabApi:
    """The running server: its URL, TLS material and small HTTP helpers."""

    def __init__(self, url: str, tls_dir: str) -> None:
        self.url = url
        self.tls_dir = tls_dir
        self.kubeconfig = os.path.join(tls_dir, "kubeconfig")
        with open(os.path.join(tls_dir, "admin-token"), encoding="ascii") as handle:
            self.admin_token = handle.read().strip()
        self.context = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.crt"))

    def request(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        status, document = self.request(method, path, self.admin_token, body)
        assert status < 300, "%s %s answered %d: %s" % (method, path, status, document)
        return document

    def objects(self, resource: str, namespace: str = "") -> list[dict[str, Any]]:
        query = "?resource=%s%s" % (resource, "&namespace=" + namespace if namespace else "")
        return self.admin("GET", "/_lab/objects" + query)["objects"]


@pytest.fixture(scope="module")
def lab_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabApi]:
    tls_dir = str(tmp_path_factory.mktemp("kube") / "tls")
    port = _free_port()
    url = "https://127.0.0.1:%d" % port
    subprocess.run([sys.executable, os.path.join(REPO_ROOT, "lab", "kube", "pki.py"), tls_dir, "--server", url],
                   check=True, capture_output=True)
    log_path = os.path.join(os.path.dirname(tls_dir), "server.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, os.path.join(REPO_ROOT, "lab", "kube", "server.py"), "--bind", "127.0.0.1",
             "--port", str(port), "--tls-dir", tls_dir, "--cni-delay", str(CNI_DELAY)],
            stdout=log, stderr=subprocess.STDOUT)
    api = LabApi(url, tls_dir)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if api.request("GET", "/version")[0] == 200:
                    break
            except (OSError, ValueError):
                pass
            assert process.poll() is None, open(log_path, encoding="utf-8").read()
            assert time.monotonic() < deadline, "the lab API server did not answer within 15 s"
            time.sleep(0.1)
        yield api
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            returncode = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            returncode = None
    assert returncode == 0, "the lab API server did not stop cleanly on SIGTERM"


@pytest.fixture(autouse=True)
def fresh_cluster(lab_api: LabApi) -> None:
    lab_api.admin("POST", "/_lab/reset")


@pytest.fixture(scope="module")
def chart_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    repo_dir = str(tmp_path_factory.mktemp("charts"))
    handler = functools.partial(_QuietFileHandler, directory=repo_dir)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base_url = "http://127.0.0.1:%d" % server.server_address[1]
    subprocess.run([sys.executable, os.path.join(REPO_ROOT, "lab", "charts", "package.py"), repo_dir, base_url],
                   check=True, capture_output=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    server.server_close()


class _QuietFileHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        pass


@pytest.fixture(scope="module")
def helm(lab_api: LabApi, chart_repo: str, tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("helm-home")
    env = {**os.environ, "KUBECONFIG": lab_api.kubeconfig, "HELM_CACHE_HOME": str(home / "cache"),
           "HELM_CONFIG_HOME": str(home / "config"), "HELM_DATA_HOME": str(home / "data")}

    def run(*arguments: str) -> subprocess.CompletedProcess:
        result = subprocess.run([HELM, *arguments], env=env, capture_output=True, text=True, timeout=90, check=False)
        assert result.returncode == 0, "helm %s failed: %s" % (" ".join(arguments), result.stderr)
        return result

    run("repo", "add", "lab-charts", chart_repo)
    return run


def kubectl(lab_api: LabApi, *arguments: str) -> str:
    result = subprocess.run([KUBECTL, "--kubeconfig", lab_api.kubeconfig, *arguments], capture_output=True,
                            text=True, timeout=30, check=False)
    assert result.returncode == 0, "kubectl %s failed: %s" % (" ".join(arguments), result.stderr)
    return result.stdout


def _affinity_values(key: str, operator: str, values: list[str]) -> list[str]:
    """helm --set arguments pinning the agent with a required node affinity, without Envoy."""
    prefix = "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]." \
             "matchExpressions[0]."
    arguments = ["--set", prefix + "key=" + key, "--set", prefix + "operator=" + operator,
                 "--set", "envoy.enabled=false", "--set", "operator.replicas=1"]
    for index, value in enumerate(values):
        arguments += ["--set", "%svalues[%d]=%s" % (prefix, index, value)]
    return arguments


def _register_hybrid_node(lab_api: LabApi, name: str, labels: dict[str, str] | None = None) -> None:
    """Create the Node as nodeadm's kubelet would, authenticated like aws-iam-authenticator."""
    configuration = client.Configuration()
    configuration.host = lab_api.url
    configuration.ssl_ca_cert = os.path.join(lab_api.tls_dir, "ca.crt")
    configuration.api_key = {"authorization": "Bearer k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbQ"}
    with client.ApiClient(configuration) as api_client:
        client.CoreV1Api(api_client).create_node(client.V1Node(
            metadata=client.V1ObjectMeta(name=name, labels={HYBRID_LABEL: "hybrid", **(labels or {})}),
            status=client.V1NodeStatus(addresses=[client.V1NodeAddress(type="InternalIP", address="10.52.100.11")])))


def _watch_readiness(lab_api: LabApi, node_name: str, seconds: int) -> tuple[queue.Queue, threading.Thread,
                                                                             Callable[[], None]]:
    """Watch one node with the typed client in a thread; put (status, reason, message) per event.

    Returns the queue, the thread and a function that stops the watch early.
    """
    events: queue.Queue = queue.Queue()
    api_client = config.new_client_from_config(config_file=lab_api.kubeconfig)
    core = client.CoreV1Api(api_client)
    watcher = watch.Watch()
    stopping = threading.Event()

    def follow() -> None:
        try:
            for event in watcher.stream(core.list_node, field_selector="metadata.name=" + node_name,
                                        timeout_seconds=seconds):
                ready = next(item for item in event["object"].status.conditions if item.type == "Ready")
                events.put((ready.status, ready.reason, ready.message))
        except client.ApiException as error:
            events.put(("error", str(error.status), error.reason))
        except urllib3.exceptions.ProtocolError:
            if not stopping.is_set():  # Watch.stop() shuts the socket down under the reading thread
                raise
        finally:
            api_client.close()

    def stop() -> None:
        stopping.set()
        watcher.stop()

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    return events, thread, stop


def _drain(events: queue.Queue) -> list[tuple[str, str, str]]:
    seen = []
    while not events.empty():
        seen.append(events.get())
    return seen


def test_requests_without_a_valid_token_are_refused(lab_api: LabApi) -> None:
    status, body = lab_api.request("GET", "/api/v1/nodes")
    assert status == 401
    assert body["kind"] == "Status" and body["reason"] == "Unauthorized"
    assert lab_api.request("GET", "/api/v1/nodes", token="not-the-admin-token")[0] == 401
    assert lab_api.request("GET", "/_lab/objects", token="k8s-aws-v1.abc")[0] == 403
    status, nodes = lab_api.request("GET", "/api/v1/nodes", token="k8s-aws-v1.abc")
    assert status == 200 and nodes["kind"] == "NodeList"
    status, version = lab_api.request("GET", "/version")
    assert status == 200 and version["gitVersion"].startswith("v1.31.") and "-eks-" in version["gitVersion"]


def test_kubectl_shows_the_workshop_node_group(lab_api: LabApi) -> None:
    rows = [line.split() for line in kubectl(lab_api, "get", "nodes", "-o", "wide").splitlines()]
    assert rows[0][:5] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"] and "INTERNAL-IP" in rows[0]
    nodes = rows[1:]
    assert len(nodes) == 3
    for name, status, *_rest in nodes:
        assert name.startswith("ip-10-42-") and name.endswith(".us-west-2.compute.internal")
        assert status == "Ready"
    assert all(row[5].startswith("10.42.") for row in nodes)


def test_helm_installs_upgrades_and_uninstalls_the_cilium_chart(lab_api: LabApi, helm) -> None:
    started = time.monotonic()
    helm("install", "cilium", "lab-charts/cilium", "--version", "1.17.1", "--namespace", "cilium", "--create-namespace",
         "--wait", "--timeout", "30s", *_affinity_values(HYBRID_LABEL, "In", ["hybrid"]),
         "--set", "ipam.operator.clusterPoolIPv4PodCIDRList[0]=10.53.0.0/16")
    install_seconds = time.monotonic() - started
    config_map = next(item for item in lab_api.objects("configmaps", "cilium")
                      if item["metadata"]["name"] == "cilium-config")
    assert config_map["data"]["cluster-pool-ipv4-cidr"] == "10.53.0.0/16"
    assert [item["metadata"]["name"] for item in lab_api.objects("daemonsets", "cilium")] == ["cilium"]
    assert install_seconds < 10, "helm install took %.1f s" % install_seconds

    helm("upgrade", "cilium", "lab-charts/cilium", "--version", "1.17.1", "--namespace", "cilium", "--wait",
         "--timeout", "30s", *_affinity_values(HYBRID_LABEL, "In", ["hybrid"]),
         "--set", "ipam.operator.clusterPoolIPv4PodCIDRList[0]=10.53.128.0/17", "--set", "operator.replicas=2")
    status = json.loads(helm("status", "cilium", "--namespace", "cilium", "--output", "json").stdout)
    assert status["info"]["status"] == "deployed" and status["version"] == 2
    config_map = next(item for item in lab_api.objects("configmaps", "cilium")
                      if item["metadata"]["name"] == "cilium-config")
    assert config_map["data"]["cluster-pool-ipv4-cidr"] == "10.53.128.0/17"
    operator = next(item for item in lab_api.objects("deployments", "cilium"))
    assert operator["spec"]["replicas"] == 2 and operator["metadata"]["generation"] == 2
    assert "cilium" in kubectl(lab_api, "get", "ds", "-n", "cilium")

    helm("uninstall", "cilium", "--namespace", "cilium", "--wait", "--timeout", "30s")
    left = [item["metadata"]["name"] for resource in ("daemonsets", "deployments", "replicasets", "pods", "secrets")
            for item in lab_api.objects(resource, "cilium")]
    assert left == []
    assert not [item for item in lab_api.objects("clusterroles") if item["metadata"]["name"].startswith("cilium")]


def test_hybrid_node_turns_ready_once_the_cni_daemonset_selects_it(lab_api: LabApi, helm) -> None:
    _register_hybrid_node(lab_api, "mi-0a1b2c3d4e5f60001")
    events, follower, stop_watch = _watch_readiness(lab_api, "mi-0a1b2c3d4e5f60001", seconds=10)
    helm("install", "cilium", "lab-charts/cilium", "--version", "1.17.1", "--namespace", "kube-system",
         *_affinity_values(HYBRID_LABEL, "In", ["hybrid"]))
    deadline = time.monotonic() + 10
    seen = []
    while time.monotonic() < deadline and (not seen or seen[-1][0] != "True"):
        try:
            seen.append(events.get(timeout=0.5))
        except queue.Empty:
            continue
    assert seen[0] == ("False", "KubeletNotReady", CNI_NOT_READY)
    assert seen[-1] == ("True", "KubeletReady", "kubelet is posting ready status")
    agents = lab_api.objects("pods", "kube-system")
    assert [pod["spec"]["nodeName"] for pod in agents if pod["metadata"]["name"].startswith("cilium-")
            and "operator" not in pod["metadata"]["name"]] == ["mi-0a1b2c3d4e5f60001"]
    assert "mi-0a1b2c3d4e5f60001" in kubectl(lab_api, "get", "pods", "-A", "-o", "wide")
    stop_watch()
    follower.join(timeout=5)
    assert not follower.is_alive()


def test_hybrid_node_stays_not_ready_when_the_daemonset_selects_other_nodes(lab_api: LabApi, helm) -> None:
    _register_hybrid_node(lab_api, "mi-0a1b2c3d4e5f60002")
    events, follower, _stop = _watch_readiness(lab_api, "mi-0a1b2c3d4e5f60002", seconds=3)
    helm("install", "cilium", "lab-charts/cilium", "--version", "1.17.1", "--namespace", "kube-system",
         *_affinity_values("eks.amazonaws.com/nodegroup", "In", ["default"]))
    follower.join(timeout=10)
    seen = _drain(events)
    assert seen and all(status == "False" for status, _reason, _message in seen), seen
    daemon_set = next(item for item in lab_api.objects("daemonsets", "kube-system")
                      if item["metadata"]["name"] == "cilium")
    assert daemon_set["status"]["desiredNumberScheduled"] == 3
    assert daemon_set["status"]["numberReady"] == 3


def test_lists_honour_set_based_label_selectors_and_field_selectors(lab_api: LabApi) -> None:
    for name, tier in (("web", "front"), ("db", "back"), ("cache", "")):
        labels = {"app": name, **({"tier": tier} if tier else {})}
        lab_api.admin("POST", "/api/v1/namespaces/default/configmaps",
                      {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}})

    def names(query: str) -> list[str]:
        listing = lab_api.admin("GET", "/api/v1/namespaces/default/configmaps?" + query)
        assert listing["kind"] == "ConfigMapList" and listing["metadata"]["resourceVersion"]
        return [item["metadata"]["name"] for item in listing["items"]]

    assert names("labelSelector=app%20in%20(web,db),tier!=back") == ["web"]
    assert names("labelSelector=app,!tier") == ["cache"]
    assert names("labelSelector=tier%20notin%20(front),app") == ["cache", "db"]
    assert names("fieldSelector=metadata.name%3Ddb") == ["db"]
    status, missing = lab_api.request("GET", "/api/v1/namespaces/default/configmaps/absent", lab_api.admin_token)
    assert status == 404
    assert (missing["kind"], missing["reason"], missing["message"]) == (
        "Status", "NotFound", 'configmaps "absent" not found')
    status, conflict = lab_api.request("POST", "/api/v1/namespaces/default/configmaps", lab_api.admin_token,
                                       {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "db"}})
    assert status == 409 and conflict["reason"] == "AlreadyExists"


def test_kube_proxy_runs_on_every_node_but_does_not_make_a_hybrid_node_ready(lab_api: LabApi) -> None:
    _register_hybrid_node(lab_api, "mi-0a1b2c3d4e5f60003", {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"})
    events, follower, _stop = _watch_readiness(lab_api, "mi-0a1b2c3d4e5f60003", seconds=3)
    follower.join(timeout=10)

    seen = _drain(events)
    assert seen and all(status == "False" for status, _reason, _message in seen), seen
    proxies = [pod["spec"]["nodeName"] for pod in lab_api.objects("pods", "kube-system")
               if pod["metadata"]["name"].startswith("kube-proxy-")]
    assert "mi-0a1b2c3d4e5f60003" in proxies and len(proxies) == 4, proxies
