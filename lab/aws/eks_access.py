"""EKS access entries and access configuration, added to moto's EKS service for the lab.

moto 5.2.5 has no access entries (no route: 404) and drops ``accessConfig`` from CreateCluster,
UpdateClusterConfig and DescribeCluster. This module adds:

- CreateAccessEntry, ListAccessEntries, DescribeAccessEntry, DeleteAccessEntry on
  ``/clusters/{name}/access-entries[/{principalArn}]`` (REST-JSON), with the types STANDARD,
  EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX and HYBRID_LINUX;
- ``accessConfig.authenticationMode`` kept on the cluster, set by CreateCluster (default
  CONFIG_MAP, as the API does) and UpdateClusterConfig, and returned by DescribeCluster; like
  AWS, a cluster with ``remoteNetworkConfig`` refuses the CONFIG_MAP mode.
"""

from __future__ import annotations

import datetime
import re
import threading
import uuid
from typing import Any, Callable

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.eks import urls as eks_urls
from moto.eks.models import Cluster, eks_backends
from moto.eks.responses import EKSResponse

ACCESS_ENTRY_TYPES = ("STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX")
NODE_ENTRY_TYPES = ("EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX")
AUTHENTICATION_MODES = ("API", "API_AND_CONFIG_MAP", "CONFIG_MAP")
DEFAULT_AUTHENTICATION_MODE = "CONFIG_MAP"
PRINCIPAL_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(role|user|assumed-role)/(.+)$")

_lock = threading.RLock()


def access_entries_of(cluster: Cluster) -> dict[str, dict[str, Any]]:
    with _lock:
        entries = getattr(cluster, "lab_access_entries", None)
        if entries is None:
            entries = {}
            cluster.lab_access_entries = entries
        return entries


def set_authentication_mode(cluster: Cluster, mode: str, bootstrap_admin: bool = True) -> None:
    cluster.access_config = {"authenticationMode": mode, "bootstrapClusterCreatorAdminPermissions": bootstrap_admin}


def add_access_entry(cluster: Cluster, principal_arn: str, entry_type: str = "STANDARD",
                     username: str | None = None, kubernetes_groups: list[str] | None = None,
                     tags: dict[str, str] | None = None) -> dict[str, Any]:
    """Create an access entry after the checks AWS makes. Shared by the API and the lab's seed."""
    match = PRINCIPAL_ARN_PATTERN.match(principal_arn or "")
    if match is None:
        raise JsonRESTError("InvalidParameterException", f"The principalArn {principal_arn} is not a valid IAM "
                                                         "principal ARN")
    if entry_type not in ACCESS_ENTRY_TYPES:
        raise JsonRESTError("InvalidParameterException", f"The type {entry_type} is not one of "
                                                         f"{', '.join(ACCESS_ENTRY_TYPES)}")
    if entry_type in NODE_ENTRY_TYPES and (username or kubernetes_groups):
        raise JsonRESTError("InvalidParameterException", f"Access entries of type {entry_type} do not accept a "
                                                         "username or Kubernetes groups")
    if entry_type == "HYBRID_LINUX" and match.group(3) != "role":
        raise JsonRESTError("InvalidParameterException", "Access entries of type HYBRID_LINUX need an IAM role")
    mode = getattr(cluster, "access_config", {}).get("authenticationMode", DEFAULT_AUTHENTICATION_MODE)
    if mode == "CONFIG_MAP":
        raise JsonRESTError("InvalidRequestException", "The cluster's authentication mode must be set to one of "
                                                       "[API, API_AND_CONFIG_MAP] to perform this operation.")
    if entry_type in NODE_ENTRY_TYPES:
        username = "system:node:{{SessionName}}"
        kubernetes_groups = []
    now = datetime.datetime.now(datetime.timezone.utc)
    entry = {
        "clusterName": cluster.name,
        "principalArn": principal_arn,
        "kubernetesGroups": list(kubernetes_groups or []),
        "accessEntryArn": "arn:aws:eks:%s:%s:access-entry/%s/%s/%s/%s/%s" % (
            cluster.arn.split(":")[3], cluster.arn.split(":")[4], cluster.name, match.group(3),
            match.group(2), match.group(4).rsplit("/", 1)[-1], uuid.uuid4()),
        "createdAt": now,
        "modifiedAt": now,
        "tags": dict(tags or {}),
        "username": username or principal_arn,
        "type": entry_type,
    }
    with _lock:
        entries = access_entries_of(cluster)
        if principal_arn in entries:
            raise JsonRESTError("ResourceInUseException", f"The specified access entry resource is already in use "
                                                          f"on this cluster: {principal_arn}")
        entries[principal_arn] = entry
    return entry


def find_cluster(self: EKSResponse) -> Cluster:
    name = self._get_param("name")
    cluster = self.eks_backend.clusters.get(name)
    if cluster is None:
        raise JsonRESTError("ResourceNotFoundException", f"No cluster found for name: {name}.")
    return cluster


def principal_from_request(self: EKSResponse) -> str:
    """The principalArn path label; werkzeug has already decoded %2F and %3A."""
    principal = self.uri_match.get("principalArn") or self.path.split("/access-entries/", 1)[-1]
    return principal


def create_access_entry(self: EKSResponse) -> ActionResult:
    cluster = find_cluster(self)
    entry = add_access_entry(
        cluster,
        principal_arn=self._get_param("principalArn"),
        entry_type=self._get_param("type") or "STANDARD",
        username=self._get_param("username"),
        kubernetes_groups=self._get_param("kubernetesGroups"),
        tags=self._get_param("tags"),
    )
    return ActionResult({"accessEntry": entry})


def list_access_entries(self: EKSResponse) -> ActionResult:
    cluster = find_cluster(self)
    with _lock:
        principals = sorted(access_entries_of(cluster))
    return ActionResult({"accessEntries": principals})


def describe_access_entry(self: EKSResponse) -> ActionResult:
    cluster = find_cluster(self)
    principal = principal_from_request(self)
    with _lock:
        entry = access_entries_of(cluster).get(principal)
    if entry is None:
        raise JsonRESTError("ResourceNotFoundException", "The specified principalArn could not be found. You can "
                                                         "view your available access entries with "
                                                         "'list-access-entries'.")
    return ActionResult({"accessEntry": entry})


def delete_access_entry(self: EKSResponse) -> ActionResult:
    cluster = find_cluster(self)
    principal = principal_from_request(self)
    with _lock:
        if access_entries_of(cluster).pop(principal, None) is None:
            raise JsonRESTError("ResourceNotFoundException", "The specified principalArn could not be found.")
    return ActionResult({})


def access_config_from_request(self: EKSResponse) -> dict[str, Any] | None:
    access_config = self._get_param("accessConfig")
    if access_config is None:
        return None
    mode = access_config.get("authenticationMode")
    if mode is not None and mode not in AUTHENTICATION_MODES:
        raise JsonRESTError("InvalidParameterException", f"Unsupported authenticationMode: {mode}")
    return access_config


def wrap_create_cluster(original: Callable[[EKSResponse], ActionResult]) -> Callable[[EKSResponse], ActionResult]:
    def create_cluster(self: EKSResponse) -> ActionResult:
        access_config = access_config_from_request(self) or {}
        mode = access_config.get("authenticationMode", DEFAULT_AUTHENTICATION_MODE)
        if self._get_param("remoteNetworkConfig") and mode == "CONFIG_MAP":
            raise JsonRESTError("InvalidParameterException", "AccessConfig AuthMode must be API_AND_CONFIG_MAP or "
                                                             "API when remoteNetworkConfig is specified")
        result = original(self)
        cluster = self.eks_backend.clusters[self._get_param("name")]
        set_authentication_mode(cluster, mode, access_config.get("bootstrapClusterCreatorAdminPermissions", True))
        return result

    return create_cluster


def wrap_update_cluster_config(original: Callable[[EKSResponse], ActionResult]) -> Callable:
    def update_cluster_config(self: EKSResponse) -> ActionResult:
        access_config = access_config_from_request(self)
        cluster = find_cluster(self)
        if access_config and access_config.get("authenticationMode"):
            current = getattr(cluster, "access_config", {}).get("authenticationMode", DEFAULT_AUTHENTICATION_MODE)
            wanted = access_config["authenticationMode"]
            if AUTHENTICATION_MODES.index(wanted) > AUTHENTICATION_MODES.index(current):
                raise JsonRESTError("InvalidParameterException", f"Unsupported authentication mode update from "
                                                                 f"{current} to {wanted}")
            set_authentication_mode(cluster, wanted,
                                    getattr(cluster, "access_config", {}).get(
                                        "bootstrapClusterCreatorAdminPermissions", True))
        return original(self)

    return update_cluster_config


def wrap_describe_cluster(original: Callable[[EKSResponse], ActionResult]) -> Callable:
    def describe_cluster(self: EKSResponse) -> ActionResult:
        cluster = find_cluster(self)
        if getattr(cluster, "access_config", None) is None:
            set_authentication_mode(cluster, DEFAULT_AUTHENTICATION_MODE)
        return original(self)

    return describe_cluster


def state() -> list[dict[str, Any]]:
    """Access entries of every cluster, as JSON-able data."""
    result = []
    with _lock:
        for account_id, regions in eks_backends.items():
            for region, backend in regions.items():
                for cluster in backend.clusters.values():
                    for entry in access_entries_of(cluster).values():
                        result.append({
                            "account_id": account_id,
                            "region": region,
                            **{key: value.isoformat() if isinstance(value, datetime.datetime) else value
                               for key, value in entry.items()},
                        })
    return result


def install() -> None:
    """Add access entries and accessConfig to moto's EKS service. Call once, before any server starts."""
    eks_urls.url_paths.update({
        "{0}/clusters/(?P<name>[^/]+)/access-entries$": EKSResponse.dispatch,
        "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+)$": EKSResponse.dispatch,
    })
    for method in (create_access_entry, list_access_entries, describe_access_entry, delete_access_entry):
        setattr(EKSResponse, method.__name__, method)
    EKSResponse.create_cluster = wrap_create_cluster(EKSResponse.create_cluster)
    EKSResponse.update_cluster_config = wrap_update_cluster_config(EKSResponse.update_cluster_config)
    EKSResponse.describe_cluster = wrap_describe_cluster(EKSResponse.describe_cluster)
