"""Server-side printing: the meta.k8s.io/v1 Table that ``kubectl get`` asks for, with the columns
the real API server prints for nodes, pods, DaemonSets, Deployments, ReplicaSets and Services;
other types get NAME and AGE. Columns with priority 1 appear with ``-o wide`` only.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable

Column = tuple[str, str, int, Callable[[dict[str, Any]], Any]]


def age(obj: dict[str, Any]) -> str:
    created = obj["metadata"].get("creationTimestamp")
    if not created:
        return "<unknown>"
    moment = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    seconds = max(0, int((datetime.datetime.now(datetime.timezone.utc) - moment).total_seconds()))
    if seconds < 120:
        return "%ds" % seconds
    if seconds < 600:
        return "%dm%ds" % (seconds // 60, seconds % 60) if seconds % 60 else "%dm" % (seconds // 60)
    if seconds < 3 * 3600:
        return "%dm" % (seconds // 60)
    if seconds < 48 * 3600:
        return "%dh" % (seconds // 3600)
    return "%dd" % (seconds // 86400)


def _selector_text(selector: dict[str, Any] | None) -> str:
    parts = ["%s=%s" % item for item in sorted(((selector or {}).get("matchLabels") or {}).items())]
    for expression in (selector or {}).get("matchExpressions") or []:
        parts.append("%s %s (%s)" % (expression.get("key"), expression.get("operator", "").lower(),
                                     ",".join(expression.get("values") or [])))
    return ",".join(parts) or "<none>"


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []


def _node_status(node: dict[str, Any]) -> str:
    ready = next((c for c in node.get("status", {}).get("conditions") or [] if c.get("type") == "Ready"), None)
    text = "Ready" if ready and ready.get("status") == "True" else "NotReady" if ready else "Unknown"
    if node.get("spec", {}).get("unschedulable"):
        text += ",SchedulingDisabled"
    return text


def _node_roles(node: dict[str, Any]) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = sorted(key[len(prefix):] for key in node["metadata"].get("labels") or {} if key.startswith(prefix))
    return ",".join(roles) or "<none>"


def _address(node: dict[str, Any], kind: str) -> str:
    return next((a["address"] for a in node.get("status", {}).get("addresses") or [] if a.get("type") == kind),
                "<none>")


def _pod_ready(pod: dict[str, Any]) -> str:
    statuses = pod.get("status", {}).get("containerStatuses") or []
    total = len(pod.get("spec", {}).get("containers") or [])
    return "%d/%d" % (sum(1 for status in statuses if status.get("ready")), total)


def _pod_status(pod: dict[str, Any]) -> str:
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for status in pod.get("status", {}).get("containerStatuses") or []:
        waiting = (status.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            return waiting["reason"]
    return pod.get("status", {}).get("phase") or "Unknown"


def _node_info(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda node: node.get("status", {}).get("nodeInfo", {}).get(key, "")


def _status(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda obj: (obj.get("status") or {}).get(key, 0)


_NAME: Column = ("Name", "string", 0, lambda obj: obj["metadata"]["name"])
_AGE: Column = ("Age", "string", 0, age)
_WORKLOAD_WIDE: list[Column] = [
    ("Containers", "string", 1, lambda obj: ",".join(c.get("name", "") for c in _containers(obj))),
    ("Images", "string", 1, lambda obj: ",".join(c.get("image", "") for c in _containers(obj))),
    ("Selector", "string", 1, lambda obj: _selector_text(obj.get("spec", {}).get("selector"))),
]
COLUMNS: dict[str, list[Column]] = {
    "Node": [
        _NAME, ("Status", "string", 0, _node_status), ("Roles", "string", 0, _node_roles), _AGE,
        ("Version", "string", 0, _node_info("kubeletVersion")),
        ("Internal-IP", "string", 1, lambda node: _address(node, "InternalIP")),
        ("External-IP", "string", 1, lambda node: _address(node, "ExternalIP")),
        ("OS-Image", "string", 1, _node_info("osImage")), ("Kernel-Version", "string", 1, _node_info("kernelVersion")),
        ("Container-Runtime", "string", 1, _node_info("containerRuntimeVersion")),
    ],
    "Pod": [
        _NAME, ("Ready", "string", 0, _pod_ready), ("Status", "string", 0, _pod_status),
        ("Restarts", "string", 0, lambda pod: str(sum(s.get("restartCount", 0) for s in
                                                      pod.get("status", {}).get("containerStatuses") or []))),
        _AGE, ("IP", "string", 1, lambda pod: pod.get("status", {}).get("podIP") or "<none>"),
        ("Node", "string", 1, lambda pod: pod.get("spec", {}).get("nodeName") or "<none>"),
        ("Nominated Node", "string", 1, lambda pod: "<none>"), ("Readiness Gates", "string", 1, lambda pod: "<none>"),
    ],
    "DaemonSet": [
        _NAME, ("Desired", "integer", 0, _status("desiredNumberScheduled")),
        ("Current", "integer", 0, _status("currentNumberScheduled")), ("Ready", "integer", 0, _status("numberReady")),
        ("Up-to-date", "integer", 0, _status("updatedNumberScheduled")),
        ("Available", "integer", 0, _status("numberAvailable")),
        ("Node Selector", "string", 0, lambda ds: ",".join(
            "%s=%s" % item for item in sorted(((ds.get("spec") or {}).get("template") or {}).get("spec", {}).get(
                "nodeSelector", {}).items())) or "<none>"),
        _AGE, *_WORKLOAD_WIDE,
    ],
    "Deployment": [
        _NAME, ("Ready", "string", 0, lambda deployment: "%d/%d" % (
            (deployment.get("status") or {}).get("readyReplicas", 0), deployment.get("spec", {}).get("replicas", 1))),
        ("Up-to-date", "integer", 0, _status("updatedReplicas")),
        ("Available", "integer", 0, _status("availableReplicas")), _AGE, *_WORKLOAD_WIDE,
    ],
    "ReplicaSet": [
        _NAME, ("Desired", "integer", 0, lambda rs: rs.get("spec", {}).get("replicas", 1)),
        ("Current", "integer", 0, _status("replicas")), ("Ready", "integer", 0, _status("readyReplicas")),
        _AGE, *_WORKLOAD_WIDE,
    ],
    "Namespace": [
        _NAME, ("Status", "string", 0, lambda ns: (ns.get("status") or {}).get("phase", "")), _AGE,
    ],
    "Service": [
        _NAME, ("Type", "string", 0, lambda svc: svc.get("spec", {}).get("type", "ClusterIP")),
        ("Cluster-IP", "string", 0, lambda svc: svc.get("spec", {}).get("clusterIP") or "<none>"),
        ("External-IP", "string", 0, lambda svc: "<none>"),
        ("Port(s)", "string", 0, lambda svc: ",".join("%s/%s" % (p.get("port"), p.get("protocol", "TCP"))
                                                      for p in svc.get("spec", {}).get("ports") or []) or "<none>"),
        _AGE, ("Selector", "string", 1, lambda svc: ",".join("%s=%s" % item for item in sorted(
            (svc.get("spec", {}).get("selector") or {}).items())) or "<none>"),
    ],
}


def _partial_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def table(kind: str, objects: list[dict[str, Any]], resource_version: str, include_object: str) -> dict[str, Any]:
    columns = COLUMNS.get(kind, [_NAME, _AGE])
    definitions = [{"name": name, "type": kind_of_value, "format": "name" if name == "Name" else "",
                    "description": name, "priority": priority} for name, kind_of_value, priority, _ in columns]
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": [render(obj) for _, _, _, render in columns]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = _partial_metadata(obj)
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": definitions, "rows": rows}
