"""Bad inputs never reach a machine: each is reported with where, field, value and fix, and nothing changes.

Host-level inputs are given to inventory aliases of the lab machines (several aliases per machine), all in one run:
every alias must fail in the summary table with its own message while no machine, activation or cluster object
changes. Run-level inputs (the cluster, the account, the inputs of the run) each stop a run of their own.
"""

import contextlib
import os

import pytest
import yaml
from kubernetes import client

import labconfig
from e2e_lab import forget_hybrid_nodes, host_file_exists, labctl

LAB_HOSTS = ["10.52.100.11", "10.52.100.12", "10.52.100.13"]

# alias suffix -> (host variables, substrings the host's message must contain)
HOST_CASES = {
    "hostname-override": ({"hybrid_node_kubelet_flags": ["--hostname-override=edge-01.example.internal"]},
                          ["hostname-override", "edge-01.example.internal"]),
    "node-ip-twice": ({"hybrid_node_kubelet_flags": ["--node-ip=10.52.100.11,10.52.100.12"]}, ["node-ip"]),
    "node-ip-garbage": ({"hybrid_node_kubelet_flags": ["--node-ip=not-an-ip"]}, ["node-ip", "not-an-ip"]),
    "node-ip-ipv6": ({"hybrid_node_node_ip": "fd00::15"}, ["node-ip", "fd00::15", "IPv4"]),
    "node-ip-outside": ({"hybrid_node_node_ip": "10.99.1.5"}, ["hybrid_node_node_ip", "10.99.1.5",
                                                               "remote node networks"]),
    "node-ip-not-on-host": ({"hybrid_node_node_ip": "10.52.100.200"}, ["hybrid_node_node_ip", "10.52.100.200",
                                                                       "no such address"]),
    "moved-node-name": ({"hybrid_node_extra_nodeconfig": {"spec": {"hybrid": {"nodeName": "edge-01"}}}},
                        ["spec.hybrid.nodeName", "spec.hybrid.iamRolesAnywhere.nodeName"]),
    "moved-region": ({"hybrid_node_extra_nodeconfig": {"spec": {"hybrid": {"region": "us-west-2"}}}},
                     ["spec.hybrid.region", "spec.cluster.region"]),
    "renamed-credentials-file": ({"hybrid_node_extra_nodeconfig": {"spec": {"hybrid": {
        "enableHostCredentialsFile": True}}}}, ["enableHostCredentialsFile", "enableCredentialsFile"]),
    "unknown-cluster-field": ({"hybrid_node_extra_nodeconfig": {"spec": {"cluster": {"endpoint": "x"}}}},
                              ["spec.cluster.endpoint"]),
    "unknown-kubelet-field": ({"hybrid_node_extra_nodeconfig": {"spec": {"kubelet": {"extraArgs": ["-v=2"]}}}},
                              ["spec.kubelet.extraArgs"]),
    "ec2-base-runtime-spec": ({"hybrid_node_extra_nodeconfig": {"spec": {"containerd": {
        "baseRuntimeSpec": {"process": {}}}}}}, ["baseRuntimeSpec"]),
    "two-credential-providers": ({"hybrid_node_extra_nodeconfig": {"spec": {"hybrid": {"iamRolesAnywhere": {
        "nodeName": "edge-01"}}}}}, ["IAMRolesAnywhere", "SSM"]),
    "outpost": ({"hybrid_node_extra_nodeconfig": {"spec": {"cluster": {"enableOutpost": True}}}}, ["enableOutpost"]),
    "plain-http-endpoint": ({"hybrid_node_api_server_endpoint": "http://10.52.100.1:6443"},
                            ["apiServerEndpoint", "http://10.52.100.1:6443"]),
    "ca-not-base64": ({"hybrid_node_certificate_authority": "-----BEGIN CERTIFICATE-----"},
                      ["certificateAuthority"]),
    "service-cidr": ({"hybrid_node_service_cidr": "172.20.0.0/33"}, ["cidr", "172.20.0.0/33"]),
    "taint-format": ({"hybrid_node_node_taints": ["dedicated"]}, ["taint", "dedicated"]),
    "restricted-label": ({"hybrid_node_node_labels": {"kubernetes.io/role": "gpu"}}, ["kubernetes.io/role"]),
    "bad-label-key": ({"hybrid_node_node_labels": {"bad key!": "x"}}, ["bad key!"]),
    "containerd-toml": ({"hybrid_node_containerd_config": "version = = 2"}, ["containerd"]),
    "old-nodeadm-v1.0.3": ({"hybrid_node_nodeadm_version": "v1.0.3"}, ["hybrid_node_nodeadm_version", "v1.0.3",
                                                                        "v1.0.19"]),
    "old-nodeadm-v1.0.18": ({"hybrid_node_nodeadm_version": "v1.0.18"}, ["v1.0.18", "ssm-setup-cli"]),
    "placeholder-activation": ({"hybrid_node_extra_nodeconfig": {"spec": {"hybrid": {"ssm": {
        "activationId": "<ACTIVATION_ID>", "activationCode": "<ACTIVATION_CODE_PLACEHOLDER_TEXT>"}}}}},
                               ["ActivationID", "<ACTIVATION_ID>"]),
    "short-activation-code": ({"hybrid_node_extra_nodeconfig": {"spec": {"hybrid": {"ssm": {
        "activationId": "6f68cf7a-c4c7-4331-82eb-f8a5ab3103e5", "activationCode": "tooShort7"}}}}},
                              ["ActivationCode", "20-250"]),
    "staticpod-input-unfilled": ({"hybrid_node_extra_nodeconfig": {"spec": {
        "kubelet": {"config": {"staticPodPath": "/etc/kubernetes/manifests"},
                    "flags": ["--node-labels=topology.kubernetes.io/zone=<ZONE_LABEL>"]}}}},
                                 ["node-labels", "<ZONE_LABEL>"]),
    "iam-ra-fields-under-ssm": ({"hybrid_node_extra_nodeconfig": {"spec": {"hybrid": {"iamRolesAnywhere": {
        "nodeName": "n" * 70, "trustAnchorArn": "arn:aws:acm-pca:us-west-2:123456789012:certificate-authority/x"}}}}},
                                ["IAMRolesAnywhere"]),
    "wrong-type-bool": ({"hybrid_node_enable_credentials_file": "maybe"}, ["hybrid_node_enable_credentials_file"]),
}

# name -> (extra variables, substring of the message that stops the run)
RUN_CASES = {
    "version-with-v": ({"eks_hybrid_kubernetes_version": "v1.31"}, "without a leading v"),
    "version-unknown": ({"eks_hybrid_kubernetes_version": "1.40"}, "nodeadm installs"),
    "version-newer-than-cluster": ({"eks_hybrid_kubernetes_version": "1.33"}, "may not be newer than the cluster"),
    "pod-cidr-outside": ({"cilium_pod_cidrs": ["10.60.0.0/16"]}, "inside the remote pod networks"),
    "pod-cidr-overlaps-services": ({"cilium_pod_cidrs": ["172.20.0.0/16"]}, "overlap the service CIDR"),
    "role-missing": ({"eks_hybrid_role_name": "no-such-role"}, "No IAM role no-such-role exists"),
    "role-empty": ({"eks_hybrid_role_name": ""}, "eks_hybrid_role_name"),
    "cluster-unknown": ({"eks_hybrid_cluster_name": "other-cluster"}, "Failed to find cluster other-cluster"),
    "region-without-cluster": ({"eks_hybrid_region": "eu-west-1"}, "in region eu-west-1"),
    "iam-ra-with-ssm-role": ({"eks_hybrid_credential_provider": "iam-ra"}, "must trust rolesanywhere.amazonaws.com"),
    "group-missing": ({"eks_hybrid_target_group": "no_such_group"},
                      "'no_such_group' (eks_hybrid_target_group) holds no host (it is not in the inventory)"),
    "group-empty": ({"eks_hybrid_target_group": "lab_outside"}, "'lab_outside' (eks_hybrid_target_group) holds no "
                                                                "host (it is empty)"),
    "kube-context-elsewhere": ({"eks_hybrid_kubeconfig": "@other-kubeconfig"}, "must be the API endpoint of cluster"),
    "wrong-type-timeout": ({"hybrid_node_command_timeout": "soon"}, "hybrid_node_command_timeout"),
    "operator-replicas-above-nodes": ({"cilium_operator_replicas": 4},
                                      "operator.replicas is 4, but the cluster will have 3 hybrid node(s)"),
    "operator-replicas-in-overrides": ({"cilium_values_overrides": {"operator": {"replicas": 5}}},
                                       "Set operator.replicas in cilium_values_overrides to 3 or fewer"),
    "skip-check-misspelt": ({"eks_hybrid_skip_checks": ["swapp"]}, "swapp"),
    "cilium-removed-tunnel": ({"cilium_values_overrides": {"tunnel": "geneve"}},
                              "routingMode: tunnel and tunnelProtocol: geneve instead; Geneve runs on 6081/udp"),
    "cilium-old-kube-proxy-word": ({"cilium_values_overrides": {"kubeProxyReplacement": "strict"}},
                                   'kubeProxyReplacement is "strict"'),
    "kube-proxy-replaced-without-api-host": ({"cilium_values_overrides": {"kubeProxyReplacement": True}},
                                             'its port, but they are "" and ""'),
    "kube-proxy-replaced-api-host-with-scheme": ({"cilium_values_overrides": {
        "kubeProxyReplacement": True, "k8sServiceHost": "https://ABC.gr7.us-west-2.eks.amazonaws.com",
        "k8sServicePort": 443}}, 'host name without a scheme and k8sServicePort its port, but they are "https://ABC'),
    "kube-proxy-word-capitalised": ({"cilium_values_overrides": {"kubeProxyReplacement": "True"}},
                                    'kubeProxyReplacement is "True"'),
    "cilium-removed-tunnel-disabled": ({"cilium_values_overrides": {"tunnel": "disabled"}},
                                       "Set routingMode: native and ipv4NativeRoutingCIDR instead"),
    "pod-cidr-outside-via-overrides": ({"cilium_values_overrides": {"ipam": {"operator": {
        "clusterPoolIPv4PodCIDRList": "10.60.0.0/16"}}}}, "inside the remote pod networks"),
    "cilium-installed-elsewhere": ({"@foreign_cilium": True},
                                   "already run from DaemonSet kube-system/cilium (Helm release none)"),
    "no-kube-proxy-auto-mode": ({"@remove_kube_proxy": True}, "the cluster has no DaemonSet kube-system/kube-proxy"),
    "helm-missing": ({"cilium_helm_binary": "/opt/no-such-helm/helm"},
                     "Failed to use the helm client cilium_helm_binary (/opt/no-such-helm/helm): it must be Helm 3"),
}


@contextlib.contextmanager
def without_kube_proxy(lab):
    """The lab cluster without its kube-proxy DaemonSet, as an EKS Auto Mode cluster is; put back afterwards."""
    apps = client.AppsV1Api(lab.kube().api_client)
    saved = apps.read_namespaced_daemon_set("kube-proxy", "kube-system")
    apps.delete_namespaced_daemon_set("kube-proxy", "kube-system")
    try:
        yield
    finally:
        saved.metadata = client.V1ObjectMeta(name="kube-proxy", namespace="kube-system", labels=saved.metadata.labels)
        saved.status = None
        apps.create_namespaced_daemon_set("kube-system", saved)


@contextlib.contextmanager
def cilium_installed_by_hand(lab):
    """A Cilium agent DaemonSet in kube-system that no Helm release owns, as plain manifests leave it."""
    apps = client.AppsV1Api(lab.kube().api_client)
    labels = {"k8s-app": "cilium"}
    apps.create_namespaced_daemon_set("kube-system", client.V1DaemonSet(
        metadata=client.V1ObjectMeta(name="cilium", labels=labels),
        spec=client.V1DaemonSetSpec(
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    containers=[client.V1Container(name="cilium-agent", image="quay.io/cilium/cilium:v1.16.5")],
                    node_selector={"eks.amazonaws.com/compute-type": "hybrid"})))))
    try:
        yield
    finally:
        apps.delete_namespaced_daemon_set("cilium", "kube-system")


def lab_unchanged(lab, before):
    assert lab.minted_since(before) == []
    for host in ["lab-node-1", "lab-node-2", "lab-node-3"]:
        for path in ("/etc/nodeadm/nodeconfig.yaml", "/usr/local/bin/nodeadm", "/var/lib/amazon/ssm/registration"):
            assert not host_file_exists(lab, host, path), (host, path)
    core = lab.kube()
    assert [n.metadata.name for n in core.list_node().items
            if n.metadata.labels.get("eks.amazonaws.com/compute-type") == "hybrid"] == before["hybrid_nodes"]
    assert [s.metadata.name for s in core.list_secret_for_all_namespaces(label_selector="owner=helm").items] == \
        before["releases"]


@pytest.fixture(scope="module")
def pristine(lab):
    """A lab whose machines are fresh, with a snapshot of AWS and cluster state to compare against."""
    assert labctl("up", "--hosts", "3", check=False).returncode == 0
    assert labctl("reset-hosts", check=False).returncode == 0
    forget_hybrid_nodes()
    before = lab.aws_state()
    core = lab.kube()
    before["hybrid_nodes"] = [n.metadata.name for n in core.list_node().items
                              if n.metadata.labels.get("eks.amazonaws.com/compute-type") == "hybrid"]
    before["releases"] = [s.metadata.name for s in core.list_secret_for_all_namespaces(
        label_selector="owner=helm").items]
    return before


def test_each_bad_host_input_is_named_in_the_table_and_no_machine_changes(lab, pristine, tmp_path):
    with open(os.path.join(labconfig.STATE_DIR, "inventory.yml"), encoding="utf-8") as handle:
        lab_inventory = yaml.safe_load(handle)
    connection = dict(lab_inventory["all"]["children"]["hybrid_nodes"].get("vars", {}))
    hosts = {}
    for index, (name, (variables, _)) in enumerate(sorted(HOST_CASES.items())):
        hosts["bad-" + name] = dict(variables, ansible_host=LAB_HOSTS[index % len(LAB_HOSTS)])
    inventory = tmp_path / "bad-hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"hybrid_nodes": {"hosts": hosts,
                                                                                "vars": connection}}}}))

    run = lab.run_playbook(inventory=[str(inventory), os.path.join(labconfig.REPO_ROOT, "lab", "inventory")])

    assert run.rc != 0, run
    rows = {}
    for line in run.output.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[0].startswith("bad-") and parts[1] != ":":
            rows[parts[0]] = (parts[2], parts[3])
    missing = sorted(set(hosts) - set(rows))
    assert not missing, (missing, run.output[-4000:])
    wrong = {}
    for name, (_, expected) in HOST_CASES.items():
        status, detail = rows["bad-" + name]
        if status != "Failed" or not all(text in detail for text in expected):
            wrong[name] = (status, detail)
    assert not wrong, wrong
    assert "tooShort7" not in run.output
    lab_unchanged(lab, pristine)


@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_each_bad_run_input_stops_the_run_before_any_change(lab, pristine, case, tmp_path):
    variables, expected = RUN_CASES[case]
    variables = dict(variables)
    if variables.get("eks_hybrid_kubeconfig") == "@other-kubeconfig":
        with open(lab.env["KUBECONFIG"], encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
        for cluster in config["clusters"]:
            cluster["cluster"]["server"] = "https://127.0.0.1:%d" % labconfig.KUBE_PORT
        other = tmp_path / "kubeconfig"
        other.write_text(yaml.safe_dump(config))
        variables["eks_hybrid_kubeconfig"] = str(other)
    extra = tmp_path / "extra.yml"
    extra.write_text(yaml.safe_dump({key: value for key, value in variables.items() if not key.startswith("@")}))

    if variables.get("@remove_kube_proxy"):
        with without_kube_proxy(lab):
            run = lab.run_playbook("-e", "@%s" % extra)
    elif variables.get("@foreign_cilium"):
        with cilium_installed_by_hand(lab):
            run = lab.run_playbook("-e", "@%s" % extra)
    else:
        run = lab.run_playbook("-e", "@%s" % extra)

    assert run.rc != 0, run
    assert expected in run.words, run
    lab_unchanged(lab, pristine)
