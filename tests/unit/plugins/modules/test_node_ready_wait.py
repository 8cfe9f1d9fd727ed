"""node_ready_wait against a fake CoreV1Api that serves list and watch responses like the API server does."""

import json
import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
from kubernetes.client.exceptions import ApiException

from ansible_collections.eks_hybrid.nodes.plugins.modules import node_ready_wait


def node(name, ready, reason="KubeletNotReady", message="container runtime network not ready"):
    condition = {"type": "Ready", "status": "True" if ready else "False", "reason": "KubeletReady" if ready else reason,
                 "message": "kubelet is posting ready status" if ready else message}
    return {"metadata": {"name": name, "labels": {"eks.amazonaws.com/compute-type": "hybrid"}},
            "status": {"conditions": [condition], "addresses": [{"type": "InternalIP", "address": "10.52.100.11"}]}}


class FakeResponse:
    """Enough of urllib3's HTTPResponse for list (``data``) and watch (``stream``) responses."""

    def __init__(self, body=None, events=(), split_at=7):
        self.data = json.dumps(body).encode() if body is not None else b""
        self.lines = b"".join(json.dumps(event).encode() + b"\n" for event in events)
        self.split_at = split_at
        self.closed = False

    def stream(self, amt=None, decode_content=False):
        # Chunks that cut JSON lines in the middle, as the network does.
        for start in range(0, len(self.lines), self.split_at):
            yield self.lines[start:start + self.split_at]

    def close(self):
        self.closed = True

    def release_conn(self):
        pass


class FakeCoreApi:
    def __init__(self, lists, watches):
        self.lists = list(lists)
        self.watches = list(watches)
        self.list_calls = []
        self.watch_calls = []
        self.responses = []

    def list_node(self, **kwargs):
        if kwargs.get("watch"):
            self.watch_calls.append(kwargs)
            outcome = self.watches.pop(0) if self.watches else []
        else:
            self.list_calls.append(kwargs)
            outcome = self.lists.pop(0) if len(self.lists) > 1 else self.lists[0]
        if isinstance(outcome, Exception):
            raise outcome
        response = FakeResponse(events=outcome) if kwargs.get("watch") else FakeResponse(body=outcome)
        self.responses.append(response)
        return response


def node_list(version, *nodes):
    return {"kind": "NodeList", "metadata": {"resourceVersion": version}, "items": list(nodes)}


@pytest.fixture
def fake_api(monkeypatch):
    holder = {}

    def install(lists, watches):
        holder["api"] = FakeCoreApi(lists, watches)
        return holder["api"]

    monkeypatch.setattr(node_ready_wait, "get_api_client",
                        lambda module: SimpleNamespace(client=SimpleNamespace(client="api-client")))
    monkeypatch.setattr(node_ready_wait, "CoreV1Api", lambda api_client: holder["api"])
    return install


def test_waits_with_one_list_and_one_watch_for_all_nodes(run_module, fake_api):
    names = ["mi-%017d" % index for index in range(3)]
    api = fake_api([node_list("41", node(names[0], False))], [[
        {"type": "ADDED", "object": node(names[1], False)},
        {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "45"}}},
        {"type": "ADDED", "object": node(names[2], True)},
        {"type": "MODIFIED", "object": node(names[0], True)},
        {"type": "MODIFIED", "object": node(names[1], True)},
    ]])
    run = run_module(node_ready_wait, dict(names=names, label_selector="eks.amazonaws.com/compute-type=hybrid"))
    assert run.exit_code == 0, run.result.get("msg")
    assert run.result["ready"] == names and run.result["changed"] is False
    assert len(api.list_calls) == 1 and len(api.watch_calls) == 1
    watch = api.watch_calls[0]
    assert watch["resource_version"] == "41" and watch["allow_watch_bookmarks"] is True
    assert watch["label_selector"] == "eks.amazonaws.com/compute-type=hybrid" == api.list_calls[0]["label_selector"]
    assert 590 <= watch["timeout_seconds"] <= 600
    assert all(response.closed for response in api.responses if response.lines)


def test_registered_state_accepts_not_ready_nodes(run_module, fake_api):
    fake_api([node_list("1", node("mi-a", False))], [])
    run = run_module(node_ready_wait, dict(names=["mi-a"], state="registered"))
    assert run.exit_code == 0 and run.result["not_ready"] == ["mi-a"]


def test_timeout_fails_naming_laggards_and_returns_every_verdict(run_module, fake_api):
    fake_api([node_list("9", node("mi-b", False), node("mi-c", True))], [])
    run = run_module(node_ready_wait, dict(names=["mi-a", "mi-b", "mi-c"], timeout=1))
    assert run.failed
    assert run.result["msg"] == (
        "Failed to wait for nodes to become Ready: 2 of 3 not Ready after 1s: mi-a (missing), "
        "mi-b (NotReady: KubeletNotReady: container runtime network not ready)")
    assert [(item["name"], item["verdict"]) for item in run.result["nodes"]] == [
        ("mi-a", "missing"), ("mi-b", "not_ready"), ("mi-c", "ready")]
    assert run.result["nodes"][1]["internal_ip"] == "10.52.100.11"
    assert run.result["nodes"][1]["labels"] == {"eks.amazonaws.com/compute-type": "hybrid"}


def test_check_mode_reports_without_watching(run_module, fake_api):
    api = fake_api([node_list("3", node("mi-a", False))], [])
    run = run_module(node_ready_wait, dict(names=["mi-a", "mi-z"]), check_mode=True)
    assert run.exit_code == 0 and api.watch_calls == []
    assert (run.result["not_ready"], run.result["missing"]) == (["mi-a"], ["mi-z"])


def test_gone_at_watch_start_relists(run_module, fake_api):
    api = fake_api([node_list("3", node("mi-a", False)), node_list("77", node("mi-a", False))], [
        ApiException(status=410, reason="Gone"),
        [{"type": "MODIFIED", "object": node("mi-a", True)}],
    ])
    run = run_module(node_ready_wait, dict(names=["mi-a"]))
    assert run.exit_code == 0
    assert [call["resource_version"] for call in api.watch_calls] == ["3", "77"] and len(api.list_calls) == 2


def test_api_error_fails_with_failed_to(run_module, fake_api):
    fake_api([ApiException(status=403, reason="Forbidden")], [])
    run = run_module(node_ready_wait, dict(names=["mi-a"]))
    assert run.failed and run.result["msg"] == "Failed to watch nodes: 403 Forbidden"
    assert run.result["missing"] == ["mi-a"]


def test_names_or_selector_is_required(run_module, fake_api):
    run = run_module(node_ready_wait, dict(state="ready"))
    assert run.failed and "names, label_selector" in run.result["msg"]


# What kubernetes.core's client reads when it starts (server version and discovery).
_DISCOVERY = {
    "/version": {"major": "1", "minor": "31", "gitVersion": "v1.31.0"},
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node",
         "verbs": ["get", "list", "watch"]}]},
}


class _NodeApiServer(ThreadingHTTPServer):
    """A loopback stand-in for the API server's /version and Node list + watch, recording every request."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _NodeApiHandler)
        self.requests = []


class _NodeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        self.server.requests.append((url.path, query))
        if url.path in _DISCOVERY:
            return self._send(_DISCOVERY[url.path])
        if url.path != "/api/v1/nodes":
            self.send_error(404)
            return None
        if "watch" not in query:
            return self._send(node_list("10", node("mi-a", False)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in ({"type": "ADDED", "object": node("mi-b", False)},
                      {"type": "MODIFIED", "object": node("mi-a", True)},
                      {"type": "MODIFIED", "object": node("mi-b", True)}):
            line = json.dumps(event).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        return None


@pytest.fixture
def node_api_server():
    server = _NodeApiServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_real_client_lists_once_and_watches_once_over_http(run_module, node_api_server, monkeypatch, tmp_path):
    for variable in [name for name in os.environ if name.startswith("K8S_AUTH_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the client's discovery cache goes here
    host = "http://127.0.0.1:%d" % node_api_server.server_address[1]
    run = run_module(node_ready_wait, dict(host=host, api_key="unit-test-token", names=["mi-a", "mi-b"],
                                           timeout=30))
    assert run.exit_code == 0, run.result.get("msg")
    assert run.result["ready"] == ["mi-a", "mi-b"]
    node_requests = [query for path, query in node_api_server.requests if path == "/api/v1/nodes"]
    assert len(node_requests) == 2
    assert "watch" not in node_requests[0]
    assert node_requests[1]["watch"] == ["true"] and node_requests[1]["resourceVersion"] == ["10"]
