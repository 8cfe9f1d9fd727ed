# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks of an EKS cluster, its account and the fleet's addresses before any hybrid node joins.

Pure functions over the plain data that DescribeCluster, IAM GetRole, ListAccessEntries and host facts
return, so they are testable without AWS. Each check returns problems as dictionaries with the place
(cluster, role, host), the field, the value found and the fix.
"""

import ipaddress
import json
import re
from urllib.parse import unquote

# Kubernetes versions the hybrid nodes release of nodeadm installs (its manifest, v1.0.20).
NODEADM_KUBERNETES_MINORS = ("1.28", "1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35")
MAX_KUBELET_SKEW_MINORS = 3
HYBRID_AUTH_MODES = ("API", "API_AND_CONFIG_MAP")
TRUSTED_SERVICE = {"ssm": "ssm.amazonaws.com", "iam-ra": "rolesanywhere.amazonaws.com"}


def problem(check, where, field, value, fix):
    """One finding: which check, where (cluster, role or host), which field, what was found and how to fix it."""
    return {"check": check, "where": where, "field": field, "value": value, "fix": fix}


def describe(finding):
    """A one-line message for a finding."""
    return "%s: %s is %s. %s" % (finding["where"], finding["field"], json.dumps(finding["value"]), finding["fix"])


def _networks(cidrs):
    return [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]


def remote_networks(cluster):
    """The remote node and pod CIDRs of a DescribeCluster result, as two lists of strings."""
    config = cluster.get("remoteNetworkConfig") or {}
    nodes = [cidr for entry in config.get("remoteNodeNetworks") or [] for cidr in entry.get("cidrs") or []]
    pods = [cidr for entry in config.get("remotePodNetworks") or [] for cidr in entry.get("cidrs") or []]
    return nodes, pods


def check_cluster(cluster):
    """Status, hybrid networking, authentication mode and endpoint access of the cluster."""
    name = "cluster %s" % cluster.get("name", "?")
    found = []
    if cluster.get("status") != "ACTIVE":
        found.append(problem("cluster_active", name, "status", cluster.get("status"),
                             "Wait until the cluster is ACTIVE, then run again."))
    node_cidrs, _pod_cidrs = remote_networks(cluster)
    if not node_cidrs:
        found.append(problem("remote_network_config", name, "remoteNetworkConfig.remoteNodeNetworks", node_cidrs,
                             "Hybrid nodes need remote node networks: aws eks update-cluster-config "
                             "--remote-network-config with the CIDRs of your on-premises nodes."))
    mode = (cluster.get("accessConfig") or {}).get("authenticationMode")
    if mode not in HYBRID_AUTH_MODES:
        found.append(problem("authentication_mode", name, "accessConfig.authenticationMode", mode,
                             "Hybrid nodes need API or API_AND_CONFIG_MAP: aws eks update-cluster-config "
                             "--access-config authenticationMode=API_AND_CONFIG_MAP."))
    vpc = cluster.get("resourcesVpcConfig") or {}
    if vpc.get("endpointPublicAccess") and vpc.get("endpointPrivateAccess"):
        found.append(problem("endpoint_access", name, "resourcesVpcConfig endpoint access", "public and private",
                             "Hybrid nodes do not support public and private endpoint access together; "
                             "choose one of them."))
    return found


def parse_version(text):
    """(major, minor, patch or None) of '1.31' or '1.31.2'; None when it is not such a version."""
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", str(text).strip())
    if not match:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch) if patch is not None else None


def check_kubernetes_version(requested, cluster):
    """The version nodeadm is asked to install exists in its manifest and fits the cluster's version."""
    where = "cluster %s" % cluster.get("name", "?")
    parsed = parse_version(requested)
    if parsed is None:
        return [problem("kubernetes_version", "inputs", "kubernetes version", requested,
                        "Use major.minor (for example 1.31) or major.minor.patch, without a leading v.")]
    minor = "%d.%d" % parsed[:2]
    if minor not in NODEADM_KUBERNETES_MINORS:
        return [problem("kubernetes_version", "inputs", "kubernetes version", requested,
                        "nodeadm installs %s; pick one of them." % ", ".join(NODEADM_KUBERNETES_MINORS))]
    cluster_version = parse_version(cluster.get("version", ""))
    if cluster_version is None:
        return []
    if parsed[:2] > cluster_version[:2]:
        return [problem("kubernetes_version", where, "kubernetes version", requested,
                        "The kubelet may not be newer than the cluster (%d.%d); use %d.%d or older."
                        % (cluster_version[:2] + cluster_version[:2]))]
    if cluster_version[1] - parsed[1] > MAX_KUBELET_SKEW_MINORS and parsed[0] == cluster_version[0]:
        return [problem("kubernetes_version", where, "kubernetes version", requested,
                        "The kubelet may be at most %d minor versions older than the cluster (%d.%d)."
                        % ((MAX_KUBELET_SKEW_MINORS,) + cluster_version[:2]))]
    return []


def choose_node_ips(hosts, cluster):
    """Pick, for every host, the IPv4 address inside a remote node network.

    hosts maps a host name to {"addresses": [...], "node_ip": "..."}; an explicit node_ip must itself be inside.
    Returns (chosen {host: ip}, problems {host: finding}).
    """
    node_cidrs, _pod_cidrs = remote_networks(cluster)
    networks = _networks(node_cidrs)
    chosen, found = {}, {}
    for host, facts in sorted(hosts.items()):
        explicit = (facts or {}).get("node_ip") or ""
        addresses = list((facts or {}).get("addresses") or [])
        if explicit and addresses and explicit not in addresses:
            found[host] = problem(
                "node_ip", host, "hybrid_node_node_ip", explicit,
                "The host has no such address (it has %s), so the kubelet would announce an address that does not "
                "reach it. Set hybrid_node_node_ip to one of its addresses, or leave it empty to pick the one in "
                "the remote node networks." % ", ".join(addresses))
            continue
        candidates = [explicit] if explicit else addresses
        inside = []
        for address in candidates:
            try:
                parsed = ipaddress.ip_address(address)
            except ValueError:
                continue
            if parsed.version == 4 and any(parsed in network for network in networks):
                inside.append(address)
        if inside:
            chosen[host] = inside[0]
            continue
        field = "hybrid_node_node_ip" if explicit else "IPv4 addresses"
        found[host] = problem(
            "node_ip", host, field, candidates,
            "No address lies in the cluster's remote node networks %s. Give the host an address in them, "
            "set hybrid_node_node_ip to one, or add its network to remoteNodeNetworks." % json.dumps(node_cidrs))
    return chosen, found


def check_pod_cidrs(pod_cidrs, cluster):
    """Cilium's pod CIDRs lie inside the remote pod networks and overlap no other network of the cluster."""
    where = "cluster %s" % cluster.get("name", "?")
    node_cidrs, remote_pods = remote_networks(cluster)
    found = []
    try:
        pods = _networks(pod_cidrs)
    except ValueError as error:
        return [problem("pod_cidrs", "inputs", "cilium_pod_cidrs", pod_cidrs, "Use IPv4 CIDRs (%s)." % error)]
    if remote_pods:
        remote = _networks(remote_pods)
        outside = [str(net) for net in pods if not any(net.subnet_of(r) for r in remote if r.version == net.version)]
        if outside:
            found.append(problem("pod_cidrs", where, "cilium_pod_cidrs", outside,
                                 "Pod CIDRs must lie inside the remote pod networks %s." % json.dumps(remote_pods)))
    others = {"remote node network": node_cidrs,
              "VPC CIDR": list((cluster.get("resourcesVpcConfig") or {}).get("vpcCidrs") or []),
              "service CIDR": [c for c in [(cluster.get("kubernetesNetworkConfig") or {}).get("serviceIpv4Cidr")]
                               if c]}
    for label, cidrs in others.items():
        for other in _networks(cidrs):
            clashing = [str(net) for net in pods if net.overlaps(other)]
            if clashing:
                found.append(problem("pod_cidrs", where, "cilium_pod_cidrs", clashing,
                                     "They overlap the %s %s; choose pod CIDRs that overlap nothing else."
                                     % (label, other)))
    return found


def trust_policy(document):
    """The trust policy of an IAM role as a dict, whether IAM returned it decoded or URL-encoded."""
    if isinstance(document, str):
        return json.loads(unquote(document))
    return document or {}


def check_role_trust(role, credential_provider):
    """The Hybrid Nodes role trusts the service of the credential provider."""
    service = TRUSTED_SERVICE[credential_provider]
    policy = trust_policy(role.get("AssumeRolePolicyDocument"))
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    trusted = set()
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        principals = (statement.get("Principal") or {}).get("Service") or []
        trusted.update([principals] if isinstance(principals, str) else principals)
    if service in trusted:
        return []
    return [problem("role_trust", "role %s" % role.get("RoleName", "?"), "trusted services", sorted(trusted),
                    "The Hybrid Nodes role must trust %s for credential provider %s; add it to the role's "
                    "trust policy." % (service, credential_provider))]


def check_access_entry(role_arn, entry, cluster_name):
    """A HYBRID_LINUX access entry exists for the role."""
    if entry and entry.get("type") == "HYBRID_LINUX":
        return []
    found_type = entry.get("type") if entry else None
    return [problem("access_entry", "cluster %s" % cluster_name, "access entry of %s" % role_arn, found_type,
                    "Create it: aws eks create-access-entry --cluster-name %s --principal-arn %s --type HYBRID_LINUX"
                    % (cluster_name, role_arn))]


def check_kube_context(server, cluster):
    """The kubeconfig context points at this cluster's API endpoint."""
    endpoint = (cluster.get("endpoint") or "").rstrip("/").lower()
    if server and server.rstrip("/").lower() == endpoint:
        return []
    return [problem("kube_context", "kubeconfig", "server of the selected context", server,
                    "It must be the API endpoint of cluster %s (%s); select the right kubeconfig and context "
                    "(eks_hybrid_kubeconfig, eks_hybrid_kube_context)." % (cluster.get("name", "?"), endpoint))]


def check_leftover_join(host, facts, cluster_ca_sha1):
    """A host that already holds the CA of another cluster carries a join that nodeadm would half-reuse."""
    found_sha1 = (facts or {}).get("ca_sha1") or ""
    if not found_sha1 or not cluster_ca_sha1 or found_sha1 == cluster_ca_sha1:
        return None
    return problem("leftover_join", host, "/etc/kubernetes/pki/ca.crt", "CA of another cluster (sha1 %s)" % found_sha1,
                   "The host was joined to another cluster. Run 'nodeadm uninstall' on it (it removes the old "
                   "kubelet certificates and SSM registration), then run again.")


def check_stale_nodes(hosts, node_ips, hybrid_nodes):
    """Hybrid Nodes that hold a host's address but are not that host: left behind when a machine was re-imaged.

    hosts maps a host name to facts with "registration": {"instance_id"}; node_ips maps a host name to the address
    it joins with; hybrid_nodes maps a Node name (mi-...) to its InternalIP. Returns {host: finding}.
    """
    found = {}
    for host, address in sorted(node_ips.items()):
        own = (((hosts.get(host) or {}).get("registration")) or {}).get("instance_id") or ""
        others = sorted(name for name, node_address in hybrid_nodes.items() if node_address == address and name != own)
        if others:
            found[host] = problem(
                "stale_node", host, "hybrid Node with this host's address %s" % address, others,
                "This host is %s, so the Node was left behind when the machine was re-imaged or replaced. Remove "
                "it first (kubectl delete node %s, and aws ssm deregister-managed-instance --instance-id <id> for "
                "each), then run again." % (own or "not registered yet", " ".join(others)))
    return found


def check_registrations(hosts, instances, cluster_region, role_name):
    """SSM registrations found on hosts belong to this account, region and role, and to one host each.

    hosts maps a host name to facts with "registration": {"instance_id", "region"}; instances maps an instance id
    to its DescribeInstanceInformation entry, for the ids that exist in this account and region.
    """
    found = {}
    owners = {}
    for host, facts in sorted(hosts.items()):
        registration = (facts or {}).get("registration") or {}
        if registration.get("instance_id"):
            owners.setdefault(registration["instance_id"], []).append(host)
    for host, facts in sorted(hosts.items()):
        registration = (facts or {}).get("registration") or {}
        instance_id = registration.get("instance_id")
        if not instance_id:
            continue
        field = "/var/lib/amazon/ssm/registration"
        twins = [other for other in owners[instance_id] if other != host]
        if twins:
            found[host] = problem("ssm_registration", host, field, instance_id,
                                  "The same SSM registration is on %s: the machine was cloned after it joined. Run "
                                  "'nodeadm uninstall' on the clone and delete its registration file, then run again."
                                  % ", ".join(twins))
        elif registration.get("region") and registration["region"] != cluster_region:
            found[host] = problem("ssm_registration", host, field, "%s in %s" % (instance_id, registration["region"]),
                                  "The host is registered with SSM in another region than the cluster (%s). Run "
                                  "'nodeadm uninstall' on it, then run again." % cluster_region)
        elif instance_id not in instances:
            found[host] = problem("ssm_registration", host, field, instance_id,
                                  "No such managed instance in this account and region: the host was registered "
                                  "elsewhere or deregistered. Run 'nodeadm uninstall' on it, then run again.")
        elif role_name and instances[instance_id].get("IamRole") != role_name:
            found[host] = problem("ssm_registration", host, field,
                                  "%s with role %s" % (instance_id, instances[instance_id].get("IamRole")),
                                  "The host was registered with another IAM role than the Hybrid Nodes role (%s). "
                                  "Run 'nodeadm uninstall' on it, then run again." % role_name)
    return found
