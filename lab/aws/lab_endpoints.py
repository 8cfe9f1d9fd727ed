"""Lab-only HTTP endpoints of the lab's AWS, and injected faults.

Everything under ``/_lab/`` is answered by this module before moto sees the request; nothing
there exists on AWS. All bodies are JSON.

``GET /_lab/state``
    ``{"ssm": [{"account_id", "region", "activations": [...], "managed_instances": [...],
    "deleted_activations": [...]}],
    "eks_access_entries": [...], "faults": [...]}``. Activations are shown as DescribeActivations
    shows them: never with their codes.

``POST /_lab/activations/<activation-id>/expire``
    Make the activation expired now (its ExpirationDate becomes one second ago). 404 if unknown.

``POST /_lab/faults``  body ``{"service": "ssm", "action": "CreateActivation",
"error": "ThrottlingException", "count": 2, "message": "optional text", "status": 400}``
    The next ``count`` calls of that action fail with that AWS error code, in the service's own
    error format (JSON for ssm and eks, XML for query services such as iam and sts). ``status``
    defaults to 500 for InternalServerError/InternalFailure, 503 for ServiceUnavailable, else 400.
    A later POST for the same service and action replaces the earlier one.

``GET /_lab/faults`` lists the pending faults; ``DELETE /_lab/faults`` clears them.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable

from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model

import eks_access
import ssm_hybrid

LAB_PREFIX = "/_lab/"
EXPIRE_PATH = re.compile(r"^/_lab/activations/(?P<activation_id>[^/]+)/expire/?$")
STATUS_BY_ERROR = {"InternalServerError": 500, "InternalFailure": 500, "ServiceUnavailable": 503}


@dataclass
class Fault:
    service: str
    action: str
    error: str
    count: int
    message: str
    status: int


class FaultBook:
    """Pending faults, consumed one per matching call, shared by every server thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[tuple[str, str], Fault] = {}

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults[(fault.service, fault.action)] = fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(fault) for fault in self._faults.values()]

    def take(self, service: str, action: str) -> Fault | None:
        """The fault for this call, if one is pending; counts it down."""
        with self._lock:
            fault = self._faults.get((service, action))
            if fault is None:
                return None
            fault.count -= 1
            if fault.count <= 0:
                del self._faults[(service, action)]
            return fault


FAULTS = FaultBook()


def fault_from_request(body: dict[str, Any]) -> Fault:
    """Build a fault from a POST body; ValueError names what is wrong."""
    missing = [key for key in ("service", "action", "error") if not body.get(key)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    count = body.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    error = str(body["error"])
    return Fault(
        service=str(body["service"]).lower(),
        action=str(body["action"]),
        error=error,
        count=count,
        message=str(body.get("message") or f"Injected by the lab: {error}"),
        status=int(body.get("status") or STATUS_BY_ERROR.get(error, 400)),
    )


def error_response(response: BaseResponse, fault: Fault) -> TYPE_RESPONSE:
    """The fault as the service itself would answer it."""
    protocol = get_service_model(response.boto3_service_name).metadata.get("protocol", "json")
    if protocol in ("json", "rest-json"):
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": fault.error,
                   "status": str(fault.status)}
        return fault.status, headers, json.dumps({"__type": fault.error, "message": fault.message})
    body = ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>lab-fault</RequestId></ErrorResponse>" % (fault.error, fault.message))
    return fault.status, {"Content-Type": "text/xml", "status": str(fault.status)}, body


def install_fault_injection() -> None:
    """Let every moto service answer a pending fault instead of running the action."""
    original_call_action = BaseResponse.call_action

    def call_action(self: BaseResponse) -> TYPE_RESPONSE:
        fault = FAULTS.take(str(self.service_name or "").lower(), self._get_action() or "")
        if fault is not None:
            return error_response(self, fault)
        return original_call_action(self)

    BaseResponse.call_action = call_action


def lab_state() -> dict[str, Any]:
    return {"ssm": ssm_hybrid.state(), "eks_access_entries": eks_access.state(), "faults": FAULTS.pending()}


class LabMiddleware:
    """WSGI wrapper that serves ``/_lab/`` and hands every other request to moto."""

    def __init__(self, moto_app: Callable) -> None:
        self.moto_app = moto_app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(LAB_PREFIX):
            return self.moto_app(environ, start_response)
        status, payload = self.route(environ.get("REQUEST_METHOD", "GET"), path, environ)
        body = json.dumps(payload, indent=1, sort_keys=True).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def route(self, method: str, path: str, environ: dict[str, Any]) -> tuple[str, Any]:
        if path.rstrip("/") == "/_lab/state" and method == "GET":
            return "200 OK", lab_state()
        expire = EXPIRE_PATH.match(path)
        if expire and method == "POST":
            if ssm_hybrid.expire_activation(expire.group("activation_id")):
                return "200 OK", {"expired": expire.group("activation_id")}
            return "404 Not Found", {"error": f"Failed to expire activation: {expire.group('activation_id')} "
                                              "does not exist"}
        if path.rstrip("/") == "/_lab/faults":
            if method == "GET":
                return "200 OK", {"faults": FAULTS.pending()}
            if method == "DELETE":
                FAULTS.clear()
                return "200 OK", {"faults": []}
            if method == "POST":
                try:
                    fault = fault_from_request(read_json(environ))
                except ValueError as error:
                    return "400 Bad Request", {"error": f"Failed to add fault: {error}"}
                FAULTS.add(fault)
                return "200 OK", {"fault": asdict(fault)}
        return "404 Not Found", {"error": f"Failed to route {method} {path}: no such lab endpoint"}


def read_json(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError as error:
        raise ValueError(f"body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body
