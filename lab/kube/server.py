"""The lab's stand-in for the Kubernetes API server of an EKS cluster, over HTTPS.

    python lab/kube/server.py --bind 127.0.0.1 --bind 10.52.100.1 --port 6443 --tls-dir DIR [--cni-delay 2]

DIR is what ``lab/kube/pki.py DIR`` creates. The process stays in the foreground, logs one line
per request to stderr and exits cleanly on SIGTERM or SIGINT. State lives in memory only.

It serves what helm 3, kubernetes.core, the kubernetes Python client and kubectl use: /version,
legacy discovery, OpenAPI v3 (PATCH operations advertise ``fieldValidation``), CRUD, PATCH (JSON,
merge, strategic merge, apply), DELETE, list and watch with label and field selectors, Table
output for kubectl, protobuf bodies for Secrets and ConfigMaps, and ``pods/log``. See cluster.py
for the cluster's behaviour (hybrid nodes turn Ready once a CNI DaemonSet runs on them).

Authentication: ``Authorization: Bearer <DIR/admin-token>`` (the admin of the kubeconfig), or a
bearer token starting with ``k8s-aws-v1.`` as aws-iam-authenticator and nodeadm produce. Anything
else gets 401. /version, /healthz, /livez and /readyz answer without a token, as on EKS.

Lab-only endpoints (admin token only; nothing like them exists on EKS), JSON in and out:

``GET /_lab/objects[?resource=nodes][&namespace=NS]``
    ``{"resourceVersion": "N", "objects": [...]}``: every stored object, or those of one type
    (plural, kind or short name) and namespace.
``GET /_lab/requests`` / ``DELETE /_lab/requests``
    The last 2000 requests, oldest first, as ``{"method", "path", "query", "user", "userAgent",
    "status"}``; DELETE forgets them.
``POST /_lab/reset``
    Drop every object and seed a fresh cluster (namespaces, three cloud nodes, the kubernetes Service).
``GET /_lab/cni-delay`` / ``PUT /_lab/cni-delay`` with ``{"seconds": 0.5}``
    How long hybrid nodes stay NotReady after a CNI DaemonSet pod is bound to them.
"""

from __future__ import annotations

import argparse
import collections
import hmac
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KUBE_DIR = os.path.dirname(os.path.abspath(__file__))
LAB_DIR = os.path.dirname(KUBE_DIR)
for directory in (KUBE_DIR, LAB_DIR):
    if directory not in sys.path:
        sys.path.insert(0, directory)

import labconfig  # noqa: E402
import resources  # noqa: E402
import tables  # noqa: E402
from cluster import SERVER_VERSION, ApiError, Cluster, bad_request, decode_body  # noqa: E402
from resources import ResourceType  # noqa: E402

AWS_IAM_TOKEN_PREFIX = "k8s-aws-v1."
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")
DEFAULT_WATCH_SECONDS = 1800
REQUEST_LOG_SIZE = 2000


def _route_not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (query.get(name) or [""])[0].lower() in ("true", "1")


def _param(query: dict[str, list[str]], name: str) -> str:
    return (query.get(name) or [""])[0]


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], cluster: Cluster, admin_token: str, context: ssl.SSLContext,
                 requests_seen: collections.deque) -> None:
        super().__init__(address, ApiHandler)
        self.cluster = cluster
        self.admin_token = admin_token
        self.requests_seen = requests_seen
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            super().handle_error(request, client_address)


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lab-kube-apiserver"
    sys_version = ""
    timeout = 300
    server: ApiServer

    def setup(self) -> None:
        super().setup()
        self.request.settimeout(15)
        self.request.do_handshake()
        self.request.settimeout(self.timeout)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        """Silence the default access log; _finish logs one line per request."""

    # ---- plumbing --------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, code: int, payload: bytes, content_type: str = "application/json") -> None:
        self._status = code
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _send_json(self, code: int, document: Any) -> None:
        self._send(code, json.dumps(document, separators=(",", ":")).encode())

    def _handle(self, method: str) -> None:
        started = time.monotonic()
        self._status = 0
        self._user = "-"
        url = urlsplit(self.path)
        try:
            body = self._read_body()
            query = parse_qs(url.query, keep_blank_values=True)
            path = url.path.rstrip("/") or "/"
            if not path.startswith(PUBLIC_PATHS):
                self._user = self._authenticate()
            self._route(method, path, query, body)
        except ApiError as error:
            self._send_json(error.code, error.status())
        except (ConnectionError, socket.timeout, ssl.SSLError):
            self.close_connection = True
        except Exception as error:  # noqa: BLE001 - a bug must answer 500, not kill the connection silently
            traceback.print_exc(file=sys.stderr)
            self._send_json(500, ApiError(500, "InternalError", "Failed to serve %s %s: %s"
                                          % (method, url.path, error)).status())
        finally:
            elapsed = (time.monotonic() - started) * 1000
            sys.stderr.write("%s %s %s %s %s %d %.1fms\n" % (
                time.strftime("%H:%M:%S"), self.client_address[0], self._user, method, self.path, self._status,
                elapsed))
            self.server.requests_seen.append({
                "method": method, "path": url.path, "query": url.query, "user": self._user,
                "userAgent": self.headers.get("User-Agent", ""), "status": self._status})

    def _authenticate(self) -> str:
        header = self.headers.get("Authorization", "")
        token = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
        if token and hmac.compare_digest(token.encode(), self.server.admin_token.encode()):
            return "admin"
        if token.startswith(AWS_IAM_TOKEN_PREFIX) and len(token) > len(AWS_IAM_TOKEN_PREFIX):
            return "aws-iam"
        raise ApiError(401, "Unauthorized", "Unauthorized")

    # ---- routing ---------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        parts = [part for part in path.split("/") if part]
        if path.startswith("/_lab"):
            return self._lab(method, parts[1:], query, body)
        if method != "GET" and not (parts and parts[0] in ("api", "apis") and len(parts) > 2):
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if path == "/version":
            return self._send_json(200, SERVER_VERSION)
        if path.startswith(("/healthz", "/livez", "/readyz")):
            return self._send(200, b"ok", "text/plain; charset=utf-8")
        if path == "/api":
            host = self.headers.get("Host", "%s:%d" % self.server.server_address[:2])
            return self._send_json(200, resources.api_versions(host))
        if path == "/apis":
            return self._send_json(200, resources.api_group_list())
        if parts[:2] == ["openapi", "v3"]:
            return self._openapi(parts[2:])
        if parts and parts[0] == "api" and len(parts) == 2:
            return self._send_document(resources.api_resource_list("", parts[1]))
        if parts and parts[0] == "apis" and len(parts) == 2:
            return self._send_document(resources.api_group(parts[1]))
        if parts and parts[0] == "apis" and len(parts) == 3:
            return self._send_document(resources.api_resource_list(parts[1], parts[2]))
        if parts and parts[0] in ("api", "apis") and len(parts) > 2:
            return self._resource(method, parts, query, body)
        raise _route_not_found()

    def _openapi(self, rest: list[str]) -> None:
        if not rest:
            return self._send_json(200, resources.openapi_v3_root())
        if rest[0] == "api" and len(rest) == 2:
            document = resources.openapi_v3_document("", rest[1])
        elif rest[0] == "apis" and len(rest) == 3:
            document = resources.openapi_v3_document(rest[1], rest[2])
        else:
            document = None
        return self._send_document(document)

    def _send_document(self, document: dict[str, Any] | None) -> None:
        if document is None:
            raise _route_not_found()
        self._send_json(200, document)

    def _resource(self, method: str, parts: list[str], query: dict[str, list[str]], body: bytes) -> None:
        if parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        else:
            if len(parts) < 4:
                raise _route_not_found()
            group, version, rest = parts[1], parts[2], parts[3:]
        namespace: str | None = None
        if len(rest) >= 3 and rest[0] == "namespaces" and resources.lookup(group, version, rest[2]):
            namespace, rest = rest[1], rest[2:]
        rtype = resources.lookup(group, version, rest[0])
        if rtype is None or len(rest) > 3 or (namespace is not None and not rtype.namespaced):
            raise _route_not_found()
        name = rest[1] if len(rest) > 1 else ""
        subresource = rest[2] if len(rest) > 2 else ""
        if rtype.namespaced and name and namespace is None:
            raise _route_not_found()
        if subresource and subresource not in rtype.subresources:
            raise _route_not_found()
        cluster = self.server.cluster
        dry_run = bool(query.get("dryRun"))
        scope = namespace or ""
        content_type = self.headers.get("Content-Type", "application/json")
        if method == "GET" and not name:
            if _flag(query, "watch"):
                return self._watch(rtype, namespace, query)
            items, revision = cluster.list(rtype, namespace, _param(query, "labelSelector"),
                                           _param(query, "fieldSelector"))
            return self._send_objects(rtype, items, revision, query, listing=True)
        if method == "GET" and subresource == "log":
            pod = cluster.get(rtype, scope, name)
            return self._send(200, _pod_log(pod, _param(query, "container")).encode(), "text/plain")
        if method == "GET":
            obj = cluster.get(rtype, scope, name)
            return self._send_objects(rtype, [obj], int(obj["metadata"]["resourceVersion"]), query, listing=False)
        if method == "POST" and not name:
            obj = cluster.create(rtype, scope, decode_body(content_type, body), dry_run)
            return self._send_json(201, obj)
        if method == "PUT" and name:
            return self._send_json(200, cluster.replace(rtype, scope, name, decode_body(content_type, body),
                                                        subresource, dry_run))
        if method == "PATCH" and name:
            obj, created = cluster.patch(rtype, scope, name, content_type, body, subresource, dry_run)
            return self._send_json(201 if created else 200, obj)
        if method == "DELETE" and name and not subresource:
            obj = cluster.delete(rtype, scope, name, dry_run)
            if rtype.kind == "Namespace":
                return self._send_json(200, obj)
            details = {"name": name, "kind": rtype.plural, "uid": obj["metadata"].get("uid")}
            if rtype.group:
                details["group"] = rtype.group
            return self._send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                         "details": details})
        if method == "DELETE" and not name:
            deleted = cluster.delete_collection(rtype, namespace, _param(query, "labelSelector"),
                                                _param(query, "fieldSelector"), dry_run)
            return self._send_json(200, {"kind": rtype.kind + "List", "apiVersion": rtype.api_version,
                                         "metadata": {"resourceVersion": str(cluster.store.revision)},
                                         "items": deleted})
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def _wants_table(self) -> bool:
        return "as=Table" in self.headers.get("Accept", "")

    def _send_objects(self, rtype: ResourceType, items: list[dict[str, Any]], revision: int,
                      query: dict[str, list[str]], listing: bool) -> None:
        if self._wants_table():
            include = _param(query, "includeObject") or "PartialObjectMetadata"
            return self._send_json(200, tables.table(rtype.kind, items, str(revision), include))
        if not listing:
            return self._send_json(200, items[0])
        return self._send_json(200, {"kind": rtype.kind + "List", "apiVersion": rtype.api_version,
                                     "metadata": {"resourceVersion": str(revision)}, "items": items})

    # ---- watch -----------------------------------------------------------------------------

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _write_event(self, event_type: str, obj: dict[str, Any], rtype: ResourceType, table_include: str) -> None:
        if table_include and event_type not in ("ERROR", "BOOKMARK"):
            obj = tables.table(rtype.kind, [obj], obj["metadata"].get("resourceVersion", ""), table_include)
        self._write_chunk(json.dumps({"type": event_type, "object": obj}, separators=(",", ":")).encode() + b"\n")

    def _watch(self, rtype: ResourceType, namespace: str | None, query: dict[str, list[str]]) -> None:
        cluster = self.server.cluster
        store = cluster.store
        accepts = cluster.selector(_param(query, "labelSelector"), _param(query, "fieldSelector"))
        try:
            timeout = float(_param(query, "timeoutSeconds") or DEFAULT_WATCH_SECONDS)
            wanted = _param(query, "resourceVersion")
            start = int(wanted) if wanted not in ("", "0") else None
        except ValueError as error:
            raise bad_request("Failed to parse the watch parameters: %s" % error) from error
        send_initial = _flag(query, "sendInitialEvents")
        table_include = (_param(query, "includeObject") or "PartialObjectMetadata") if self._wants_table() else ""

        def in_scope(obj: dict[str, Any] | None) -> bool:
            return obj is not None and (namespace is None or obj["metadata"].get("namespace") == namespace) \
                and accepts(obj)

        with store.condition:
            expired = start is not None and not send_initial and store.changes_after(start) is None
            initial = [obj for obj in store.items(rtype, namespace) if accepts(obj)] \
                if start is None or send_initial else []
            position = store.revision if start is None or send_initial else start
        self._status = 200
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        try:
            if expired:
                return self._write_expired(rtype, start or 0, store.revision, table_include)
            for obj in initial:
                self._write_event("ADDED", obj, rtype, table_include)
            if send_initial:
                self._write_event("BOOKMARK", {
                    "kind": rtype.kind, "apiVersion": rtype.api_version,
                    "metadata": {"resourceVersion": str(position),
                                 "annotations": {"k8s.io/initial-events-end": "true"}}}, rtype, "")
            deadline = time.monotonic() + timeout
            while True:
                with store.condition:
                    changes = store.changes_after(position)
                    while changes == [] and not cluster.closed and time.monotonic() < deadline:
                        store.condition.wait(min(deadline - time.monotonic(), 5.0))
                        changes = store.changes_after(position)
                if changes is None:
                    return self._write_expired(rtype, position, store.revision, table_include)
                for change in changes:
                    position = change.revision
                    if change.resource != rtype.key:
                        continue
                    now_in, before_in = in_scope(change.object), in_scope(change.previous)
                    if change.type == "DELETED":
                        event_type = "DELETED" if before_in else ""
                    elif now_in:
                        event_type = "MODIFIED" if before_in else "ADDED"
                    else:
                        event_type = "DELETED" if before_in else ""
                    if event_type:
                        self._write_event(event_type, change.object, rtype, table_include)
                if cluster.closed or time.monotonic() >= deadline:
                    return
        finally:
            try:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:
                self.close_connection = True

    def _write_expired(self, rtype: ResourceType, wanted: int, current: int, table_include: str) -> None:
        error = ApiError(410, "Expired", "too old resource version: %d (%d)" % (wanted, current))
        self._write_event("ERROR", error.status(), rtype, table_include)

    # ---- lab-only endpoints ----------------------------------------------------------------

    def _lab(self, method: str, parts: list[str], query: dict[str, list[str]], body: bytes) -> None:
        if self._user != "admin":
            raise ApiError(403, "Forbidden", "the lab endpoints need the admin token")
        cluster = self.server.cluster
        route = "/".join(parts)
        if method == "GET" and route == "objects":
            wanted = _param(query, "resource")
            rtypes = resources.RESOURCE_TYPES
            if wanted:
                rtype = resources.by_name(wanted)
                if rtype is None:
                    raise bad_request("unknown resource %r" % wanted)
                rtypes = (rtype,)
            namespace = _param(query, "namespace") or None
            with cluster.store.condition:
                objects = [obj for rtype in rtypes
                           for obj in cluster.store.items(rtype, namespace if rtype.namespaced else None)
                           if namespace is None or rtype.namespaced]
                revision = cluster.store.revision
            return self._send_json(200, {"resourceVersion": str(revision), "objects": objects})
        if route == "requests" and method in ("GET", "DELETE"):
            seen = list(self.server.requests_seen)
            if method == "DELETE":
                self.server.requests_seen.clear()
            return self._send_json(200, {"requests": seen})
        if method == "POST" and route == "reset":
            cluster.reset()
            return self._send_json(200, {"resourceVersion": str(cluster.store.revision)})
        if route == "cni-delay" and method in ("GET", "PUT"):
            if method == "PUT":
                try:
                    cluster.cni_delay = float(json.loads(body or b"{}")["seconds"])
                except (ValueError, KeyError, TypeError) as error:
                    raise bad_request('Failed to read the CNI delay: expected {"seconds": <number>}') from error
            return self._send_json(200, {"seconds": cluster.cni_delay})
        raise _route_not_found()


def _pod_log(pod: dict[str, Any], container: str) -> str:
    containers = [item.get("name") for item in pod.get("spec", {}).get("containers") or []]
    if container and container not in containers:
        raise bad_request("container %s is not valid for pod %s" % (container, pod["metadata"]["name"]))
    if pod.get("status", {}).get("phase") != "Running":
        raise bad_request('container "%s" in pod "%s" is waiting to start: ContainerCreating'
                          % (container or (containers or [""])[0], pod["metadata"]["name"]))
    started = (pod.get("status") or {}).get("startTime", "")
    return 'time="%s" level=info msg="lab: container %s of pod %s started on node %s"\n' % (
        started, container or (containers or [""])[0], pod["metadata"]["name"], pod["spec"].get("nodeName", ""))


def _read_tls_dir(tls_dir: str) -> tuple[ssl.SSLContext, str, str]:
    try:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(tls_dir, "server.crt"), os.path.join(tls_dir, "server.key"))
        context.set_alpn_protocols(["http/1.1"])
        with open(os.path.join(tls_dir, "ca.crt"), encoding="ascii") as handle:
            ca_certificate = handle.read()
        with open(os.path.join(tls_dir, "admin-token"), encoding="ascii") as handle:
            admin_token = handle.read().strip()
    except (OSError, ssl.SSLError) as error:
        raise SystemExit("Failed to read the TLS material in %s: %s (create it with lab/kube/pki.py %s)"
                         % (tls_dir, error, tls_dir)) from error
    if not admin_token:
        raise SystemExit("Failed to read the admin token in %s: the file is empty" % tls_dir)
    return context, ca_certificate, admin_token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", action="append", help="address to listen on (repeatable; default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=labconfig.KUBE_PORT)
    parser.add_argument("--tls-dir", required=True, help="directory written by lab/kube/pki.py")
    parser.add_argument("--cni-delay", type=float, default=2.0,
                        help="seconds a hybrid node stays NotReady after a CNI pod lands on it (default 2)")
    args = parser.parse_args(argv)
    context, ca_certificate, admin_token = _read_tls_dir(args.tls_dir)
    cluster = Cluster(ca_certificate, args.cni_delay)
    requests_seen: collections.deque = collections.deque(maxlen=REQUEST_LOG_SIZE)
    servers = []
    for address in args.bind or ["127.0.0.1"]:
        try:
            servers.append(ApiServer((address, args.port), cluster, admin_token, context, requests_seen))
        except OSError as error:
            for server in servers:
                server.server_close()
            sys.stderr.write("Failed to listen on %s:%d: %s\n" % (address, args.port, error))
            return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
               for server in servers]
    for thread in threads:
        thread.start()
    sys.stderr.write("lab kube API server listening on %s (cni delay %.1fs)\n" % (
        ", ".join("https://%s:%d" % server.server_address[:2] for server in servers), args.cni_delay))
    sys.stderr.flush()
    while not stop.wait(0.2):
        pass
    cluster.close()
    for server in servers:
        server.shutdown()
        server.server_close()
    sys.stderr.write("lab kube API server stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
