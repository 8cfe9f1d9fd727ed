# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Decide whether Kubernetes Nodes are registered or Ready, and wait for many of them with one list + one watch.

Works on plain Node dicts as the API returns them, with the list and watch calls injected, so all of it can be
tested without a cluster. No Ansible import.
"""

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

MISSING = "missing"
NOT_READY = "not_ready"
READY = "ready"
STATES = ("registered", "ready")
LABEL_PREFIXES_OF_INTEREST = ("eks.amazonaws.com/", "topology.kubernetes.io/", "node.kubernetes.io/")
LABELS_OF_INTEREST = ("kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os")

MIN_WATCH_INTERVAL = 1.0  # seconds between the starts of two watches

ListNodes = Callable[[], Tuple[List[Dict[str, Any]], str]]
WatchNodes = Callable[[str, float], Iterable[Dict[str, Any]]]


class ResourceVersionExpired(Exception):
    """The watch's resourceVersion is too old (HTTP 410 Gone); the caller must list again."""


class WatchFailed(Exception):
    """The API server ended the watch with an error other than 410 Gone."""


@dataclass
class NodeVerdict:
    name: str
    verdict: str = MISSING
    reason: Optional[str] = None
    message: Optional[str] = None
    internal_ip: Optional[str] = None
    labels: Dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "verdict": self.verdict, "reason": self.reason, "message": self.message,
                "internal_ip": self.internal_ip, "labels": self.labels}

    def describe(self) -> str:
        """Short text for a failure message, e.g. ``mi-0a1 (NotReady: KubeletNotReady: cni not initialized)``."""
        if self.verdict == MISSING:
            return "%s (missing)" % self.name
        details = ": ".join(part for part in (self.reason, self.message) if part)
        return "%s (NotReady%s)" % (self.name, ": " + details if details else "")


def ready_condition(node: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The Ready condition of a Node object, or None when its kubelet has not reported one."""
    conditions = (node.get("status") or {}).get("conditions") or []
    return next((condition for condition in conditions if condition.get("type") == "Ready"), None)


def verdict_of(node: Dict[str, Any]) -> NodeVerdict:
    """The verdict of one Node object: Ready when its Ready condition is True, otherwise not_ready."""
    metadata = node.get("metadata") or {}
    status = node.get("status") or {}
    ready = ready_condition(node)
    labels = metadata.get("labels") or {}
    addresses = status.get("addresses") or []
    verdict = NodeVerdict(
        name=metadata.get("name"),
        internal_ip=next((item.get("address") for item in addresses if item.get("type") == "InternalIP"), None),
        labels={key: value for key, value in labels.items()
                if key in LABELS_OF_INTEREST or key.startswith(LABEL_PREFIXES_OF_INTEREST)},
    )
    if metadata.get("deletionTimestamp"):
        verdict.verdict, verdict.reason, verdict.message = NOT_READY, "Terminating", "the Node is being deleted"
    elif ready is None:
        verdict.verdict, verdict.reason = NOT_READY, "NoReadyCondition"
        verdict.message = "the kubelet has not reported a Ready condition yet"
    else:
        verdict.verdict = READY if ready.get("status") == "True" else NOT_READY
        verdict.reason, verdict.message = ready.get("reason"), ready.get("message")
    return verdict


def is_done(verdict: NodeVerdict, state: str) -> bool:
    if state == "registered":
        return verdict.verdict != MISSING
    return verdict.verdict == READY


class NodeTracker:
    """The latest verdict of each wanted node. Wanted nodes are the given names, or every node seen."""

    def __init__(self, names: Optional[List[str]], state: str) -> None:
        if state not in STATES:
            raise ValueError("state must be one of %s" % ", ".join(STATES))
        self.state = state
        self.fixed_names = list(dict.fromkeys(names)) if names else None
        self.verdicts: Dict[str, NodeVerdict] = {name: NodeVerdict(name) for name in self.fixed_names or []}

    def replace_all(self, nodes: List[Dict[str, Any]]) -> None:
        """Take a full list: anything wanted but absent from it is missing."""
        self.verdicts = {name: NodeVerdict(name) for name in self.fixed_names or []}
        for node in nodes:
            self.observe(node)

    def observe(self, node: Dict[str, Any]) -> None:
        verdict = verdict_of(node)
        if self.fixed_names is None or verdict.name in self.verdicts:
            self.verdicts[verdict.name] = verdict

    def forget(self, node: Dict[str, Any]) -> None:
        name = (node.get("metadata") or {}).get("name")
        if name in self.verdicts:
            if self.fixed_names is None:
                del self.verdicts[name]
            else:
                self.verdicts[name] = NodeVerdict(name)

    def done(self) -> bool:
        return bool(self.verdicts) and all(is_done(verdict, self.state) for verdict in self.verdicts.values())

    def laggards(self) -> List[NodeVerdict]:
        return [verdict for verdict in self.ordered() if not is_done(verdict, self.state)]

    def ordered(self) -> List[NodeVerdict]:
        names = self.fixed_names if self.fixed_names is not None else sorted(self.verdicts)
        return [self.verdicts[name] for name in names]

    def report(self) -> Dict[str, Any]:
        ordered = self.ordered()
        return {
            "nodes": [verdict.as_dict() for verdict in ordered],
            "ready": [verdict.name for verdict in ordered if verdict.verdict == READY],
            "not_ready": [verdict.name for verdict in ordered if verdict.verdict == NOT_READY],
            "missing": [verdict.name for verdict in ordered if verdict.verdict == MISSING],
        }


@dataclass
class WaitOutcome:
    done: bool
    elapsed: float
    lists: int
    watches: int


def wait_for_nodes(tracker: NodeTracker, list_nodes: ListNodes, watch_nodes: WatchNodes, timeout: float,
                   clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep) -> WaitOutcome:
    """Bring ``tracker`` up to date with one list, then follow one watch of all nodes until done or timeout.

    The list is repeated only when the watch ends (server-side timeout) or its resourceVersion has expired
    (410 Gone), never per node. ``watch_nodes(resource_version, seconds)`` yields watch events as dicts
    ``{"type": ..., "object": {...}}`` and raises ResourceVersionExpired or WatchFailed.
    """
    start = clock()
    deadline = start + timeout
    lists = watches = 0
    while True:
        nodes, resource_version = list_nodes()
        lists += 1
        tracker.replace_all(nodes)
        remaining = deadline - clock()
        if tracker.done() or remaining <= 0:
            break
        watches += 1
        watch_started = clock()
        try:
            for event in watch_nodes(resource_version, remaining):
                kind, node = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if node.get("code") == 410:
                        raise ResourceVersionExpired(node.get("message"))
                    raise WatchFailed("%s: %s" % (node.get("reason"), node.get("message")))
                if kind in ("ADDED", "MODIFIED"):
                    tracker.observe(node)
                elif kind == "DELETED":
                    tracker.forget(node)
                if tracker.done() or clock() >= deadline:
                    break
        except ResourceVersionExpired:
            pass
        if tracker.done() or clock() >= deadline:
            break
        # A watch that a proxy or load balancer closes at once must not turn into a hot list loop.
        sleep(max(0.0, min(MIN_WATCH_INTERVAL - (clock() - watch_started), deadline - clock())))
    return WaitOutcome(done=tracker.done(), elapsed=clock() - start, lists=lists, watches=watches)


def timeout_message(tracker: NodeTracker, elapsed: float) -> str:
    laggards = tracker.laggards()
    wanted = "Ready" if tracker.state == "ready" else "registered"
    if not tracker.verdicts:
        return "Failed to wait for nodes to become %s: no node matched after %ds" % (wanted, elapsed)
    return "Failed to wait for nodes to become %s: %d of %d not %s after %ds: %s" % (
        wanted, len(laggards), len(tracker.verdicts), wanted, elapsed,
        ", ".join(verdict.describe() for verdict in laggards))
