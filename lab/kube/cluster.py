"""The lab's cluster behind its Kubernetes API: API semantics (validation, defaults, generations,
status subresources, conflicts, cascading deletes) and the work that a control plane, kubelets
and a CNI do in a real EKS cluster, reduced to what the collection can observe.

Controllers run synchronously after every write and whenever a CNI timer fires:

- namespaces get their ``default`` ServiceAccount and ``kube-root-ca.crt`` ConfigMap;
- a Deployment owns a ReplicaSet per pod template, a ReplicaSet owns its pods, a DaemonSet owns
  one pod per node that its template selects (node selector, required node affinity, taints);
- the scheduler binds pending pods (node selector and affinity, taints, required pod affinity
  and anti-affinity) and the "kubelet" reports them Running;
- hybrid nodes (label ``eks.amazonaws.com/compute-type=hybrid``) stay NotReady with the CNI
  message of a real kubelet until a pod of a CNI DaemonSet (one that mounts the host's
  ``/etc/cni/net.d``, where a CNI writes its configuration) is bound to them, and turn Ready
  ``cni_delay`` seconds later; cloud nodes are always Ready;
- the cluster starts with the kube-proxy DaemonSet of the EKS add-on, which runs on every node
  but is no CNI;
- workload status follows the pods, the way ``helm --wait`` and ``kubectl`` read it;
- objects whose owners are gone are deleted.
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import ipaddress
import json
import random
import re
import threading
import time
import uuid
from typing import Any, Callable

import labconfig
import matching
import patching
import protowire
import resources
from resources import ResourceType
from store import Store

COMPUTE_TYPE_LABEL = "eks.amazonaws.com/compute-type"
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
CNI_NOT_READY_MESSAGE = (
    "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
    "message:Network plugin returns error: cni plugin not initialized"
)
KUBELET_READY_MESSAGE = "kubelet is posting ready status"
SERVER_VERSION = {
    "major": "1", "minor": "31+", "gitVersion": "v1.31.13-eks-3025e55",
    "gitCommit": "3025e55b6ee6c3a1ab9b2cd8ed50c0ae7e1aa5d0", "gitTreeState": "clean",
    "buildDate": "2025-09-10T22:04:43Z", "goVersion": "go1.24.6", "compiler": "gc", "platform": "linux/amd64",
}
KUBELET_VERSION = "v1.31.13-eks-113cf36"
# The EKS Workshop's managed node group: one m5.large node per availability zone.
CLOUD_NODES = (
    ("10.42.110.36", "us-west-2a", "usw2-az2", "i-0a1b2c3d4e5f60718"),
    ("10.42.141.201", "us-west-2b", "usw2-az1", "i-0b2c3d4e5f6071829"),
    ("10.42.177.98", "us-west-2c", "usw2-az3", "i-0c3d4e5f607182930"),
)
SEED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
CNI_CONFIG_DIR = "/etc/cni/net.d"
# The kube-proxy DaemonSet of the EKS add-on (v1.31), as an EKS cluster with managed node groups has it.
KUBE_PROXY = {
    "apiVersion": "apps/v1", "kind": "DaemonSet",
    "metadata": {"name": "kube-proxy", "namespace": "kube-system",
                 "labels": {"k8s-app": "kube-proxy", "eks.amazonaws.com/component": "kube-proxy"}},
    "spec": {
        "selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
        "template": {
            "metadata": {"labels": {"k8s-app": "kube-proxy"}},
            "spec": {
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [
                        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]},
                        {"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate", "auto"]},
                    ]}]}}},
                "containers": [{
                    "name": "kube-proxy",
                    "image": "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.31.10-minimal-eksbuild.2",
                    "command": ["kube-proxy", "--v=2", "--config=/var/lib/kube-proxy-config/config",
                                "--hostname-override=$(NODE_NAME)"],
                    "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                    "securityContext": {"privileged": True},
                    "volumeMounts": [{"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True},
                                     {"name": "config", "mountPath": "/var/lib/kube-proxy-config/"}],
                }],
                "hostNetwork": True,
                "priorityClassName": "system-node-critical",
                "serviceAccountName": "kube-proxy",
                "tolerations": [{"operator": "Exists"}],
                "volumes": [{"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
                            {"name": "config", "configMap": {"name": "kube-proxy-config"}}],
            },
        },
    },
}
NAME_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# Tolerations the DaemonSet controller adds to every daemon pod.
DAEMON_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
_HOST_NETWORK_TOLERATION = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                            "effect": "NoSchedule"}

RT = {rtype.plural: rtype for rtype in resources.RESOURCE_TYPES}


class ApiError(Exception):
    """An error the API answers with a Status object."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict[str, Any]:
        status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            status["details"] = self.details
        return status


def _qualified(rtype: ResourceType) -> str:
    return "%s.%s" % (rtype.plural, rtype.group) if rtype.group else rtype.plural


def _details(rtype: ResourceType, name: str) -> dict[str, Any]:
    details = {"name": name, "kind": rtype.plural}
    if rtype.group:
        details["group"] = rtype.group
    return details


def not_found(rtype: ResourceType, name: str) -> ApiError:
    return ApiError(404, "NotFound", '%s "%s" not found' % (_qualified(rtype), name), _details(rtype, name))


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def invalid(rtype: ResourceType, name: str, message: str) -> ApiError:
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (rtype.kind, name, message), _details(rtype, name))


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def short_hash(value: Any, length: int = 10) -> str:
    digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).digest()
    return "".join(_SUFFIX_ALPHABET[byte % len(_SUFFIX_ALPHABET)] for byte in digest[:length])


def random_suffix(length: int = 5) -> str:
    return "".join(random.choice(_SUFFIX_ALPHABET) for _position in range(length))


def is_hybrid(node: dict[str, Any]) -> bool:
    return (node["metadata"].get("labels") or {}).get(COMPUTE_TYPE_LABEL) == "hybrid"


def condition_of(obj: dict[str, Any], condition_type: str) -> dict[str, Any] | None:
    return next((condition for condition in (obj.get("status") or {}).get("conditions") or []
                 if condition.get("type") == condition_type), None)


def is_ready(obj: dict[str, Any]) -> bool:
    condition = condition_of(obj, "Ready")
    return bool(condition and condition.get("status") == "True")


def controller_uid(obj: dict[str, Any]) -> str | None:
    return next((reference.get("uid") for reference in obj["metadata"].get("ownerReferences") or []
                 if reference.get("controller")), None)


def _owner_reference(rtype: ResourceType, owner: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": rtype.api_version, "kind": rtype.kind, "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def _merge_conditions(previous: list[dict[str, Any]] | None, wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the transition times of conditions whose status did not change."""
    before = {condition.get("type"): condition for condition in previous or []}
    merged = []
    for condition in wanted:
        old = before.get(condition["type"])
        if old and old.get("status") == condition["status"]:
            timestamps = ("lastTransitionTime", "lastHeartbeatTime", "lastProbeTime", "lastUpdateTime")
            condition = {**condition, **{key: old[key] for key in timestamps if key in old}}
        merged.append(condition)
    return merged


def _scaled(value: Any, total: int, round_up: bool) -> int:
    """An IntOrString such as 25% or 1, scaled against a total."""
    if isinstance(value, str) and value.endswith("%"):
        scaled = int(value[:-1]) * total / 100
        return int(-(-scaled // 1)) if round_up else int(scaled)
    return int(value or 0)


def _defaults_pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        tag = (container.get("image") or "").rsplit("/", 1)[-1]
        latest = ":" not in tag or tag.endswith(":latest")
        container.setdefault("imagePullPolicy", "Always" if latest and "@" not in tag else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})


def _defaults(rtype: ResourceType, obj: dict[str, Any]) -> None:
    spec = obj.get("spec")
    if rtype.kind == "Secret":
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None) or {}
        for key, value in string_data.items():
            obj.setdefault("data", {})[key] = base64.b64encode(str(value).encode()).decode("ascii")
    elif rtype.kind == "Pod" and isinstance(spec, dict):
        _defaults_pod_spec(spec)
    elif rtype.kind in ("Deployment", "DaemonSet", "ReplicaSet") and isinstance(spec, dict):
        spec.setdefault("revisionHistoryLimit", 10)
        template_spec = (spec.get("template") or {}).get("spec")
        if isinstance(template_spec, dict):
            _defaults_pod_spec(template_spec)
        if rtype.kind == "Deployment":
            spec.setdefault("replicas", 1)
            spec.setdefault("progressDeadlineSeconds", 600)
            strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
            if strategy.get("type", "RollingUpdate") == "RollingUpdate":
                strategy["type"] = "RollingUpdate"
                rolling = strategy.setdefault("rollingUpdate", {})
                rolling.setdefault("maxUnavailable", "25%")
                rolling.setdefault("maxSurge", "25%")
        elif rtype.kind == "DaemonSet":
            strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
            if strategy.get("type", "RollingUpdate") == "RollingUpdate":
                strategy["type"] = "RollingUpdate"
                rolling = strategy.setdefault("rollingUpdate", {})
                rolling.setdefault("maxUnavailable", 1)
                rolling.setdefault("maxSurge", 0)
        else:
            spec.setdefault("replicas", 1)
            spec.pop("revisionHistoryLimit", None)
    elif rtype.kind == "Service" and isinstance(spec, dict):
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))


def _initial_status(rtype: ResourceType) -> dict[str, Any] | None:
    return {
        "Namespace": {"phase": "Active"},
        "Pod": {"phase": "Pending", "qosClass": "BestEffort"},
        "Service": {"loadBalancer": {}},
        "DaemonSet": {"currentNumberScheduled": 0, "desiredNumberScheduled": 0, "numberMisscheduled": 0,
                      "numberReady": 0},
        "Deployment": {},
        "ReplicaSet": {"replicas": 0},
    }.get(rtype.kind)


def _node_defaults(node: dict[str, Any]) -> None:
    """Fill what a kubelet reports about itself, for Nodes created without it."""
    status = node.setdefault("status", {})
    labels = node["metadata"].setdefault("labels", {})
    name = node["metadata"]["name"]
    labels.setdefault("kubernetes.io/hostname", name)
    labels.setdefault("kubernetes.io/os", "linux")
    labels.setdefault("kubernetes.io/arch", "amd64")
    labels.setdefault("beta.kubernetes.io/os", labels["kubernetes.io/os"])
    labels.setdefault("beta.kubernetes.io/arch", labels["kubernetes.io/arch"])
    capacity = {"cpu": "2", "ephemeral-storage": "20959212Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                "memory": "3964152Ki", "pods": "110"}
    status.setdefault("capacity", capacity)
    status.setdefault("allocatable", dict(status["capacity"]))
    status.setdefault("addresses", [])
    status.setdefault("daemonEndpoints", {"kubeletEndpoint": {"Port": 10250}})
    info = status.setdefault("nodeInfo", {})
    machine = hashlib.md5(name.encode()).hexdigest()  # noqa: S324 - an identifier, not security
    for key, value in (("architecture", labels["kubernetes.io/arch"]), ("bootID", str(uuid.uuid4())),
                       ("containerRuntimeVersion", "containerd://1.7.27"), ("kernelVersion", "6.8.0-1021-aws"),
                       ("kubeProxyVersion", ""), ("kubeletVersion", KUBELET_VERSION), ("machineID", machine),
                       ("operatingSystem", labels["kubernetes.io/os"]), ("osImage", "Ubuntu 24.04.1 LTS"),
                       ("systemUUID", str(uuid.UUID(machine)))):
        info.setdefault(key, value)
    if not status.get("conditions"):
        timestamp = now()
        pressure = (("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"))
        status["conditions"] = [
            {"type": kind, "status": "False", "reason": reason, "message": message,
             "lastHeartbeatTime": timestamp, "lastTransitionTime": timestamp}
            for kind, reason, message in pressure
        ]
    if not condition_of(node, "Ready"):
        status["conditions"].append(_ready_condition(not is_hybrid(node), None))


def _ready_condition(ready: bool, previous: dict[str, Any] | None) -> dict[str, Any]:
    timestamp = now()
    condition = {
        "type": "Ready", "status": "True" if ready else "False",
        "reason": "KubeletReady" if ready else "KubeletNotReady",
        "message": KUBELET_READY_MESSAGE if ready else CNI_NOT_READY_MESSAGE,
        "lastHeartbeatTime": timestamp, "lastTransitionTime": timestamp,
    }
    return _merge_conditions([previous] if previous else [], [condition])[0]


def _installs_cni(daemon_set: dict[str, Any]) -> bool:
    """Whether the DaemonSet's pods mount the host's CNI configuration directory, as a CNI does."""
    template = (daemon_set.get("spec") or {}).get("template") or {}
    volumes = (template.get("spec") or {}).get("volumes") or []
    return any((volume.get("hostPath") or {}).get("path", "").rstrip("/") == CNI_CONFIG_DIR for volume in volumes)


def _cloud_node(address: str, zone: str, zone_id: str, instance_id: str) -> dict[str, Any]:
    name = "ip-%s.%s.compute.internal" % (address.replace(".", "-"), labconfig.REGION)
    timestamp = now()
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": "m5.large",
        "beta.kubernetes.io/os": "linux", "eks.amazonaws.com/capacityType": "ON_DEMAND",
        "eks.amazonaws.com/nodegroup": "default", "eks.amazonaws.com/nodegroup-image": "ami-0f6e4c5b3a2d1e0f9",
        "failure-domain.beta.kubernetes.io/region": labconfig.REGION, "failure-domain.beta.kubernetes.io/zone": zone,
        "k8s.io/cloud-provider-aws": hashlib.md5(labconfig.CLUSTER_NAME.encode()).hexdigest(),  # noqa: S324
        "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "m5.large", "topology.k8s.aws/zone-id": zone_id,
        "topology.kubernetes.io/region": labconfig.REGION, "topology.kubernetes.io/zone": zone,
        "workshop-default": "yes",
    }
    node = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels, "uid": str(uuid.uuid4()), "creationTimestamp": timestamp,
                     "annotations": {"alpha.kubernetes.io/provided-node-ip": address,
                                     "node.alpha.kubernetes.io/ttl": "0",
                                     "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"providerID": "aws:///%s/%s" % (zone, instance_id)},
        "status": {
            "capacity": {"cpu": "2", "ephemeral-storage": "83873772Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                         "memory": "7910348Ki", "pods": "29"},
            "allocatable": {"cpu": "1930m", "ephemeral-storage": "76224326324", "hugepages-1Gi": "0",
                            "hugepages-2Mi": "0", "memory": "7220172Ki", "pods": "29"},
            "addresses": [{"type": "InternalIP", "address": address},
                          {"type": "InternalDNS", "address": name}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64", "bootID": str(uuid.uuid4()), "containerRuntimeVersion": "containerd://1.7.27",
                "kernelVersion": "6.1.147-172.266.amzn2023.x86_64", "kubeProxyVersion": "",
                "kubeletVersion": KUBELET_VERSION, "machineID": "ec2" + instance_id[2:].ljust(29, "0"),
                "operatingSystem": "linux", "osImage": "Amazon Linux 2023.8.20250818",
                "systemUUID": "ec2" + instance_id[2:7] + "-0000-0000-0000-000000000000",
            },
        },
    }
    _node_defaults(node)
    return node


class _AddressPool:
    """Hands out pod addresses from a network, one after another."""

    def __init__(self, cidr: str, skip: int = 0) -> None:
        self._hosts = ipaddress.ip_network(cidr).hosts()
        for _skipped in range(skip):
            next(self._hosts)

    def next(self) -> str:
        return str(next(self._hosts))


class Cluster:
    def __init__(self, ca_certificate: str, cni_delay: float = 2.0) -> None:
        self.store = Store()
        self.cni_delay = cni_delay
        self._ca_certificate = ca_certificate
        self._cni_since: dict[str, float] = {}
        self._timers: dict[str, threading.Timer] = {}
        self._closed = False
        with self.store.condition:
            self.reset()

    # ---- lifecycle -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything and seed the state of a fresh EKS Workshop cluster."""
        with self.store.condition:
            self._cancel_timers()
            self._cni_since.clear()
            self.store.clear()
            self._cloud_pods = _AddressPool("10.42.192.0/19", skip=10)
            self._hybrid_pods = _AddressPool(labconfig.REMOTE_POD_NETWORKS[0], skip=10)
            self._service_ips = _AddressPool(labconfig.SERVICE_CIDR)
            timestamp = now()
            for name in SEED_NAMESPACES:
                self.store.put(RT["namespaces"], {
                    "apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": name, "uid": str(uuid.uuid4()), "creationTimestamp": timestamp,
                                 "labels": {"kubernetes.io/metadata.name": name}},
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
            for address, zone, zone_id, instance_id in CLOUD_NODES:
                self.store.put(RT["nodes"], _cloud_node(address, zone, zone_id, instance_id))
            cluster_ip = self._service_ips.next()
            self.store.put(RT["services"], {
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "kubernetes", "namespace": "default", "uid": str(uuid.uuid4()),
                             "creationTimestamp": timestamp,
                             "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"type": "ClusterIP", "clusterIP": cluster_ip, "clusterIPs": [cluster_ip],
                         "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                         "internalTrafficPolicy": "Cluster",
                         "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]},
                "status": {"loadBalancer": {}}})
            self.store.put(RT["daemonsets"], self._prepare_create(RT["daemonsets"], "kube-system",
                                                                  copy.deepcopy(KUBE_PROXY)))
            self._reconcile()

    def close(self) -> None:
        with self.store.condition:
            self._closed = True
            self._cancel_timers()
            self.store.condition.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def _cancel_timers(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    # ---- API verbs -------------------------------------------------------------------------

    def get(self, rtype: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        with self.store.condition:
            obj = self.store.get(rtype, namespace, name)
        if obj is None:
            raise not_found(rtype, name)
        return obj

    def list(self, rtype: ResourceType, namespace: str | None, label_selector: str = "",
             field_selector: str = "") -> tuple[list[dict[str, Any]], int]:
        accepts = self.selector(label_selector, field_selector)
        with self.store.condition:
            items = [obj for obj in self.store.items(rtype, namespace) if accepts(obj)]
            return items, self.store.revision

    @staticmethod
    def selector(label_selector: str, field_selector: str) -> Callable[[dict[str, Any]], bool]:
        try:
            labels = matching.parse_label_selector(label_selector)
            fields = matching.parse_field_selector(field_selector)
        except matching.SelectorError as error:
            raise bad_request(str(error)) from error

        def accepts(obj: dict[str, Any]) -> bool:
            return matching.labels_match(labels, obj["metadata"].get("labels")) and matching.fields_match(fields, obj)

        return accepts

    def create(self, rtype: ResourceType, namespace: str, body: Any, dry_run: bool = False) -> dict[str, Any]:
        with self.store.condition:
            obj = self._prepare_create(rtype, namespace, body)
            if dry_run:
                return obj
            stored = self.store.put(rtype, obj)
            self._reconcile()
            return self.store.get(rtype, namespace, stored["metadata"]["name"]) or stored

    def replace(self, rtype: ResourceType, namespace: str, name: str, body: Any, subresource: str = "",
                dry_run: bool = False) -> dict[str, Any]:
        with self.store.condition:
            existing = self.store.get(rtype, namespace, name)
            if existing is None:
                raise not_found(rtype, name)
            obj = self._prepare_update(rtype, existing, body, subresource)
            return self._commit_update(rtype, existing, obj, dry_run)

    def patch(self, rtype: ResourceType, namespace: str, name: str, content_type: str, body: bytes,
              subresource: str = "", dry_run: bool = False) -> tuple[dict[str, Any], bool]:
        """Apply a PATCH; return the object and whether it was created (server-side apply)."""
        document = _parse_patch_body(content_type, body)
        with self.store.condition:
            existing = self.store.get(rtype, namespace, name)
            if existing is None:
                if content_type.startswith("application/apply-patch") and not subresource:
                    if isinstance(document, dict):
                        document.setdefault("metadata", {}).setdefault("name", name)
                    return self.create(rtype, namespace, document, dry_run), True
                raise not_found(rtype, name)
            try:
                if content_type.startswith("application/json-patch+json"):
                    patched = patching.json_patch(existing, document)
                elif content_type.startswith("application/merge-patch+json"):
                    patched = patching.json_merge_patch(existing, document)
                else:
                    patched = patching.strategic_merge_patch(existing, document)
            except patching.PatchError as error:
                raise invalid(rtype, name, str(error)) from error
            obj = self._prepare_update(rtype, existing, patched, subresource)
            return self._commit_update(rtype, existing, obj, dry_run), False

    def delete(self, rtype: ResourceType, namespace: str, name: str, dry_run: bool = False) -> dict[str, Any]:
        with self.store.condition:
            existing = self.store.get(rtype, namespace, name)
            if existing is None:
                raise not_found(rtype, name)
            if dry_run:
                return existing
            if rtype.kind == "Namespace":
                terminating = copy.deepcopy(existing)
                terminating["metadata"]["deletionTimestamp"] = now()
                terminating["status"] = {"phase": "Terminating"}
                existing = self.store.put(rtype, terminating)
                for other in resources.RESOURCE_TYPES:
                    if other.namespaced:
                        for obj in self.store.items(other, name):
                            self.store.remove(other, name, obj["metadata"]["name"])
            self.store.remove(rtype, namespace, name)
            self._reconcile()
            return existing

    def delete_collection(self, rtype: ResourceType, namespace: str | None, label_selector: str,
                          field_selector: str, dry_run: bool = False) -> list[dict[str, Any]]:
        items, _resource_version = self.list(rtype, namespace, label_selector, field_selector)
        deleted = []
        for obj in items:
            try:
                deleted.append(self.delete(rtype, obj["metadata"].get("namespace", ""), obj["metadata"]["name"],
                                           dry_run))
            except ApiError:
                continue
        return deleted

    # ---- validation and defaults -----------------------------------------------------------

    def _check_identity(self, rtype: ResourceType, namespace: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be a %s object" % rtype.kind)
        if body.get("apiVersion") not in (None, "", rtype.api_version):
            raise bad_request("the API version in the data (%s) does not match the expected API version (%s)"
                              % (body["apiVersion"], rtype.api_version))
        if body.get("kind") not in (None, "", rtype.kind):
            raise bad_request("the kind in the data (%s) does not match the expected kind (%s)"
                              % (body["kind"], rtype.kind))
        obj = copy.deepcopy(body)
        obj["kind"], obj["apiVersion"] = rtype.kind, rtype.api_version
        metadata = obj.setdefault("metadata", {})
        if not isinstance(metadata, dict):
            raise bad_request("metadata must be an object")
        if rtype.namespaced:
            if metadata.get("namespace") not in (None, "", namespace):
                raise bad_request("the namespace of the provided object does not match the namespace sent on "
                                  "the request")
            metadata["namespace"] = namespace
        else:
            metadata.pop("namespace", None)
        return obj

    def _prepare_create(self, rtype: ResourceType, namespace: str, body: Any) -> dict[str, Any]:
        obj = self._check_identity(rtype, namespace, body)
        metadata = obj["metadata"]
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = metadata["generateName"] + random_suffix()
        name = metadata.get("name") or ""
        if not name:
            raise invalid(rtype, name, "metadata.name: Required value: name or generateName is required")
        if not NAME_PATTERN.match(name):
            raise invalid(rtype, name, "metadata.name: Invalid value: %r: a lowercase RFC 1123 subdomain must "
                                       "consist of lower case alphanumeric characters, '-' or '.'" % name)
        if rtype.namespaced:
            owner = self.store.get(RT["namespaces"], "", namespace)
            if owner is None:
                raise not_found(RT["namespaces"], namespace)
            if owner.get("status", {}).get("phase") == "Terminating":
                raise ApiError(403, "Forbidden", '%s "%s" is forbidden: unable to create new content in namespace '
                                                 '%s because it is being terminated' % (rtype.plural, name, namespace))
        if self.store.exists(rtype, namespace if rtype.namespaced else "", name):
            raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (_qualified(rtype), name),
                           _details(rtype, name))
        for field in ("resourceVersion", "selfLink", "deletionTimestamp", "managedFields"):
            metadata.pop(field, None)
        metadata["uid"] = str(uuid.uuid4())
        metadata["creationTimestamp"] = now()
        if rtype.group == "apps":
            metadata["generation"] = 1
        if rtype.kind == "Node":
            _node_defaults(obj)
        elif rtype.has_status:
            obj["status"] = _initial_status(rtype)
        if rtype.kind == "Namespace":
            metadata.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        if rtype.kind == "Service":
            self._allocate_cluster_ip(obj)
        _defaults(rtype, obj)
        return obj

    def _allocate_cluster_ip(self, service: dict[str, Any]) -> None:
        spec = service.setdefault("spec", {})
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None":
            return
        if not spec.get("clusterIP"):
            spec["clusterIP"] = self._service_ips.next()
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")

    def _prepare_update(self, rtype: ResourceType, existing: dict[str, Any], body: Any,
                        subresource: str) -> dict[str, Any]:
        namespace = existing["metadata"].get("namespace", "")
        name = existing["metadata"]["name"]
        obj = self._check_identity(rtype, namespace, body)
        metadata = obj["metadata"]
        if metadata.get("name") not in (None, "", name):
            raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                              % (metadata.get("name"), name))
        wanted_version = metadata.get("resourceVersion")
        if wanted_version and wanted_version != existing["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been '
                                            'modified; please apply your changes to the latest version and try again'
                           % (_qualified(rtype), name), _details(rtype, name))
        if subresource == "status":
            updated = copy.deepcopy(existing)
            updated["status"] = obj.get("status") or {}
            return updated
        if subresource:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested "
                                                    "resource")
        for field in ("uid", "creationTimestamp", "generation", "deletionTimestamp", "namespace"):
            if field in existing["metadata"]:
                metadata[field] = existing["metadata"][field]
        metadata["name"] = name
        metadata.pop("managedFields", None)
        if rtype.has_status:
            if "status" in existing:
                obj["status"] = existing["status"]
            else:
                obj.pop("status", None)
        if rtype.kind == "Service":
            for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                if field in existing.get("spec", {}) and not obj.get("spec", {}).get(field):
                    obj.setdefault("spec", {})[field] = existing["spec"][field]
        _defaults(rtype, obj)
        if "generation" in metadata and _spec_of(obj) != _spec_of(existing):
            metadata["generation"] = int(metadata["generation"]) + 1
        return obj

    def _commit_update(self, rtype: ResourceType, existing: dict[str, Any], obj: dict[str, Any],
                       dry_run: bool) -> dict[str, Any]:
        if dry_run:
            return obj
        unchanged = {**obj, "metadata": {**obj["metadata"], "resourceVersion": ""}} == \
            {**existing, "metadata": {**existing["metadata"], "resourceVersion": ""}}
        if unchanged:
            return existing
        stored = self.store.put(rtype, obj)
        self._reconcile()
        namespace = stored["metadata"].get("namespace", "")
        return self.store.get(rtype, namespace, stored["metadata"]["name"]) or stored

    # ---- controllers -----------------------------------------------------------------------

    def _write(self, rtype: ResourceType, obj: dict[str, Any]) -> bool:
        """Store the object if it differs from what is stored; return whether it did."""
        existing = self.store.get(rtype, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        if existing is not None:
            revision = existing["metadata"]["resourceVersion"]
            compared = {**obj, "metadata": {**obj["metadata"], "resourceVersion": revision}}
            if compared == existing:
                return False
        self.store.put(rtype, obj)
        return True

    def _reconcile(self) -> None:
        if self._closed:
            return
        steps = (self._sync_namespaces, self._sync_deployments, self._sync_replica_sets, self._sync_daemon_sets,
                 self._schedule_pods, self._sync_node_readiness, self._sync_pod_status, self._sync_workload_status,
                 self._collect_garbage)
        for _round in range(8):
            changed = False
            for step in steps:
                changed = step() or changed
            if not changed:
                return

    def _sync_namespaces(self) -> bool:
        changed = False
        for namespace in self.store.items(RT["namespaces"]):
            if namespace.get("status", {}).get("phase") != "Active":
                continue
            name = namespace["metadata"]["name"]
            if not self.store.exists(RT["serviceaccounts"], name, "default"):
                self.store.put(RT["serviceaccounts"], {
                    "apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": {"name": "default", "namespace": name, "uid": str(uuid.uuid4()),
                                 "creationTimestamp": now()}})
                changed = True
            if not self.store.exists(RT["configmaps"], name, "kube-root-ca.crt"):
                self.store.put(RT["configmaps"], {
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "kube-root-ca.crt", "namespace": name, "uid": str(uuid.uuid4()),
                                 "creationTimestamp": now(),
                                 "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be "
                                                 "used to verify the kube-apiserver when using internal endpoints "
                                                 "such as the internal service IP or kubernetes.default.svc. No "
                                                 "other usage is guaranteed across distributions of Kubernetes "
                                                 "clusters."}},
                    "data": {"ca.crt": self._ca_certificate}})
                changed = True
        return changed

    def _owned(self, rtype: ResourceType, owner: dict[str, Any]) -> list[dict[str, Any]]:
        uid = owner["metadata"]["uid"]
        return [obj for obj in self.store.items(rtype, owner["metadata"]["namespace"]) if controller_uid(obj) == uid]

    def _sync_deployments(self) -> bool:
        changed = False
        for deployment in self.store.items(RT["deployments"]):
            spec = deployment.get("spec") or {}
            if spec.get("paused") or deployment["metadata"].get("deletionTimestamp"):
                continue
            template = copy.deepcopy(spec.get("template") or {})
            template_hash = short_hash(template)
            owned = self._owned(RT["replicasets"], deployment)
            revisions = [int(rs["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "0"))
                         for rs in owned]
            name = "%s-%s" % (deployment["metadata"]["name"], template_hash)
            replicas = int(spec.get("replicas", 1))
            for replica_set in owned:
                wanted = replicas if replica_set["metadata"]["name"] == name else 0
                annotations = replica_set["metadata"].setdefault("annotations", {})
                if replica_set["spec"].get("replicas") != wanted or (
                        wanted and annotations.get("deployment.kubernetes.io/desired-replicas") != str(replicas)):
                    replica_set["spec"]["replicas"] = wanted
                    annotations["deployment.kubernetes.io/desired-replicas"] = str(replicas)
                    replica_set["metadata"]["generation"] = replica_set["metadata"].get("generation", 1) + 1
                    changed = self._write(RT["replicasets"], replica_set) or changed
            if any(rs["metadata"]["name"] == name for rs in owned):
                continue
            labels = {**(template.get("metadata") or {}).get("labels", {}), "pod-template-hash": template_hash}
            template.setdefault("metadata", {})["labels"] = labels
            selector = copy.deepcopy(spec.get("selector") or {})
            selector.setdefault("matchLabels", {})["pod-template-hash"] = template_hash
            self.store.put(RT["replicasets"], {
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {
                    "name": name, "namespace": deployment["metadata"]["namespace"], "uid": str(uuid.uuid4()),
                    "creationTimestamp": now(), "generation": 1, "labels": labels,
                    "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                    "deployment.kubernetes.io/max-replicas": str(replicas + _scaled(
                                        (spec.get("strategy") or {}).get("rollingUpdate", {}).get("maxSurge"),
                                        replicas, True)),
                                    "deployment.kubernetes.io/revision": str(max(revisions, default=0) + 1)},
                    "ownerReferences": [_owner_reference(RT["deployments"], deployment)]},
                "spec": {"replicas": replicas, "selector": selector, "template": template},
                "status": {"replicas": 0}})
            changed = True
        return changed

    def _new_pod(self, owner_type: ResourceType, owner: dict[str, Any], extra_labels: dict[str, str]) -> dict[str, Any]:
        template = copy.deepcopy(owner["spec"].get("template") or {})
        template_meta = template.get("metadata") or {}
        spec = template.get("spec") or {}
        _defaults_pod_spec(spec)
        name = "%s-%s" % (owner["metadata"]["name"], random_suffix())
        return {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "generateName": owner["metadata"]["name"] + "-",
                         "namespace": owner["metadata"]["namespace"], "uid": str(uuid.uuid4()),
                         "creationTimestamp": now(), "labels": {**template_meta.get("labels", {}), **extra_labels},
                         "annotations": dict(template_meta.get("annotations") or {}),
                         "ownerReferences": [_owner_reference(owner_type, owner)]},
            "spec": spec,
            "status": {"phase": "Pending", "qosClass": "BestEffort"},
        }

    def _sync_replica_sets(self) -> bool:
        changed = False
        for replica_set in self.store.items(RT["replicasets"]):
            pods = self._owned(RT["pods"], replica_set)
            wanted = int(replica_set["spec"].get("replicas", 1))
            for pod in pods[wanted:]:
                self.store.remove(RT["pods"], pod["metadata"]["namespace"], pod["metadata"]["name"])
                changed = True
            for _missing in range(wanted - len(pods)):
                self.store.put(RT["pods"], self._new_pod(RT["replicasets"], replica_set, {}))
                changed = True
        return changed

    def _daemon_pod_spec(self, daemon_set: dict[str, Any]) -> dict[str, Any]:
        spec = copy.deepcopy((daemon_set["spec"].get("template") or {}).get("spec") or {})
        tolerations = spec.setdefault("tolerations", [])
        extra = list(DAEMON_TOLERATIONS) + ([_HOST_NETWORK_TOLERATION] if spec.get("hostNetwork") else [])
        tolerations.extend(toleration for toleration in extra if toleration not in tolerations)
        return spec

    def _daemon_nodes(self, daemon_set: dict[str, Any]) -> list[str]:
        """Names of the nodes that should run a pod of the DaemonSet."""
        spec = self._daemon_pod_spec(daemon_set)
        return [node["metadata"]["name"] for node in self.store.peek(RT["nodes"])
                if matching.node_matches_pod_spec(node, spec)
                and matching.tolerates_node(spec.get("tolerations"), node)]

    @staticmethod
    def _target_node(pod: dict[str, Any]) -> str | None:
        spec = pod.get("spec") or {}
        if spec.get("nodeName"):
            return spec["nodeName"]
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution") or {}
        for term in required.get("nodeSelectorTerms") or []:
            for field in term.get("matchFields") or []:
                if field.get("key") == "metadata.name" and field.get("operator") == "In" and field.get("values"):
                    return field["values"][0]
        return None

    def _sync_daemon_sets(self) -> bool:
        changed = False
        for daemon_set in self.store.items(RT["daemonsets"]):
            revision = short_hash(daemon_set["spec"].get("template") or {})
            nodes = set(self._daemon_nodes(daemon_set))
            covered = set()
            for pod in self._owned(RT["pods"], daemon_set):
                target = self._target_node(pod)
                if target not in nodes or target in covered or \
                        pod["metadata"].get("labels", {}).get("controller-revision-hash") != revision:
                    self.store.remove(RT["pods"], pod["metadata"]["namespace"], pod["metadata"]["name"])
                    changed = True
                else:
                    covered.add(target)
            for node_name in sorted(nodes - covered):
                pod = self._new_pod(RT["daemonsets"], daemon_set, {
                    "controller-revision-hash": revision,
                    "pod-template-generation": str(daemon_set["metadata"].get("generation", 1))})
                pod["spec"] = self._daemon_pod_spec(daemon_set)
                pod["spec"].setdefault("affinity", {}).setdefault("nodeAffinity", {})[
                    "requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [{"matchFields": [
                        {"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}
                self.store.put(RT["pods"], pod)
                changed = True
        return changed

    def _unschedulable_reason(self, pod: dict[str, Any], node: dict[str, Any], nodes: dict[str, dict[str, Any]],
                              bound: list[dict[str, Any]]) -> str | None:
        spec = pod["spec"]
        if not matching.node_matches_pod_spec(node, spec):
            return "node(s) didn't match Pod's node affinity/selector"
        if not matching.tolerates_node(spec.get("tolerations"), node):
            return "node(s) had untolerated taint(s)"
        affinity = spec.get("affinity") or {}
        namespace = pod["metadata"]["namespace"]
        for term in (affinity.get("podAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or []:
            if not matching.pod_affinity_term_satisfied(term, namespace, node, nodes, bound):
                return "node(s) didn't match pod affinity rules"
        for term in (affinity.get("podAntiAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or []:
            if matching.pod_affinity_term_satisfied(term, namespace, node, nodes, bound):
                return "node(s) didn't match pod anti-affinity rules"
        return None

    def _schedule_pods(self) -> bool:
        nodes = {node["metadata"]["name"]: node for node in self.store.items(RT["nodes"])}
        pods = self.store.items(RT["pods"])
        bound = [pod for pod in pods if pod["spec"].get("nodeName")]
        changed = False
        for pod in pods:
            if pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
                continue
            reasons: dict[str, int] = {}
            candidates = []
            for name, node in nodes.items():
                reason = self._unschedulable_reason(pod, node, nodes, bound)
                if reason:
                    reasons[reason] = reasons.get(reason, 0) + 1
                else:
                    candidates.append(name)
            if not candidates:
                message = "0/%d nodes are available: %s." % (len(nodes), ", ".join(
                    "%d %s" % (count, reason) for reason, count in sorted(reasons.items())))
                status = pod.setdefault("status", {})
                scheduled = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                             "message": message, "lastProbeTime": None, "lastTransitionTime": now()}
                status["conditions"] = _merge_conditions(status.get("conditions"), [scheduled])
                changed = self._write(RT["pods"], pod) or changed
                continue
            load = {name: 0 for name in candidates}
            for other in bound:
                if other["spec"]["nodeName"] in load:
                    load[other["spec"]["nodeName"]] += 1
            chosen = min(candidates, key=lambda name: (load[name], name))
            pod["spec"]["nodeName"] = chosen
            self.store.put(RT["pods"], pod)
            bound.append(pod)
            changed = True
        return changed

    def _sync_node_readiness(self) -> bool:
        daemon_uids = {ds["metadata"]["uid"] for ds in self.store.peek(RT["daemonsets"]) if _installs_cni(ds)}
        with_cni = {pod["spec"].get("nodeName") for pod in self.store.peek(RT["pods"])
                    if controller_uid(pod) in daemon_uids and pod["spec"].get("nodeName")}
        changed = False
        clock = time.monotonic()
        for node in self.store.items(RT["nodes"]):
            if not is_hybrid(node):
                continue
            name = node["metadata"]["name"]
            if name in with_cni:
                since = self._cni_since.setdefault(name, clock)
                ready = clock - since >= self.cni_delay
                if not ready and name not in self._timers:
                    timer = threading.Timer(since + self.cni_delay - clock + 0.01, self._on_cni_timer, (name,))
                    timer.daemon = True
                    self._timers[name] = timer
                    timer.start()
            else:
                self._cni_since.pop(name, None)
                ready = False
            status = node.setdefault("status", {})
            conditions = [condition for condition in status.get("conditions") or [] if condition.get("type") != "Ready"]
            status["conditions"] = conditions + [_ready_condition(ready, condition_of(node, "Ready"))]
            taints = [taint for taint in node.setdefault("spec", {}).get("taints") or []
                      if taint.get("key") != NOT_READY_TAINT]
            if not ready:
                taints.append({"key": NOT_READY_TAINT, "effect": "NoSchedule"})
            if taints:
                node["spec"]["taints"] = taints
            else:
                node["spec"].pop("taints", None)
            changed = self._write(RT["nodes"], node) or changed
        return changed

    def _on_cni_timer(self, node_name: str) -> None:
        with self.store.condition:
            self._timers.pop(node_name, None)
            self._reconcile()

    def _pod_address(self, pod: dict[str, Any], node: dict[str, Any]) -> str:
        if pod["spec"].get("hostNetwork"):
            return _internal_ip(node)
        return (self._hybrid_pods if is_hybrid(node) else self._cloud_pods).next()

    def _sync_pod_status(self) -> bool:
        nodes = {node["metadata"]["name"]: node for node in self.store.peek(RT["nodes"])}
        changed = False
        for pod in self.store.items(RT["pods"]):
            node = nodes.get(pod["spec"].get("nodeName") or "")
            if node is None:
                continue
            previous = pod.get("status") or {}
            node_ready = is_ready(node)
            running = node_ready or bool(pod["spec"].get("hostNetwork"))
            timestamp = now()
            status: dict[str, Any] = {"phase": "Running" if running else "Pending", "qosClass": "BestEffort",
                                      "hostIP": _internal_ip(node), "startTime": previous.get("startTime", timestamp)}
            status["hostIPs"] = [{"ip": status["hostIP"]}]
            if running:
                status["podIP"] = previous.get("podIP") or self._pod_address(pod, node)
                status["podIPs"] = [{"ip": status["podIP"]}]
            flags = (("PodReadyToStartContainers", running), ("Initialized", True), ("Ready", node_ready),
                     ("ContainersReady", node_ready), ("PodScheduled", True))
            status["conditions"] = _merge_conditions(previous.get("conditions"), [
                {"type": kind, "status": "True" if value else "False", "lastProbeTime": None,
                 "lastTransitionTime": timestamp} for kind, value in flags])
            old_statuses = {item.get("name"): item for item in previous.get("containerStatuses") or []}
            status["containerStatuses"] = []
            for container in pod["spec"].get("containers") or []:
                old = old_statuses.get(container.get("name"), {})
                started_at = ((old.get("state") or {}).get("running") or {}).get("startedAt", timestamp)
                status["containerStatuses"].append({
                    "name": container.get("name", ""), "image": container.get("image", ""),
                    "imageID": container.get("image", "") if running else "",
                    "containerID": "containerd://" + short_hash([pod["metadata"]["uid"], container.get("name")], 32)
                    if running else None,
                    "ready": node_ready, "restartCount": 0, "started": running,
                    "state": {"running": {"startedAt": started_at}} if running else
                    {"waiting": {"reason": "ContainerCreating"}},
                })
                if status["containerStatuses"][-1]["containerID"] is None:
                    del status["containerStatuses"][-1]["containerID"]
            pod["status"] = status
            changed = self._write(RT["pods"], pod) or changed
        return changed

    def _sync_workload_status(self) -> bool:
        changed = False
        pods_by_owner: dict[str, list[dict[str, Any]]] = {}
        for pod in self.store.peek(RT["pods"]):
            pods_by_owner.setdefault(controller_uid(pod) or "", []).append(pod)
        for daemon_set in self.store.items(RT["daemonsets"]):
            nodes = set(self._daemon_nodes(daemon_set))
            revision = short_hash(daemon_set["spec"].get("template") or {})
            pods = [pod for pod in pods_by_owner.get(daemon_set["metadata"]["uid"], [])
                    if self._target_node(pod) in nodes]
            ready = sum(1 for pod in pods if is_ready(pod))
            status = {"currentNumberScheduled": len(pods), "desiredNumberScheduled": len(nodes),
                      "numberMisscheduled": 0, "numberReady": ready,
                      "observedGeneration": daemon_set["metadata"].get("generation", 1),
                      "updatedNumberScheduled": sum(1 for pod in pods if pod["metadata"].get("labels", {}).get(
                          "controller-revision-hash") == revision)}
            if ready:
                status["numberAvailable"] = ready
            if len(nodes) - ready:
                status["numberUnavailable"] = len(nodes) - ready
            daemon_set["status"] = status
            changed = self._write(RT["daemonsets"], daemon_set) or changed
        replica_sets = self.store.items(RT["replicasets"])
        for replica_set in replica_sets:
            pods = pods_by_owner.get(replica_set["metadata"]["uid"], [])
            ready = sum(1 for pod in pods if is_ready(pod))
            status = {"replicas": len(pods), "observedGeneration": replica_set["metadata"].get("generation", 1)}
            if pods:
                status["fullyLabeledReplicas"] = len(pods)
            if ready:
                status["readyReplicas"] = status["availableReplicas"] = ready
            replica_set["status"] = status
            changed = self._write(RT["replicasets"], replica_set) or changed
        for deployment in self.store.items(RT["deployments"]):
            changed = self._write(RT["deployments"], self._deployment_status(deployment, replica_sets)) or changed
        return changed

    @staticmethod
    def _deployment_status(deployment: dict[str, Any], replica_sets: list[dict[str, Any]]) -> dict[str, Any]:
        spec = deployment.get("spec") or {}
        uid = deployment["metadata"]["uid"]
        owned = [rs for rs in replica_sets if controller_uid(rs) == uid]
        template_hash = short_hash(spec.get("template") or {})
        newest = next((rs for rs in owned if rs["metadata"]["name"].endswith("-" + template_hash)), None)
        replicas = int(spec.get("replicas", 1))
        total = sum(rs["status"].get("replicas", 0) for rs in owned)
        ready = sum(rs["status"].get("readyReplicas", 0) for rs in owned)
        updated = newest["status"].get("replicas", 0) if newest else 0
        rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
        available = ready >= replicas - _scaled(rolling.get("maxUnavailable"), replicas, False)
        previous = (deployment.get("status") or {}).get("conditions")
        timestamp = now()
        conditions = [
            {"type": "Available", "status": "True" if available else "False",
             "reason": "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if available else
             "Deployment does not have minimum availability.",
             "lastUpdateTime": timestamp, "lastTransitionTime": timestamp},
            {"type": "Progressing", "status": "True",
             "reason": "NewReplicaSetAvailable" if newest and ready >= replicas else "ReplicaSetUpdated",
             "message": 'ReplicaSet "%s" %s.' % (newest["metadata"]["name"] if newest else "",
                                                 "has successfully progressed" if ready >= replicas
                                                 else "is progressing"),
             "lastUpdateTime": timestamp, "lastTransitionTime": timestamp},
        ]
        status: dict[str, Any] = {"observedGeneration": deployment["metadata"].get("generation", 1),
                                  "conditions": _merge_conditions(previous, conditions)}
        if total:
            status["replicas"] = total
        if updated:
            status["updatedReplicas"] = updated
        if ready:
            status["readyReplicas"] = status["availableReplicas"] = ready
        if replicas - ready > 0:
            status["unavailableReplicas"] = replicas - ready
        old_conditions = {condition["type"]: condition for condition in previous or []}
        for condition in status["conditions"]:
            old = old_conditions.get(condition["type"])
            if old and old.get("status") == condition["status"] and old.get("reason") != condition["reason"]:
                condition["lastUpdateTime"] = timestamp
        deployment["status"] = status
        return deployment

    def _collect_garbage(self) -> bool:
        uids = {obj["metadata"]["uid"] for rtype in resources.RESOURCE_TYPES for obj in self.store.peek(rtype)}
        changed = False
        for rtype in resources.RESOURCE_TYPES:
            for obj in list(self.store.peek(rtype)):
                references = obj["metadata"].get("ownerReferences") or []
                if references and not any(reference.get("uid") in uids for reference in references):
                    self.store.remove(rtype, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
                    changed = True
        return changed


def _internal_ip(node: dict[str, Any]) -> str:
    return next((address["address"] for address in (node.get("status") or {}).get("addresses") or []
                 if address.get("type") == "InternalIP"), "")


def _spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key not in ("metadata", "status", "kind", "apiVersion")}


def _parse_patch_body(content_type: str, body: bytes) -> Any:
    supported = ("application/json-patch+json", "application/merge-patch+json",
                 "application/strategic-merge-patch+json", "application/apply-patch+yaml")
    if not content_type.startswith(supported):
        raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted "
                                                    "media types include: " + ", ".join(supported))
    try:
        return json.loads(body or b"null")
    except ValueError:
        if not content_type.startswith("application/apply-patch+yaml"):
            raise bad_request("the body of the request is not valid JSON") from None
    try:
        import yaml  # Only server-side apply with a YAML body needs it; the lab's venv has PyYAML.
    except ImportError:
        raise ApiError(415, "UnsupportedMediaType", "YAML apply patches need PyYAML in the lab's Python") from None
    try:
        return yaml.safe_load(body)
    except yaml.YAMLError as error:
        raise bad_request("the body of the request is not valid YAML: %s" % error) from error


def decode_body(content_type: str, body: bytes) -> Any:
    """The object of a POST or PUT body, in JSON or in the Kubernetes protobuf encoding."""
    if content_type.startswith("application/vnd.kubernetes.protobuf"):
        try:
            return protowire.decode(body)
        except protowire.ProtobufError as error:
            raise ApiError(415, "UnsupportedMediaType", "Failed to decode the protobuf body: %s" % error) from error
    if content_type.startswith(("application/yaml", "application/apply-patch+yaml")):
        return _parse_patch_body("application/apply-patch+yaml", body)
    try:
        return json.loads(body or b"null")
    except ValueError as error:
        raise bad_request("Failed to decode the request body as JSON: %s" % error) from error
