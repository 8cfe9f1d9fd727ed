# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Build, validate and mask NodeConfig documents (node.eks.aws/v1alpha1) for EKS hybrid nodes.

The schema and rules follow what nodeadm v1.0.20 accepts for hybrid nodes. Everything here is a pure
function over plain data with no Ansible import, so the controller (before any host changes) and the
target host run exactly the same checks. Problems are collected, never raised one at a time, and a value
that is a secret is never shown: only its length.
"""

import base64
import binascii
import copy
import datetime
import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlparse

try:
    import tomllib
except ImportError:  # Python < 3.11 on the target host: containerd TOML is then checked by nodeadm only
    tomllib = None

API_VERSION = "node.eks.aws/v1alpha1"
KIND = "NodeConfig"
NODEADM_VERSION = "v1.0.20"
DEFAULT_DEST = "/etc/nodeadm/nodeconfig.yaml"
MASK = "********"
# Shown for the activation fields of a NodeConfig whose activation is created later in the run.
PENDING_ACTIVATION = "(created during the run)"
DEFAULT_CERTIFICATE_PATH = "/etc/iam/pki/server.pem"
DEFAULT_PRIVATE_KEY_PATH = "/etc/iam/pki/server.key"
DEFAULT_AWS_CONFIG_PATH = "/etc/aws/hybrid/config"
MAX_NODE_NAME_LENGTH = 64
SECRET_PATHS = frozenset({"spec.hybrid.ssm.activationCode"})
_SSM_PREFIX = "spec.hybrid.ssm."


class _Opaque:
    """Marks a mapping whose keys nodeadm passes through without checking (for example kubelet.config)."""


OPAQUE_MAPPING = _Opaque()
STRING_LIST = ("list", str)

# Every field nodeadm v1.0.20 decodes, in the order the renderer writes them.
SCHEMA: Dict[str, Any] = {
    "apiVersion": str,
    "kind": str,
    "metadata": OPAQUE_MAPPING,
    "spec": {
        "cluster": {
            "name": str,
            "region": str,
            "apiServerEndpoint": str,
            "certificateAuthority": str,
            "cidr": str,
            "enableOutpost": bool,
            "id": str,
        },
        "hybrid": {
            "enableCredentialsFile": bool,
            "ssm": {"activationId": str, "activationCode": str},
            "iamRolesAnywhere": {
                "nodeName": str,
                "trustAnchorArn": str,
                "profileArn": str,
                "roleArn": str,
                "certificatePath": str,
                "privateKeyPath": str,
                "awsConfigPath": str,
            },
        },
        "kubelet": {"config": OPAQUE_MAPPING, "flags": STRING_LIST},
        "containerd": {"config": str},
        "instance": {"localStorage": {"strategy": str}},
    },
}

# Fields that older documents, the EC2 flavour of nodeadm or early hybrid releases used, and what to do instead.
DRIFTED_FIELDS = {
    "spec.hybrid.nodeName": "move it to spec.hybrid.iamRolesAnywhere.nodeName",
    "spec.hybrid.region": "move it to spec.cluster.region",
    "spec.hybrid.enableHostCredentialsFile": "rename it to spec.hybrid.enableCredentialsFile",
    "spec.containerd.baseRuntimeSpec": (
        "remove it: baseRuntimeSpec exists only in the EC2 nodeadm (amazon-eks-ami) and is not supported "
        "for hybrid nodes"
    ),
}

_TYPE_NAMES = {str: "a string", bool: "a boolean (true or false)"}
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_REGION_RE = re.compile(r"^[a-z]{2,4}(-[a-z]+)?-[a-z]+-[0-9]{1,2}$")
_CLUSTER_NAME_RE = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>[0-9]*):"
    r"(?P<resource>.+)$"
)
_ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# Labels in the kubernetes.io / k8s.io namespaces a kubelet may set on its own Node (NodeRestriction).
_KUBELET_ALLOWED_LABELS = frozenset({
    "kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os",
    "beta.kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type", "topology.kubernetes.io/region", "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
})
_KUBELET_ALLOWED_LABEL_DOMAINS = ("kubelet.kubernetes.io", "node.kubernetes.io")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a NodeConfig: where, what (nodeadm's wording where nodeadm has one) and the fix."""

    path: str
    message: str
    fix: str
    value: Any = None

    def as_dict(self) -> Dict[str, Any]:
        return {"path": self.path, "value": self.value, "message": self.message, "fix": self.fix}

    def __str__(self) -> str:
        shown = "" if self.value is None else " (value: %s)" % _short_repr(self.value)
        return "%s: %s%s; fix: %s" % (self.path, self.message, shown, self.fix)


@dataclass(frozen=True)
class CertificateInfo:
    """What the host checks need to know about an X.509 certificate."""

    common_name: Optional[str]
    not_before: datetime.datetime
    not_after: datetime.datetime


@dataclass
class _Collector:
    problems: List[Problem] = field(default_factory=list)

    def add(self, path: str, message: str, fix: str, value: Any = None) -> None:
        if is_secret_path(path) and value is not None:
            value = masked_secret(value)
        self.problems.append(Problem(path=path, message=message, fix=fix, value=value))


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_secret_path(path: str) -> bool:
    """True for the activation code and anything else under spec.hybrid.ssm except the (public) activation id."""
    return path in SECRET_PATHS or (path.startswith(_SSM_PREFIX) and path != _SSM_PREFIX + "activationId")


def masked_secret(value: Any) -> str:
    """Describe a secret without revealing it."""
    if isinstance(value, str):
        return "%s (%d characters)" % (MASK, len(value))
    return MASK


def _ssm_block(config: Any) -> Optional[Dict[str, Any]]:
    node = config
    for key in ("spec", "hybrid", "ssm"):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def mask_nodeconfig(config: Any) -> Any:
    """Return a deep copy of a NodeConfig with every secret (see :func:`is_secret_path`) replaced by a mask."""
    masked = copy.deepcopy(config)
    ssm = _ssm_block(masked)
    for key, value in (ssm or {}).items():
        if is_secret_path(_SSM_PREFIX + str(key)) and value not in (None, ""):
            ssm[key] = MASK
    return masked


def show_pending_activation(config: Any) -> Any:
    """A copy of a NodeConfig whose empty SSM activation id and code say they are created later in the run."""
    shown = copy.deepcopy(config)
    ssm = _ssm_block(shown)
    if ssm is not None:
        for key in ("activationId", "activationCode"):
            if not ssm.get(key):
                ssm[key] = PENDING_ACTIVATION
    return shown


def secrets_of(config: Any) -> List[str]:
    """The secret values found in a NodeConfig, so callers can add them to their no-log list."""
    ssm = _ssm_block(config) or {}
    return [value for key, value in ssm.items()
            if is_secret_path(_SSM_PREFIX + str(key)) and isinstance(value, str) and value]


def deep_merge(base: Dict[str, Any], override: Dict[str, Any]) -> Dict[str, Any]:
    """Merge override into a copy of base: mappings merge key by key, anything else in override wins."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def canonical_order(config: Any, schema: Any = None) -> Any:
    """Order known keys as the schema lists them (unknown keys keep their order, after), for stable output."""
    schema = SCHEMA if schema is None else schema
    if not isinstance(config, dict) or not isinstance(schema, dict):
        return config
    ordered = {key: canonical_order(config[key], schema[key]) for key in schema if key in config}
    ordered.update((key, value) for key, value in config.items() if key not in schema)
    return ordered


# --- building from structured options -------------------------------------------------------------------


def _drop_none(mapping: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in mapping.items() if value is not None}


def _label_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build_nodeconfig(options: Dict[str, Any]) -> Tuple[Dict[str, Any], List[Problem]]:
    """Build a NodeConfig from the module's structured options laid over an optional raw fragment.

    ``options`` uses the module's option names (cluster_name, region, credential_provider, ...). The raw
    fragment ``extra_config`` is the base; structured options win where both set a value, and kubelet flags
    from both are kept (fragment first). Returns the document and the problems found in the options themselves;
    the document still needs :func:`validate_nodeconfig`.
    """
    problems = _Collector()
    extra = options.get("extra_config") or {}
    if not isinstance(extra, dict):
        problems.add("extra_config", "must be a mapping (a NodeConfig document or a fragment of one)",
                     "pass the parsed YAML of a NodeConfig, for example with ansible.builtin.from_yaml", extra)
        extra = {}

    provider = options.get("credential_provider")
    ssm_given = options.get("ssm_activation_id") is not None or options.get("ssm_activation_code") is not None
    iam_ra = options.get("iam_roles_anywhere")
    if provider == "iam-ra" and ssm_given:
        problems.add("ssm_activation_id", "SSM activation options are set but credential_provider is iam-ra",
                     "drop ssm_activation_id/ssm_activation_code or set credential_provider=ssm")
    if provider == "ssm" and iam_ra:
        problems.add("iam_roles_anywhere", "is set but credential_provider is ssm",
                     "drop iam_roles_anywhere or set credential_provider=iam-ra")

    hybrid: Dict[str, Any] = _drop_none({"enableCredentialsFile": options.get("enable_credentials_file")})
    if provider == "ssm" or (provider is None and ssm_given):
        ssm = _drop_none({"activationId": options.get("ssm_activation_id"),
                          "activationCode": options.get("ssm_activation_code")})
        hybrid["ssm"] = ssm
    if provider == "iam-ra" or (provider is None and iam_ra):
        iam_ra = iam_ra or {}
        hybrid["iamRolesAnywhere"] = _drop_none({
            "nodeName": iam_ra.get("node_name"),
            "trustAnchorArn": iam_ra.get("trust_anchor_arn"),
            "profileArn": iam_ra.get("profile_arn"),
            "roleArn": iam_ra.get("role_arn"),
            "certificatePath": iam_ra.get("certificate_path"),
            "privateKeyPath": iam_ra.get("private_key_path"),
            "awsConfigPath": iam_ra.get("aws_config_path"),
        })

    structured: Dict[str, Any] = {"apiVersion": API_VERSION, "kind": KIND, "spec": {}}
    cluster = _drop_none({
        "name": options.get("cluster_name"),
        "region": options.get("region"),
        "apiServerEndpoint": options.get("api_server_endpoint"),
        "certificateAuthority": options.get("certificate_authority"),
        "cidr": options.get("service_cidr"),
    })
    if cluster:
        structured["spec"]["cluster"] = cluster
    if hybrid:
        structured["spec"]["hybrid"] = hybrid
    if options.get("kubelet_config"):
        structured["spec"]["kubelet"] = {"config": options["kubelet_config"]}
    if options.get("containerd_config") is not None:
        structured["spec"]["containerd"] = {"config": options["containerd_config"]}

    if not structured["spec"]:
        del structured["spec"]
    _report_shape_clashes(extra, structured, "extra_config", problems)
    config = deep_merge(extra, structured)
    spec = config.get("spec")
    flags = _merged_flags(extra, options, problems)
    if flags and isinstance(spec, (dict, type(None))):
        kubelet = config.setdefault("spec", {}).setdefault("kubelet", {})
        if isinstance(kubelet, dict):
            kubelet["flags"] = flags

    if provider == "iam-ra" and isinstance(spec, dict):
        block = _mapping(_mapping(spec, "hybrid"), "iamRolesAnywhere")
        if block:
            # nodeadm applies these defaults at init but not in `nodeadm config check`: write them out.
            block.setdefault("certificatePath", DEFAULT_CERTIFICATE_PATH)
            block.setdefault("privateKeyPath", DEFAULT_PRIVATE_KEY_PATH)
    return canonical_order(config), problems.problems


def _report_shape_clashes(fragment: Dict[str, Any], structured: Dict[str, Any], prefix: str,
                          problems: _Collector) -> None:
    """Report where the fragment has a scalar or list where the structured options need a mapping."""
    for key, value in structured.items():
        if not isinstance(value, dict) or key not in fragment:
            continue
        path = "%s.%s" % (prefix, key)
        if isinstance(fragment[key], dict):
            _report_shape_clashes(fragment[key], value, path, problems)
        elif fragment[key] is not None:
            problems.add(path, "must be a mapping", "fix the structure of extra_config", fragment[key])


def _merged_flags(extra: Dict[str, Any], options: Dict[str, Any], problems: _Collector) -> List[Any]:
    kubelet = (extra.get("spec") or {}).get("kubelet") if isinstance(extra.get("spec"), dict) else None
    flags = list((kubelet or {}).get("flags") or []) if isinstance(kubelet, dict) else []
    flags.extend(options.get("kubelet_flags") or [])
    labels = options.get("node_labels") or {}
    if labels:
        pairs = ("%s=%s" % (key, _label_value(value)) for key, value in labels.items())
        flags.append("--node-labels=" + ",".join(pairs))
    taints = options.get("node_taints") or []
    if taints:
        flags.append("--register-with-taints=" + ",".join(str(taint) for taint in taints))
    node_ip = options.get("node_ip")
    if node_ip:
        flags = [flag for flag in flags if not (isinstance(flag, str) and flag.startswith("--node-ip="))]
        flags.append("--node-ip=%s" % node_ip)
    return flags


# --- validation --------------------------------------------------------------------------------------------


def validate_nodeconfig(config: Any, activation_pending: bool = False) -> List[Problem]:
    """Return every problem nodeadm v1.0.20 (or the node's first minutes in the cluster) would hit.

    With ``activation_pending`` an SSM block may still lack its activation id and code, which is the state on
    the controller before the activation is minted.
    """
    problems = _Collector()
    if not isinstance(config, dict):
        problems.add("(document)", "a NodeConfig must be a mapping", "start from apiVersion/kind/spec", config)
        return problems.problems
    _check_structure(config, SCHEMA, "", problems)
    if config.get("apiVersion") != API_VERSION:
        problems.add("apiVersion", "must be %s" % API_VERSION, "set apiVersion: %s" % API_VERSION,
                     config.get("apiVersion"))
    if config.get("kind") != KIND:
        problems.add("kind", "must be %s" % KIND, "set kind: %s" % KIND, config.get("kind"))
    spec = config.get("spec")
    if not isinstance(spec, dict):
        if spec is None:
            problems.add("spec", "is missing", "add spec.cluster and spec.hybrid")
        return problems.problems
    _check_cluster(_mapping(spec, "cluster"), problems)
    _check_hybrid(spec, activation_pending, problems)
    _check_kubelet(_mapping(spec, "kubelet"), problems)
    _check_containerd(_mapping(spec, "containerd"), problems)
    return problems.problems


def _mapping(parent: Dict[str, Any], key: str) -> Dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _type_name(expected: Any) -> str:
    if isinstance(expected, (dict, _Opaque)):
        return "a mapping"
    if expected == STRING_LIST:
        return "a list of strings"
    return _TYPE_NAMES[expected]


def _has_type(value: Any, expected: Any) -> bool:
    if isinstance(expected, (dict, _Opaque)):
        return isinstance(value, dict)
    if expected == STRING_LIST:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if expected is str:
        return isinstance(value, str)
    return isinstance(value, bool)


def _check_structure(value: Dict[str, Any], schema: Dict[str, Any], prefix: str, problems: _Collector) -> None:
    for key, item in value.items():
        path = "%s.%s" % (prefix, key) if prefix else str(key)
        expected = schema.get(key)
        if expected is None:
            problems.add(path, "unknown field: nodeadm %s decodes strictly and refuses it "
                               "(json: unknown field \"%s\")" % (NODEADM_VERSION, key),
                         _unknown_field_fix(path, key, schema), item)
        elif item is None:
            continue
        elif not _has_type(item, expected):
            problems.add(path, "must be %s" % _type_name(expected), "give %s a value of that type" % path, item)
        elif isinstance(expected, dict):
            _check_structure(item, expected, path, problems)


def _unknown_field_fix(path: str, key: Any, schema: Dict[str, Any]) -> str:
    if path in DRIFTED_FIELDS:
        return DRIFTED_FIELDS[path]
    known = list(schema)
    for candidate in known:
        if str(key).lower() == candidate.lower():
            return "did you mean %s? Field names are case-sensitive" % candidate
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.75)
    if close:
        return "did you mean %s?" % close[0]
    return "remove it; fields accepted here: %s" % ", ".join(known)


def _present(block: Dict[str, Any], key: str) -> bool:
    return block.get(key) not in (None, "")


def _check_cluster(cluster: Dict[str, Any], problems: _Collector) -> None:
    name = cluster.get("name")
    if not _present(cluster, "name"):
        problems.add("spec.cluster.name", "Name is missing in cluster configuration",
                     "set cluster_name (spec.cluster.name) to the EKS cluster name")
    elif isinstance(name, str) and not _CLUSTER_NAME_RE.match(name):
        problems.add("spec.cluster.name", "is not a valid EKS cluster name",
                     "use 1-100 letters, digits, hyphens or underscores, starting with a letter or digit", name)
    region = cluster.get("region")
    if not _present(cluster, "region"):
        problems.add("spec.cluster.region", "Region is missing in cluster configuration",
                     "set region (spec.cluster.region) to the cluster's region; the SSM activation must be "
                     "created in the same region")
    elif isinstance(region, str) and not _REGION_RE.match(region):
        problems.add("spec.cluster.region", "does not look like an AWS region",
                     "use a region code such as us-west-2", region)
    endpoint = cluster.get("apiServerEndpoint")
    if _present(cluster, "apiServerEndpoint") and isinstance(endpoint, str):
        parsed = urlparse(endpoint)
        if parsed.scheme != "https" or not parsed.hostname:
            problems.add("spec.cluster.apiServerEndpoint", "must be an https:// URL of the cluster API server",
                         "copy the endpoint from `aws eks describe-cluster` (cluster.endpoint)", endpoint)
    authority = cluster.get("certificateAuthority")
    if _present(cluster, "certificateAuthority") and isinstance(authority, str):
        try:
            base64.b64decode("".join(authority.split()), validate=True)
        except (binascii.Error, ValueError):
            problems.add("spec.cluster.certificateAuthority", "is not valid base64",
                         "use certificateAuthority.data from `aws eks describe-cluster` as is (base64 of the PEM)",
                         authority)
    cidr = cluster.get("cidr")
    if _present(cluster, "cidr") and isinstance(cidr, str):
        try:
            ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as error:
            problems.add("spec.cluster.cidr", "is not an IPv4 CIDR (%s)" % error,
                         "use the cluster's service IPv4 CIDR (kubernetesNetworkConfig.serviceIpv4Cidr), "
                         "for example 172.20.0.0/16", cidr)
    for key in ("enableOutpost", "id"):
        if cluster.get(key) is not None:
            problems.add("spec.cluster.%s" % key, "is for EKS local clusters on Outposts and is not supported for "
                         "hybrid nodes", "remove spec.cluster.%s" % key, cluster[key])


def _check_hybrid(spec: Dict[str, Any], activation_pending: bool, problems: _Collector) -> None:
    hybrid = _mapping(spec, "hybrid")
    has_ssm = hybrid.get("ssm") is not None
    has_iam_ra = hybrid.get("iamRolesAnywhere") is not None
    if not has_ssm and not has_iam_ra:
        note = "" if "hybrid" in spec else " (without spec.hybrid nodeadm treats the machine as an EC2 node)"
        problems.add("spec.hybrid", "Either IAMRolesAnywhere or SSM must be provided" + note,
                     "set credential_provider and either the ssm_activation_* options or iam_roles_anywhere")
    elif has_ssm and has_iam_ra:
        problems.add("spec.hybrid", "Only one of IAMRolesAnywhere or SSM must be provided",
                     "keep spec.hybrid.ssm or spec.hybrid.iamRolesAnywhere, not both")
    if has_ssm:
        _check_ssm(_mapping(hybrid, "ssm"), activation_pending, problems)
    if has_iam_ra:
        _check_iam_roles_anywhere(_mapping(hybrid, "iamRolesAnywhere"), region_of_cluster(spec), problems)


def region_of_cluster(spec: Dict[str, Any]) -> Optional[str]:
    return _mapping(spec, "cluster").get("region")


def _check_ssm(ssm: Dict[str, Any], activation_pending: bool, problems: _Collector) -> None:
    activation_id = ssm.get("activationId")
    if not _present(ssm, "activationId"):
        if not activation_pending:
            problems.add("spec.hybrid.ssm.activationId", "ActivationID is missing in hybrid ssm configuration",
                         "pass ssm_activation_id from eks_hybrid.nodes.ssm_activation (activation_id)")
    elif isinstance(activation_id, str) and not _UUID_RE.match(activation_id):
        problems.add("spec.hybrid.ssm.activationId", "invalid ActivationID format: %s" % activation_id,
                     "use the ActivationId (a UUID) returned by CreateActivation", activation_id)
    code = ssm.get("activationCode")
    if not _present(ssm, "activationCode"):
        if not activation_pending:
            problems.add("spec.hybrid.ssm.activationCode", "ActivationCode is missing in hybrid ssm configuration",
                         "pass ssm_activation_code from eks_hybrid.nodes.ssm_activation (activation_code)")
    elif isinstance(code, str) and not 20 <= len(code) <= 250:
        problems.add("spec.hybrid.ssm.activationCode",
                     "invalid ActivationCode format: %s. Must be 20-250 characters" % MASK,
                     "use the ActivationCode returned by CreateActivation for this activation id", code)


def _arn_problem(value: str, service: str, resource_prefix: str) -> Optional[str]:
    match = _ARN_RE.match(value)
    if not match:
        return "is not an ARN"
    found_service = match.group("service")
    resource = match.group("resource")
    if found_service != service or not resource.startswith(resource_prefix) or len(resource) == len(resource_prefix):
        found_type = re.split("[/:]", resource)[0]
        return "is an ARN of %s:%s, expected %s:%s" % (found_service, found_type, service, resource_prefix.rstrip("/"))
    if not _ACCOUNT_RE.match(match.group("account")):
        return "has no 12-digit account id"
    if service == "rolesanywhere" and not _REGION_RE.match(match.group("region")):
        return "has no region"
    return None


def _arn_region(value: Any) -> Optional[str]:
    match = _ARN_RE.match(value) if isinstance(value, str) else None
    return match.group("region") if match else None


def _check_iam_roles_anywhere(block: Dict[str, Any], cluster_region: Optional[str], problems: _Collector) -> None:
    base = "spec.hybrid.iamRolesAnywhere."
    node_name = block.get("nodeName")
    if not _present(block, "nodeName"):
        problems.add(base + "nodeName", "NodeName can't be empty in hybrid iam roles anywhere configuration",
                     "set iam_roles_anywhere.node_name to the certificate's CN")
    elif isinstance(node_name, str):
        if len(node_name) > MAX_NODE_NAME_LENGTH:
            problems.add(base + "nodeName", "NodeName can't be longer than %d characters in hybrid iam roles "
                         "anywhere configuration" % MAX_NODE_NAME_LENGTH,
                         "use a shorter name (for example the short hostname, not the FQDN) and issue the "
                         "certificate with that CN", node_name)
        if not _DNS_SUBDOMAIN_RE.match(node_name):
            problems.add(base + "nodeName", "is not a valid Kubernetes node name",
                         "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
                         node_name)
    arn_rules = (
        ("trustAnchorArn", "TrustAnchorARN", "rolesanywhere", "trust-anchor/"),
        ("profileArn", "ProfileARN", "rolesanywhere", "profile/"),
        ("roleArn", "RoleARN", "iam", "role/"),
    )
    for key, nodeadm_name, service, resource_prefix in arn_rules:
        value = block.get(key)
        if not _present(block, key):
            problems.add(base + key, "%s is missing in hybrid iam roles anywhere configuration" % nodeadm_name,
                         "set iam_roles_anywhere.%s" % _snake(key))
            continue
        if not isinstance(value, str):
            continue
        issue = _arn_problem(value, service, resource_prefix)
        if issue:
            problems.add(base + key, issue, "use an ARN like arn:aws:%s:%s:<account-id>:%s<id>"
                         % (service, "<region>" if service == "rolesanywhere" else "", resource_prefix), value)
    regions = {key: _arn_region(block.get(key)) for key in ("trustAnchorArn", "profileArn")}
    if all(regions.values()) and regions["trustAnchorArn"] != regions["profileArn"]:
        problems.add(base + "profileArn", "is in region %s but the trust anchor is in %s"
                     % (regions["profileArn"], regions["trustAnchorArn"]),
                     "use a profile and a trust anchor from the same IAM Roles Anywhere region", block["profileArn"])
    for key in ("certificatePath", "privateKeyPath", "awsConfigPath"):
        value = block.get(key)
        if isinstance(value, str) and value and not value.startswith("/"):
            problems.add(base + key, "must be an absolute path", "start the path with /", value)


def _snake(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda match: "_" + match.group(1).lower(), camel)


def _flag_value(flag: str) -> Tuple[str, Optional[str]]:
    name, separator, value = flag.partition("=")
    return name, value if separator else None


def _check_kubelet(kubelet: Dict[str, Any], problems: _Collector) -> None:
    flags = kubelet.get("flags")
    if not isinstance(flags, list):
        return
    node_ips = []
    for index, flag in enumerate(flags):
        path = "spec.kubelet.flags[%d]" % index
        if not isinstance(flag, str):
            continue
        name, value = _flag_value(flag)
        if not name.startswith("--"):
            problems.add(path, "is not a --flag", "write each kubelet flag as one item --name=value", flag)
        elif value is None and name in ("--node-labels", "--register-with-taints", "--node-ip"):
            problems.add(path, "has no value", "write it as one item %s=<value>" % name, flag)
        elif name == "--hostname-override":
            problems.add(path, "hostname-override kubelet flag is not supported for hybrid nodes but found "
                         "override: %s" % value,
                         "remove it: the node name is the SSM managed instance id or iamRolesAnywhere.nodeName",
                         flag)
        elif name == "--node-ip":
            node_ips.append((path, flag, value))
        elif name == "--node-labels":
            _check_node_labels(path, flag, value or "", problems)
        elif name == "--register-with-taints":
            _check_taints(path, flag, value or "", problems)
    for path, flag, value in node_ips:
        try:
            ipaddress.IPv4Address(value or "")
        except ValueError:
            problems.add(path, "--node-ip must be a single IPv4 address for hybrid nodes",
                         "set node_ip to the node's IPv4 address inside a remote node network", flag)
    if len({value for _path, _flag, value in node_ips}) > 1:
        problems.add(node_ips[-1][0], "--node-ip is given %d times with different addresses" % len(node_ips),
                     "keep one --node-ip", [flag for _path, flag, _value in node_ips])


def _check_node_labels(path: str, flag: str, value: str, problems: _Collector) -> None:
    for item in filter(None, value.split(",")):
        key, separator, label_value = item.partition("=")
        issue = _label_key_problem(key) if separator else "is not key=value"
        if not issue and (len(label_value) > 63 or not _LABEL_NAME_RE.match(label_value)):
            issue = "has an invalid value %r" % label_value
        if not issue and _kubelet_may_not_set(key):
            issue = ("uses the kubernetes.io/k8s.io namespace, which the kubelet may not set on its own Node "
                     "(it refuses to start)")
        if issue:
            problems.add(path, "node label %r %s" % (item, issue),
                         "use a label key of your own domain (or node.kubernetes.io/...) and apply restricted "
                         "labels from the controller after the node joins" if "namespace" in issue
                         else "write labels as key=value with valid Kubernetes label keys and values", flag)


def _label_key_problem(key: str) -> Optional[str]:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN_RE.match(prefix)):
        return "has an invalid key prefix %r" % prefix
    if not name or len(name) > 63 or not _LABEL_NAME_RE.match(name):
        return "has an invalid key %r" % key
    return None


def _kubelet_may_not_set(key: str) -> bool:
    prefix = key.rpartition("/")[0]
    restricted = any(prefix == domain or prefix.endswith("." + domain) for domain in ("kubernetes.io", "k8s.io"))
    if not restricted or key in _KUBELET_ALLOWED_LABELS:
        return False
    return not any(prefix == domain or prefix.endswith("." + domain) for domain in _KUBELET_ALLOWED_LABEL_DOMAINS)


def _check_taints(path: str, flag: str, value: str, problems: _Collector) -> None:
    for taint in filter(None, value.split(",")):
        key_value, colon, effect = taint.rpartition(":")
        key = key_value.partition("=")[0]
        label_value = key_value.partition("=")[2]
        if not colon or effect not in _TAINT_EFFECTS or not key or _label_key_problem(key) \
                or (label_value and not _LABEL_NAME_RE.match(label_value)):
            problems.add(path, "taint %r is not key=value:Effect" % taint,
                         "write taints as key=value:Effect or key:Effect with Effect one of %s"
                         % ", ".join(_TAINT_EFFECTS), flag)


def _check_containerd(containerd: Dict[str, Any], problems: _Collector) -> None:
    text = containerd.get("config")
    if tomllib is None or not isinstance(text, str) or not text.strip():
        return
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        problems.add("spec.containerd.config", "is not valid TOML (%s)" % error,
                     "fix the TOML snippet; nodeadm writes it to /etc/containerd/config.d/00-nodeadm.toml", None)


# --- checks that need the target host -----------------------------------------------------------------------


def iam_roles_anywhere_files(config: Dict[str, Any]) -> Optional[Dict[str, str]]:
    """The certificate and key paths nodeadm will use (its defaults filled in), or None without IAM-RA."""
    spec = config.get("spec") if isinstance(config, dict) else None
    block = _mapping(_mapping(spec or {}, "hybrid"), "iamRolesAnywhere") if isinstance(spec, dict) else {}
    if not block:
        return None
    return {
        "certificatePath": block.get("certificatePath") or DEFAULT_CERTIFICATE_PATH,
        "privateKeyPath": block.get("privateKeyPath") or DEFAULT_PRIVATE_KEY_PATH,
        "nodeName": block.get("nodeName"),
    }


def check_host_files(config: Dict[str, Any], path_exists: Callable[[str], bool],
                     read_certificate: Callable[[str], CertificateInfo],
                     now: Optional[datetime.datetime] = None) -> List[Problem]:
    """Check on the target host what nodeadm checks there: IAM-RA certificate and key present, cert valid, CN.

    ``read_certificate`` raises ValueError with a readable cause when the file is not a certificate.
    """
    problems = _Collector()
    files = iam_roles_anywhere_files(config)
    if files is None:
        return []
    base = "spec.hybrid.iamRolesAnywhere."
    now = now or datetime.datetime.now(datetime.timezone.utc)
    certificate_path = files["certificatePath"]
    if not path_exists(files["privateKeyPath"]):
        problems.add(base + "privateKeyPath", "IAM Roles Anywhere private key %s not found" % files["privateKeyPath"],
                     "copy the node's private key there (mode 0600) before rendering", files["privateKeyPath"])
    if not path_exists(certificate_path):
        problems.add(base + "certificatePath", "IAM Roles Anywhere certificate %s not found" % certificate_path,
                     "copy the node's certificate there before rendering", certificate_path)
        return problems.problems
    try:
        certificate = read_certificate(certificate_path)
    except ValueError as error:
        problems.add(base + "certificatePath", "validating iam-roles-anywhere certificate: %s" % error,
                     "use a PEM-encoded X.509 certificate issued by the trust anchor's CA", certificate_path)
        return problems.problems
    if certificate.not_after <= now:
        problems.add(base + "certificatePath", "validating iam-roles-anywhere certificate: server certificate has "
                     "expired (not after %s)" % certificate.not_after.isoformat(),
                     "issue a new certificate for this node", certificate_path)
    elif certificate.not_before > now:
        problems.add(base + "certificatePath", "validating iam-roles-anywhere certificate: server certificate is "
                     "not yet valid (not before %s)" % certificate.not_before.isoformat(),
                     "check the host clock (NTP) or wait until the certificate becomes valid", certificate_path)
    node_name = files["nodeName"]
    if node_name and certificate.common_name != node_name:
        problems.add(base + "nodeName", "does not match the certificate's CN %r" % certificate.common_name,
                     "the role trust policy requires sts:RoleSessionName = CN; set node_name to the CN or issue "
                     "the certificate for this name", node_name)
    return problems.problems


def summarize(problems: List[Problem]) -> str:
    """One line naming every problem, for a failure message."""
    count = len(problems)
    return "%d problem%s: %s" % (count, "" if count == 1 else "s", " | ".join(str(problem) for problem in problems))
