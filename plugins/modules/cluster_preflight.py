#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cluster_preflight
short_description: Check an EKS cluster, its account and a fleet's addresses before hybrid nodes join
version_added: 0.1.0
description:
  - Runs on the controller, once, before any host changes and before any activation is minted.
  - Reads the cluster (C(eks:DescribeCluster)), the Hybrid Nodes IAM role (C(iam:GetRole)) and its access entry
    (C(eks:DescribeAccessEntry)), and checks that the cluster is C(ACTIVE) with remote node networks and an
    authentication mode hybrid nodes support, that the role trusts the service of the credential provider and has
    a C(HYBRID_LINUX) access entry, that the Kubernetes version is one nodeadm installs and not newer than the
    cluster, that the pod CIDRs for Cilium lie in the remote pod networks and overlap nothing else, and that the
    selected kubeconfig context points at this cluster.
  - For every host it picks the IPv4 address that lies in a remote node network (to pass as C(--node-ip)); a host
    with no such address is returned in RV(host_problems) and does not fail the module.
  - Every problem names where it was found, the field, the value and the fix. The module fails when a problem
    with the inputs, the account or the cluster is found.
author:
  - eks_hybrid.nodes maintainers (@eks-hybrid)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  role_name:
    description:
      - The Hybrid Nodes IAM role, as a name, a path/name or an ARN.
      - Without it the role and access entry checks are skipped.
    type: str
  credential_provider:
    description: How the nodes get credentials; decides which service the role must trust.
    type: str
    choices: [ssm, iam-ra]
    default: ssm
  kubernetes_version:
    description: The version C(nodeadm install) is asked for, C(major.minor) or C(major.minor.patch).
    type: str
  hosts:
    description:
      - The fleet, a dictionary of inventory host name to C({addresses, node_ip, ca_sha1, registration}).
      - C(addresses) lists the host's IPv4 addresses and C(node_ip) is an address the user chose.
      - C(ca_sha1) is the SHA-1 of the host's C(/etc/kubernetes/pki/ca.crt), when it has one; another cluster's CA
        means a leftover join.
      - C(registration) is C({instance_id, region}) of the host's SSM registration file, when it has one; it must
        be a managed instance of this account and region, registered with O(role_name), and on no other host.
    type: dict
    default: {}
  hybrid_nodes:
    description:
      - The hybrid Nodes the cluster has, Node name to InternalIP.
      - A Node with a host's address that is not that host's SSM registration was left behind by a re-imaged or
        replaced machine; the host is returned in RV(host_problems).
    type: dict
    default: {}
  pod_cidrs:
    description: The pod CIDRs Cilium will allocate from.
    type: list
    elements: str
    default: []
  kubeconfig:
    description:
      - Path of the kubeconfig whose context must point at this cluster. Without it the check is skipped.
    type: path
  context:
    description: The context in O(kubeconfig) to check; its current context when omitted.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - eks_hybrid.nodes.read_only
  - eks_hybrid.nodes.skip_checks
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  platform:
    support: full
    platforms: aws
notes:
  - The VPC CIDRs are read with C(ec2:DescribeVpcs) when allowed; without that permission the overlap check
    against the VPC is skipped with a warning.
  - Routes, security groups and on-premises firewalls between the VPC and the hosts are not checked.
  - Of O(skip_checks), this module acts on all names but C(swap), C(firewall), C(kernel), C(operator_replicas),
    C(pod_cidr_change) and C(kube_proxy), and warns about every name it is given, so that a join run says once
    what it skipped.
seealso:
  - module: eks_hybrid.nodes.nodeconfig_render
"""

EXAMPLES = r"""
- name: Check the cluster and the fleet before joining
  eks_hybrid.nodes.cluster_preflight:
    cluster_name: my-cluster
    region: us-west-2
    role_name: my-cluster-hybrid-nodes
    kubernetes_version: "1.31"
    pod_cidrs: [10.81.0.0/16]
    hosts:
      edge-01: {addresses: [10.80.1.15, 192.168.122.4]}
    kubeconfig: ~/.kube/my-cluster
  register: preflight
"""

RETURN = r"""
cluster:
  description: What the checks read of the cluster.
  returned: success
  type: dict
  sample:
    name: my-cluster
    status: ACTIVE
    version: "1.31"
    endpoint: https://ABC.gr7.us-west-2.eks.amazonaws.com
    certificate_authority_sha1: 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12
    remote_node_networks: [10.80.0.0/16]
    remote_pod_networks: [10.81.0.0/16]
    service_cidr: 172.20.0.0/16
node_ips:
  description: For every host that has one, the address inside a remote node network.
  returned: always
  type: dict
  sample: {edge-01: 10.80.1.15}
host_problems:
  description: Hosts that cannot join, with one message each (the host, the field, the value, the fix).
  returned: always
  type: dict
  sample: {edge-02: "edge-02: IPv4 addresses is [\"192.168.1.4\"]. No address lies in ..."}
problems:
  description: Problems of the inputs, the account or the cluster, one message each.
  returned: always
  type: list
  elements: str
skipped_checks:
  description: The checks that were skipped on request.
  returned: always
  type: list
  elements: str
"""

import base64
import hashlib

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

try:
    import yaml
except ImportError:
    pass  # PyYAML comes with ansible-core on the controller

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _cluster_checks as checks
from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _host_checks


def role_name_of(role):
    """The role name of a name, path/name or ARN (IAM GetRole takes the name alone)."""
    return role.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def read_cluster(module, eks, ec2):
    try:
        cluster = eks.describe_cluster(name=module.params["cluster_name"], aws_retry=True)["cluster"]
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            module.fail_json(msg="Failed to find cluster %s in region %s: check eks_hybrid_cluster_name and "
                                 "eks_hybrid_region." % (module.params["cluster_name"], module.region))
        module.fail_json_aws(error, msg="Failed to describe cluster %s" % module.params["cluster_name"])
    except botocore.exceptions.BotoCoreError as error:
        module.fail_json_aws(error, msg="Failed to describe cluster %s" % module.params["cluster_name"])

    vpc_id = (cluster.get("resourcesVpcConfig") or {}).get("vpcId")
    if vpc_id:
        try:
            vpcs = ec2.describe_vpcs(VpcIds=[vpc_id], aws_retry=True)["Vpcs"]
            cluster["resourcesVpcConfig"]["vpcCidrs"] = [
                association["CidrBlock"] for vpc in vpcs for association in vpc.get("CidrBlockAssociationSet") or []
            ]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            warn(module, "Could not read the CIDRs of VPC %s, so pod CIDRs are not checked against them: %s"
                 % (vpc_id, error))
    return cluster


def check_role(module, iam, eks, cluster_name):
    name = role_name_of(module.params["role_name"])
    try:
        role = iam.get_role(RoleName=name, aws_retry=True)["Role"]
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return [checks.problem("role_trust", "account", "eks_hybrid_role_name", module.params["role_name"],
                                   "No IAM role %s exists; create the Hybrid Nodes role or fix the name." % name)]
        module.fail_json_aws(error, msg="Failed to read IAM role %s" % name)

    found = []
    if "role_trust" not in module.params["skip_checks"]:
        found += checks.check_role_trust(role, module.params["credential_provider"])
    if "access_entry" not in module.params["skip_checks"]:
        try:
            entry = eks.describe_access_entry(clusterName=cluster_name, principalArn=role["Arn"],
                                              aws_retry=True)["accessEntry"]
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                module.fail_json_aws(error, msg="Failed to read the access entry of %s" % role["Arn"])
            entry = None
        found += checks.check_access_entry(role["Arn"], entry, cluster_name)
    return found


def kubeconfig_server(module):
    path = module.params["kubeconfig"]
    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as error:
        module.fail_json(msg="Failed to read kubeconfig %s: %s" % (path, error))
    context_name = module.params["context"] or config.get("current-context")
    contexts = {item.get("name"): item.get("context") or {} for item in config.get("contexts") or []}
    clusters = {item.get("name"): item.get("cluster") or {} for item in config.get("clusters") or []}
    if context_name not in contexts:
        module.fail_json(msg="Failed to find context %s in kubeconfig %s: choose one of %s"
                             % (context_name, path, ", ".join(sorted(contexts)) or "none"))
    return clusters.get(contexts[context_name].get("cluster"), {}).get("server", "")


def run_checks(module, cluster):
    params = module.params
    skip = set(params["skip_checks"])
    found = [finding for finding in checks.check_cluster(cluster) if finding["check"] not in skip]
    if params["kubernetes_version"] and "kubernetes_version" not in skip:
        found += checks.check_kubernetes_version(params["kubernetes_version"], cluster)
    if params["pod_cidrs"] and "pod_cidrs" not in skip:
        found += checks.check_pod_cidrs(params["pod_cidrs"], cluster)
    if params["kubeconfig"] and "kube_context" not in skip:
        found += checks.check_kube_context(kubeconfig_server(module), cluster)
    return found


def managed_instances(module, ssm, instance_ids):
    """DescribeInstanceInformation entries of the given ids that exist in this account and region."""
    found = {}
    ids = sorted(set(instance_ids))
    for start in range(0, len(ids), 50):
        request = {"Filters": [{"Key": "InstanceIds", "Values": ids[start:start + 50]}], "MaxResults": 50}
        try:
            while True:
                page = ssm.describe_instance_information(aws_retry=True, **request)
                found.update((entry["InstanceId"], entry) for entry in page.get("InstanceInformationList", []))
                if not page.get("NextToken"):
                    break
                request["NextToken"] = page["NextToken"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            module.fail_json_aws(error, msg="Failed to describe managed instances %s" % ", ".join(ids))
    return found


def host_checks(module, ssm, cluster):
    """Node IP, leftover join and SSM registration of every host; the findings do not fail the module."""
    hosts = module.params["hosts"] or {}
    skip = set(module.params["skip_checks"])
    if "node_ip" in skip:
        node_ips = {host: (facts or {}).get("node_ip") or "" for host, facts in hosts.items()}
        findings = {}
    else:
        node_ips, findings = checks.choose_node_ips(hosts, cluster)

    if "stale_node" not in skip:
        for host, finding in checks.check_stale_nodes(hosts, node_ips, module.params["hybrid_nodes"]).items():
            findings.setdefault(host, finding)

    if "leftover_join" not in skip:
        cluster_ca_sha1 = ca_sha1(cluster)
        for host, facts in hosts.items():
            finding = checks.check_leftover_join(host, facts, cluster_ca_sha1)
            if finding and host not in findings:
                findings[host] = finding

    registered = {host: facts for host, facts in hosts.items() if ((facts or {}).get("registration") or {}).get(
        "instance_id")}
    if registered and "ssm_registration" not in skip:
        instances = managed_instances(module, ssm, [facts["registration"]["instance_id"]
                                                    for facts in registered.values()])
        role = role_name_of(module.params["role_name"]) if module.params["role_name"] else None
        for host, finding in checks.check_registrations(registered, instances, module.region, role).items():
            findings.setdefault(host, finding)
    return node_ips, findings


def ca_sha1(cluster):
    """SHA-1 of the cluster's CA certificate as nodeadm writes it to /etc/kubernetes/pki/ca.crt."""
    data = (cluster.get("certificateAuthority") or {}).get("data") or ""
    try:
        return hashlib.sha1(base64.b64decode(data)).hexdigest() if data else ""
    except (ValueError, TypeError):
        return ""


def warn(module, message):
    """Warn once. AnsibleAWSModule (amazon.aws 10) also hands its warnings to exit_json, which ansible-core 2.19
    reports as deprecated; the AnsibleModule it wraps warns without that."""
    module._module.warn(message)  # pylint: disable=protected-access


def main():
    argument_spec = dict(
        cluster_name=dict(type="str", required=True),
        role_name=dict(type="str"),
        credential_provider=dict(type="str", choices=["ssm", "iam-ra"], default="ssm"),
        kubernetes_version=dict(type="str"),
        hosts=dict(type="dict", default={}),
        hybrid_nodes=dict(type="dict", default={}),
        pod_cidrs=dict(type="list", elements="str", default=[]),
        kubeconfig=dict(type="path"),
        context=dict(type="str"),
        skip_checks=dict(type="list", elements="str", default=[], choices=list(_host_checks.ALL_CHECK_NAMES)),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    retry = AWSRetry.jittered_backoff()
    eks = module.client("eks", retry_decorator=retry)
    ec2 = module.client("ec2", retry_decorator=retry)
    iam = module.client("iam", retry_decorator=retry)
    ssm = module.client("ssm", retry_decorator=retry)

    for name in module.params["skip_checks"]:
        warn(module, _host_checks.skipped_check_warning(name))

    cluster = read_cluster(module, eks, ec2)
    found = run_checks(module, cluster)
    if module.params["role_name"]:
        found += check_role(module, iam, eks, cluster["name"])

    node_ips, host_findings = host_checks(module, ssm, cluster)

    node_cidrs, pod_cidrs = checks.remote_networks(cluster)
    result = dict(
        changed=False,
        cluster=dict(
            name=cluster.get("name"),
            status=cluster.get("status"),
            version=cluster.get("version"),
            endpoint=cluster.get("endpoint"),
            remote_node_networks=node_cidrs,
            remote_pod_networks=pod_cidrs,
            service_cidr=(cluster.get("kubernetesNetworkConfig") or {}).get("serviceIpv4Cidr"),
            authentication_mode=(cluster.get("accessConfig") or {}).get("authenticationMode"),
            certificate_authority_sha1=ca_sha1(cluster),
        ),
        node_ips=node_ips,
        host_problems={host: checks.describe(finding) for host, finding in host_findings.items()},
        problems=[checks.describe(finding) for finding in found],
        skipped_checks=module.params["skip_checks"],
    )
    if found:
        module.fail_json(msg="Failed to pass the preflight of cluster %s: %s"
                             % (cluster.get("name"), " | ".join(result["problems"])), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
