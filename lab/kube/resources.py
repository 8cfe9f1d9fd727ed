"""The resource types the lab's Kubernetes API serves, and the discovery and OpenAPI v3 documents
that describe them to helm, kubectl and the Python client.

The OpenAPI documents are only as deep as clients need: every resource's PATCH operation carries
``x-kubernetes-group-version-kind`` and the ``fieldValidation`` query parameter, which is what
makes helm and kubectl leave validation to the server instead of downloading /openapi/v2.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = field(
        default=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"))

    @property
    def api_version(self) -> str:
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def key(self) -> tuple[str, str]:
        return self.group, self.plural


_ALL = ("all",)
RESOURCE_TYPES = (
    ResourceType("", "v1", "namespaces", "Namespace", False, ("ns",), ("status", "finalize")),
    ResourceType("", "v1", "nodes", "Node", False, ("no",), ("status",)),
    ResourceType("", "v1", "secrets", "Secret", True),
    ResourceType("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    ResourceType("", "v1", "services", "Service", True, ("svc",), ("status",), _ALL),
    ResourceType("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
    ResourceType("", "v1", "pods", "Pod", True, ("po",), ("status", "log"), _ALL),
    ResourceType("", "v1", "events", "Event", True, ("ev",)),
    ResourceType("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), ("status",), _ALL),
    ResourceType("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("status",), _ALL),
    ResourceType("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("status",), _ALL),
    ResourceType("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
)

_BY_PATH = {(rtype.group, rtype.version, rtype.plural): rtype for rtype in RESOURCE_TYPES}
_BY_KIND = {(rtype.api_version, rtype.kind): rtype for rtype in RESOURCE_TYPES}


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    return _BY_PATH.get((group, version, plural))


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    return _BY_KIND.get((api_version, kind))


def by_name(name: str) -> ResourceType | None:
    """A resource type by plural, kind or short name, as the lab's admin endpoints accept it."""
    for rtype in RESOURCE_TYPES:
        if name.lower() in (rtype.plural, rtype.singular, *rtype.short_names):
            return rtype
    return None


def group_versions() -> dict[str, list[str]]:
    """Named groups (the core group excluded) and their versions, in the order they are served."""
    groups: dict[str, list[str]] = {}
    for rtype in RESOURCE_TYPES:
        if rtype.group and rtype.version not in groups.setdefault(rtype.group, []):
            groups[rtype.group].append(rtype.version)
    return groups


def _storage_hash(rtype: ResourceType) -> str:
    return hashlib.sha256(("%s/%s" % (rtype.api_version, rtype.kind)).encode()).hexdigest()[:12]


def api_resource_list(group: str, version: str) -> dict[str, Any] | None:
    members = [rtype for rtype in RESOURCE_TYPES if rtype.group == group and rtype.version == version]
    if not members:
        return None
    resources: list[dict[str, Any]] = []
    for rtype in members:
        entry = {
            "name": rtype.plural, "singularName": rtype.singular, "namespaced": rtype.namespaced,
            "kind": rtype.kind, "verbs": list(rtype.verbs), "storageVersionHash": _storage_hash(rtype),
        }
        if rtype.short_names:
            entry["shortNames"] = list(rtype.short_names)
        if rtype.categories:
            entry["categories"] = list(rtype.categories)
        resources.append(entry)
        for subresource in rtype.subresources:
            verbs = ["get"] if subresource == "log" else ["get", "patch", "update"]
            resources.append({"name": "%s/%s" % (rtype.plural, subresource), "singularName": "",
                              "namespaced": rtype.namespaced, "kind": rtype.kind, "verbs": verbs})
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": "%s/%s" % (group, version) if group else version, "resources": resources}


def api_group(name: str) -> dict[str, Any] | None:
    versions = group_versions().get(name)
    if not versions:
        return None
    entries = [{"groupVersion": "%s/%s" % (name, version), "version": version} for version in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list() -> dict[str, Any]:
    groups = [api_group(name) for name in group_versions()]
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [{key: value for key, value in group.items() if key not in ("kind", "apiVersion")}
                       for group in groups if group]}


def api_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _openapi_path_key(group: str, version: str) -> str:
    return "apis/%s/%s" % (group, version) if group else "api/%s" % version


def _query_parameter(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": {"type": "string"},
            "uniqueItems": True}


def _operation(rtype: ResourceType, action: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": "%s%s%s" % (action, rtype.kind, "Namespaced" if rtype.namespaced else ""),
        "responses": {"200": {"description": "OK"}, "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rtype.group, "version": rtype.version, "kind": rtype.kind},
    }
    if action in ("patch", "put", "post"):
        operation["parameters"] = [
            _query_parameter("dryRun", "When present, modifications are not persisted."),
            _query_parameter("fieldManager", "Name of the actor making the change."),
            _query_parameter("fieldValidation", "How to handle unknown or duplicate fields: Ignore, Warn or Strict."),
        ]
    return operation


def openapi_v3_document(group: str, version: str) -> dict[str, Any] | None:
    members = [rtype for rtype in RESOURCE_TYPES if rtype.group == group and rtype.version == version]
    if not members:
        return None
    prefix = "/" + _openapi_path_key(group, version)
    paths: dict[str, Any] = {}
    for rtype in members:
        base = "%s/namespaces/{namespace}/%s" % (prefix, rtype.plural) if rtype.namespaced else \
            "%s/%s" % (prefix, rtype.plural)
        paths[base] = {"get": _operation(rtype, "list"), "post": _operation(rtype, "post")}
        paths[base + "/{name}"] = {"get": _operation(rtype, "get"), "put": _operation(rtype, "put"),
                                   "patch": _operation(rtype, "patch"), "delete": _operation(rtype, "delete")}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "unversioned"}, "paths": paths,
            "components": {"schemas": {}}}


def openapi_v3_root() -> dict[str, Any]:
    keys = [("", "v1")] + [(group, version) for group, versions in group_versions().items() for version in versions]
    paths = {}
    for group, version in keys:
        document = json.dumps(openapi_v3_document(group, version), sort_keys=True).encode()
        digest = hashlib.sha512(document).hexdigest()[:32].upper()
        path_key = _openapi_path_key(group, version)
        paths[path_key] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (path_key, digest)}
    return {"paths": paths}
