"""The join driven the way AWX drives a job: ansible-runner with a private data directory (project, inventory,
env/extravars, env/envvars carrying the AWS credential the way AWX injects one, env/ssh_key as a machine
credential). The runner's artifacts (stdout, job events, fact cache) hold none of the secrets."""

import json
import secrets
import shutil

import pytest
import yaml

from conftest import REPO, VENV_BIN, e2e

pytestmark = pytest.mark.lab

HOSTS = ("lab-node-1", "lab-node-2", "lab-node-3")


def private_data_dir(lab, root, aws_secret_key):
    """A private data directory as AWX writes one for a job template that runs the join."""
    (root / "project").mkdir(parents=True)
    (root / "project" / "join.yml").write_text(
        "---\n- name: Join the inventory to EKS\n  ansible.builtin.import_playbook: eks_hybrid.nodes.join_hybrid\n",
        encoding="utf-8")

    state = e2e.labconfig.STATE_DIR
    with open(state + "/inventory.yml", encoding="utf-8") as handle:
        inventory = yaml.safe_load(handle)
    ssh_key_file = None
    for group in inventory["all"]["children"].values():
        ssh_key_file = (group.get("vars") or {}).pop("ansible_ssh_private_key_file", ssh_key_file)
    (root / "inventory").mkdir()
    (root / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    shutil.copytree(REPO / "lab" / "inventory" / "group_vars", root / "inventory" / "group_vars")

    env = root / "env"
    env.mkdir()
    with open(ssh_key_file, encoding="utf-8") as handle:
        ssh_key = handle.read()
    (env / "ssh_key").write_text(ssh_key, encoding="utf-8")
    envvars = {key: value for key, value in lab.env.items()
               if key.startswith(("AWS_", "KUBECONFIG", "EKS_HYBRID_LAB", "HTTP", "http", "NO_PROXY", "no_proxy"))}
    envvars.update({
        "AWS_ACCESS_KEY_ID": "AKIA" + secrets.token_hex(8).upper(),
        "AWS_SECRET_ACCESS_KEY": aws_secret_key,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".cache" / "collections"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "PATH": "%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" % VENV_BIN,
    })
    envvars.pop("AWS_SESSION_TOKEN", None)
    envvars.pop("AWS_SECURITY_TOKEN", None)
    (env / "envvars").write_text(json.dumps(envvars), encoding="utf-8")
    (env / "extravars").write_text(json.dumps({
        "eks_hybrid_cluster_name": e2e.labconfig.CLUSTER_NAME,
        "eks_hybrid_region": e2e.labconfig.REGION,
        "eks_hybrid_role_name": e2e.labconfig.HYBRID_ROLE_NAME,
    }), encoding="utf-8")
    return ssh_key


def activation_codes(lab):
    codes = set()
    for host in HOSTS:
        nodeconfig = lab.host_root(host) + "/etc/nodeadm/nodeconfig.yaml"
        with open(nodeconfig, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        codes.add(document["spec"]["hybrid"]["ssm"]["activationCode"])
    return codes


@pytest.fixture(scope="module")
def runner_job(lab, tmp_path_factory):
    import ansible_runner  # pylint: disable=import-outside-toplevel

    root = tmp_path_factory.mktemp("awx-job")
    aws_secret_key = "awx-" + secrets.token_urlsafe(30)
    ssh_key = private_data_dir(lab, root, aws_secret_key)
    result = ansible_runner.run(private_data_dir=str(root), playbook="join.yml", ident="join", verbosity=3,
                                quiet=True, timeout=900)
    return result, root / "artifacts" / "join", {"AWS secret key": aws_secret_key, "SSH private key": ssh_key}


def test_runner_job_joins_every_host(lab, runner_job):
    result, artifacts = runner_job[:2]
    assert result.status == "successful", (artifacts / "stdout").read_text(encoding="utf-8")[-6000:]
    assert set(HOSTS) <= set(result.stats["ok"]), result.stats
    assert not result.stats["failures"] and not result.stats["dark"], result.stats
    hybrid = [node for node in lab.kube().list_node().items
              if (node.metadata.labels or {}).get("eks.amazonaws.com/compute-type") == "hybrid"]
    assert len(hybrid) == len(HOSTS)


def test_runner_artifacts_hold_no_secret(lab, runner_job):
    artifacts, known_secrets = runner_job[1:]
    codes = activation_codes(lab)
    assert codes and all(len(code) >= 16 for code in codes), "the hosts hold no activation code"
    known_secrets.update({"activation code %d" % number: code for number, code in enumerate(sorted(codes))})
    ssh_key_body = "".join(line for line in known_secrets.pop("SSH private key").splitlines()
                           if line and not line.startswith("-----"))
    known_secrets["SSH private key"] = ssh_key_body[10:70]

    files = [artifacts / "stdout", *sorted((artifacts / "job_events").glob("*.json")),
             *sorted(path for path in (artifacts / "fact_cache").rglob("*") if path.is_file())]
    assert len(files) > 10 and any("fact_cache" in str(path) for path in files), files
    leaks = ["%s in %s" % (what, path.relative_to(artifacts)) for path in files
             for what, secret in known_secrets.items() if secret in path.read_text(encoding="utf-8", errors="replace")]
    assert not leaks, leaks
