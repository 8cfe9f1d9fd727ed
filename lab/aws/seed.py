"""What the lab's AWS account holds before any test runs: the EKS Workshop's hybrid setup.

- IAM role ``HYBRID_ROLE_NAME`` that SSM may assume (``sts:AssumeRole`` for ssm.amazonaws.com,
  limited by ``aws:SourceAccount`` and ``aws:SourceArn``), with AmazonSSMManagedInstanceCore and
  AmazonEC2ContainerRegistryPullOnly attached and an inline policy for what nodeadm calls;
- a VPC of ``VPC_CIDR`` with two subnets and a security group, and an ACTIVE EKS cluster
  ``CLUSTER_NAME`` in ``REGION`` whose endpoint and CA are the lab's Kubernetes API, with the
  lab's service CIDR, remote node and pod networks and authentication mode API_AND_CONFIG_MAP;
- a HYBRID_LINUX access entry for the hybrid role.

Managed policies exist only when moto loads them (MOTO_IAM_LOAD_MANAGED_POLICIES=true, set by
server.py before moto is imported).
"""

from __future__ import annotations

import base64
import ipaddress
import json

from moto.ec2.models import ec2_backends
from moto.eks.models import eks_backends
from moto.iam.models import iam_backends

import eks_access
import labconfig

CLUSTER_ROLE_NAME = "%s-cluster" % labconfig.CLUSTER_NAME
MANAGED_POLICY_ARNS = (
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
)
NODE_INLINE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["eks:DescribeCluster", "eks:ListAccessEntries"],
         "Resource": "arn:aws:eks:%s:%s:cluster/%s" % (labconfig.REGION, labconfig.ACCOUNT_ID, labconfig.CLUSTER_NAME)},
        {"Effect": "Allow", "Action": ["ssm:DeregisterManagedInstance", "ssm:DescribeInstanceInformation"],
         "Resource": "*"},
    ],
}


def ssm_trust_policy() -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ssm.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": labconfig.ACCOUNT_ID},
                "ArnEquals": {"aws:SourceArn": "arn:aws:ssm:%s:%s:*" % (labconfig.REGION, labconfig.ACCOUNT_ID)},
            },
        }],
    })


def eks_trust_policy() -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                       "Action": ["sts:AssumeRole", "sts:TagSession"]}],
    })


def seed_iam() -> None:
    iam = iam_backends[labconfig.ACCOUNT_ID]["global"]
    iam.create_role(
        role_name=labconfig.HYBRID_ROLE_NAME, assume_role_policy_document=ssm_trust_policy(), path="/",
        permissions_boundary=None, description="EKS hybrid nodes (lab)", tags=[], max_session_duration=None)
    for policy_arn in MANAGED_POLICY_ARNS:
        iam.attach_role_policy(policy_arn=policy_arn, role_name=labconfig.HYBRID_ROLE_NAME)
    iam.put_role_policy(role_name=labconfig.HYBRID_ROLE_NAME, policy_name="eks-hybrid-node",
                        policy_json=json.dumps(NODE_INLINE_POLICY))
    iam.create_role(
        role_name=CLUSTER_ROLE_NAME, assume_role_policy_document=eks_trust_policy(), path="/",
        permissions_boundary=None, description="EKS cluster (lab)", tags=[], max_session_duration=None)


def seed_network() -> dict[str, object]:
    """A VPC like the workshop's: the VPC CIDR, two subnets in it, a cluster security group."""
    ec2 = ec2_backends[labconfig.ACCOUNT_ID][labconfig.REGION]
    vpc = ec2.create_vpc(cidr_block=labconfig.VPC_CIDR,
                         tags=[{"Key": "Name", "Value": labconfig.CLUSTER_NAME}])
    subnet_ids = []
    halves = list(ipaddress.ip_network(labconfig.VPC_CIDR).subnets(new_prefix=24))[:2]
    for zone_suffix, cidr in zip("ab", halves):
        subnet = ec2.create_subnet(vpc_id=vpc.id, cidr_block=str(cidr),
                                   availability_zone=labconfig.REGION + zone_suffix)
        subnet_ids.append(subnet.id)
    group = ec2.create_security_group(name="%s-cluster" % labconfig.CLUSTER_NAME,
                                      description="EKS cluster (lab)", vpc_id=vpc.id)
    return {
        "vpcId": vpc.id,
        "subnetIds": subnet_ids,
        "securityGroupIds": [group.id],
        "endpointPublicAccess": False,
        "endpointPrivateAccess": True,
        "publicAccessCidrs": ["0.0.0.0/0"],
    }


def seed_cluster(kube_endpoint: str, kube_ca_pem: bytes) -> None:
    eks = eks_backends[labconfig.ACCOUNT_ID][labconfig.REGION]
    cluster = eks.create_cluster(
        name=labconfig.CLUSTER_NAME,
        role_arn="arn:aws:iam::%s:role/%s" % (labconfig.ACCOUNT_ID, CLUSTER_ROLE_NAME),
        resources_vpc_config=seed_network(),
        version=labconfig.CLUSTER_VERSION,
        kubernetes_network_config={"serviceIpv4Cidr": labconfig.SERVICE_CIDR, "ipFamily": "ipv4",
                                   "elasticLoadBalancing": {"enabled": False}},
        remote_network_config={
            "remoteNodeNetworks": [{"cidrs": list(labconfig.REMOTE_NODE_NETWORKS)}],
            "remotePodNetworks": [{"cidrs": list(labconfig.REMOTE_POD_NETWORKS)}],
        },
        tags={"lab": "eks-hybrid"},
    )
    cluster.endpoint = kube_endpoint
    cluster.certificate_authority = {"data": base64.b64encode(kube_ca_pem).decode()}
    eks_access.set_authentication_mode(cluster, "API_AND_CONFIG_MAP")
    eks_access.add_access_entry(cluster, principal_arn=labconfig.HYBRID_ROLE_ARN, entry_type="HYBRID_LINUX")


def seed(kube_endpoint: str, kube_ca_pem: bytes) -> None:
    """Create the workshop's account contents in moto's backends."""
    seed_iam()
    seed_cluster(kube_endpoint, kube_ca_pem)
