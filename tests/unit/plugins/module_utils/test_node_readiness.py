"""Node verdicts and the one-list-one-watch wait (plugins/module_utils/_node_readiness.py), without a cluster."""

import pytest

from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _node_readiness as readiness


def node(name, ready=None, reason=None, message=None, ip="10.52.100.11", deleting=False):
    """A Node object as the API returns it; ready=None means no Ready condition yet."""
    conditions = []
    if ready is not None:
        conditions.append({"type": "Ready", "status": "True" if ready else "False", "reason": reason,
                           "message": message})
    metadata = {"name": name, "labels": {"eks.amazonaws.com/compute-type": "hybrid",
                                         "kubernetes.io/hostname": name, "example.com/rack": "r1"}}
    if deleting:
        metadata["deletionTimestamp"] = "2026-12-04T12:00:00Z"
    return {"metadata": metadata,
            "status": {"conditions": conditions, "addresses": [{"type": "InternalIP", "address": ip}]}}


NOT_READY_CNI = dict(ready=False, reason="KubeletNotReady", message="container runtime network not ready")


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeApi:
    """Serves scripted lists and watches, and counts the calls."""

    def __init__(self, clock, lists, watches):
        self.clock = clock
        self.lists = list(lists)
        self.watches = list(watches)
        self.list_calls = 0
        self.watch_calls = []

    def list_nodes(self):
        self.list_calls += 1
        items, version = self.lists.pop(0) if len(self.lists) > 1 else self.lists[0]
        return items, version

    def watch_nodes(self, resource_version, seconds):
        self.watch_calls.append(resource_version)
        script = self.watches.pop(0) if self.watches else [("sleep", seconds)]
        for step in script:
            if step[0] == "sleep":
                self.clock.now += min(step[1], seconds)
                return
            if step[0] == "raise":
                raise step[1]
            self.clock.now += 1
            yield {"type": step[0], "object": step[1]}


@pytest.mark.parametrize("obj, verdict, reason", [
    (node("mi-1", ready=True, reason="KubeletReady"), readiness.READY, "KubeletReady"),
    (node("mi-1", **NOT_READY_CNI), readiness.NOT_READY, "KubeletNotReady"),
    (node("mi-1"), readiness.NOT_READY, "NoReadyCondition"),
    (node("mi-1", ready=True, deleting=True), readiness.NOT_READY, "Terminating"),
])
def test_verdict_of_a_node(obj, verdict, reason):
    result = readiness.verdict_of(obj)
    assert (result.verdict, result.reason, result.internal_ip) == (verdict, reason, "10.52.100.11")
    assert result.labels == {"eks.amazonaws.com/compute-type": "hybrid", "kubernetes.io/hostname": "mi-1"}


def test_registered_is_done_when_the_node_exists_even_if_not_ready():
    tracker = readiness.NodeTracker(["mi-1", "mi-2"], "registered")
    tracker.replace_all([node("mi-1", **NOT_READY_CNI)])
    assert not tracker.done()
    tracker.observe(node("mi-2"))
    assert tracker.done()


def test_wait_success_uses_one_list_and_one_watch_for_many_nodes():
    clock = FakeClock()
    names = ["mi-%02d" % index for index in range(50)]
    initial = [node(name, **NOT_READY_CNI) for name in names[:40]]
    events = [("ADDED", node(name, **NOT_READY_CNI)) for name in names[40:]]
    events += [("MODIFIED", node(name, ready=True)) for name in names]
    events += [("MODIFIED", node("unrelated-node", ready=False))]
    api = FakeApi(clock, [(initial, "100")], [events])
    tracker = readiness.NodeTracker(names, "ready")
    outcome = readiness.wait_for_nodes(tracker, api.list_nodes, api.watch_nodes, 600, clock, clock.sleep)
    assert outcome.done and api.list_calls == 1 and api.watch_calls == ["100"]
    report = tracker.report()
    assert report["ready"] == names and report["not_ready"] == [] and report["missing"] == []
    assert "unrelated-node" not in [item["name"] for item in report["nodes"]]


def test_wait_timeout_keeps_per_node_verdicts_and_names_only_laggards():
    clock = FakeClock()
    api = FakeApi(clock, [([node("mi-b", **NOT_READY_CNI), node("mi-c", ready=True)], "7")], [])
    tracker = readiness.NodeTracker(["mi-a", "mi-b", "mi-c"], "ready")
    outcome = readiness.wait_for_nodes(tracker, api.list_nodes, api.watch_nodes, 30, clock, clock.sleep)
    assert not outcome.done
    assert outcome.elapsed == pytest.approx(30)
    report = tracker.report()
    assert [item["verdict"] for item in report["nodes"]] == ["missing", "not_ready", "ready"]
    assert (report["missing"], report["not_ready"], report["ready"]) == (["mi-a"], ["mi-b"], ["mi-c"])
    assert readiness.timeout_message(tracker, outcome.elapsed) == (
        "Failed to wait for nodes to become Ready: 2 of 3 not Ready after 30s: mi-a (missing), "
        "mi-b (NotReady: KubeletNotReady: container runtime network not ready)")


def test_gone_resource_version_triggers_one_relist_then_a_new_watch():
    clock = FakeClock()
    api = FakeApi(clock, [([node("mi-1", **NOT_READY_CNI)], "5"), ([node("mi-1", **NOT_READY_CNI)], "900")], [
        [("ERROR", {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version"})],
        [("MODIFIED", node("mi-1", ready=True))],
    ])
    tracker = readiness.NodeTracker(["mi-1"], "ready")
    outcome = readiness.wait_for_nodes(tracker, api.list_nodes, api.watch_nodes, 600, clock, clock.sleep)
    assert outcome.done
    assert (api.list_calls, api.watch_calls) == (2, ["5", "900"])


def test_watch_that_ends_is_followed_by_a_relist_which_can_finish_the_wait():
    clock = FakeClock()
    api = FakeApi(clock, [([], "1"), ([node("mi-1", ready=True)], "2")], [[("sleep", 60)]])
    tracker = readiness.NodeTracker(["mi-1"], "ready")
    outcome = readiness.wait_for_nodes(tracker, api.list_nodes, api.watch_nodes, 600, clock, clock.sleep)
    assert outcome.done and api.list_calls == 2 and api.watch_calls == ["1"]


def test_deleted_node_becomes_missing_again():
    clock = FakeClock()
    api = FakeApi(clock, [([node("mi-1", **NOT_READY_CNI)], "3")], [[("DELETED", node("mi-1"))]])
    tracker = readiness.NodeTracker(["mi-1"], "registered")
    tracker.replace_all([node("mi-1")])
    readiness.wait_for_nodes(tracker, api.list_nodes, api.watch_nodes, 10, clock, clock.sleep)
    assert tracker.report()["missing"] == []  # the relist after the watch found it again
    tracker.forget(node("mi-1"))
    assert tracker.report()["missing"] == ["mi-1"]


def test_watch_error_other_than_gone_is_raised():
    clock = FakeClock()
    api = FakeApi(clock, [([], "1")], [[("ERROR", {"code": 500, "reason": "InternalError", "message": "boom"})]])
    with pytest.raises(readiness.WatchFailed, match="InternalError: boom"):
        readiness.wait_for_nodes(readiness.NodeTracker(["mi-1"], "ready"), api.list_nodes, api.watch_nodes, 60,
                                 clock, clock.sleep)


def test_selector_only_waits_for_at_least_one_node():
    clock = FakeClock()
    events = [("ADDED", node("mi-9", **NOT_READY_CNI)), ("MODIFIED", node("mi-9", ready=True))]
    api = FakeApi(clock, [([], "1")], [events])
    tracker = readiness.NodeTracker(None, "ready")
    assert not tracker.done()
    outcome = readiness.wait_for_nodes(tracker, api.list_nodes, api.watch_nodes, 60, clock, clock.sleep)
    assert outcome.done and tracker.report()["ready"] == ["mi-9"]
    empty = readiness.NodeTracker(None, "ready")
    assert readiness.timeout_message(empty, 60) == "Failed to wait for nodes to become Ready: no node matched after 60s"


def test_watches_that_end_at_once_are_spaced_out_instead_of_hot_looping():
    clock = FakeClock()
    api = FakeApi(clock, [([], "1")], [[] for _watch in range(100)])
    outcome = readiness.wait_for_nodes(readiness.NodeTracker(["mi-1"], "ready"), api.list_nodes, api.watch_nodes,
                                       5, clock, clock.sleep)
    assert not outcome.done
    assert api.list_calls <= 6 and clock.sleeps and all(seconds <= 1.0 for seconds in clock.sleeps)
