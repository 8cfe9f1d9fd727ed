"""Addresses, names and ports of the local lab. One place, read by every lab program and test."""

import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE_DIR = os.environ.get("EKS_HYBRID_LAB_STATE", os.path.join(REPO_ROOT, ".lab"))
CACHE_DIR = os.environ.get("EKS_HYBRID_LAB_CACHE", "/var/cache/eks-hybrid-lab")

# The lab's own network: a bridge in the root namespace and one namespace per host.
BRIDGE = "ekshlab0"
BRIDGE_IP = "10.52.100.1"
BRIDGE_PREFIX = 24
HOST_IP_BASE = 11  # host N (1-based) gets 10.52.100.(10 + N)
NETNS_PREFIX = "ekshlab-"
# A second lab subnet, outside every remote node network, for hosts that must be refused.
OUTSIDE_BRIDGE = "ekshlab1"
OUTSIDE_BRIDGE_IP = "10.99.100.1"

# Lab servers listen on loopback (for the controller) and on the bridge address (for the hosts).
AWS_PORT = 5000
KUBE_PORT = 6443
FILES_PORT = 8080
AWS_ENDPOINT = "http://127.0.0.1:%d" % AWS_PORT
AWS_ENDPOINT_FOR_HOSTS = "http://%s:%d" % (BRIDGE_IP, AWS_PORT)
KUBE_ENDPOINT = "https://%s:%d" % (BRIDGE_IP, KUBE_PORT)
FILES_URL = "http://%s:%d" % (BRIDGE_IP, FILES_PORT)

# The AWS side, as the EKS Workshop sets it up.
ACCOUNT_ID = "123456789012"
REGION = "us-west-2"
CLUSTER_NAME = "eks-workshop"
CLUSTER_VERSION = "1.31"
VPC_CIDR = "10.42.0.0/16"
SERVICE_CIDR = "172.20.0.0/16"
REMOTE_NODE_NETWORKS = ["10.52.0.0/16"]
REMOTE_POD_NETWORKS = ["10.53.0.0/16"]
HYBRID_ROLE_NAME = "eks-workshop-hybrid-nodes"
HYBRID_ROLE_ARN = "arn:aws:iam::%s:role/%s" % (ACCOUNT_ID, HYBRID_ROLE_NAME)

# nodeadm and Cilium as the lab serves them.
NODEADM_VERSION = "v1.0.20"
CILIUM_CHART_VERSION = "1.17.1"
