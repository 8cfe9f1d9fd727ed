"""Helpers for end-to-end tests: the local lab, playbook runs against it, and views of its state."""

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "lab"))

import labconfig  # noqa: E402

PYTHON = os.path.join(REPO, ".venv", "bin", "python")
LABCTL = [PYTHON, os.path.join(REPO, "lab", "labctl.py")]


def labctl(*args, check=True):
    return subprocess.run(LABCTL + list(args), cwd=REPO, check=check, capture_output=True, text=True)


def lab_environment():
    """The environment lab/labctl.py writes for the controller, on top of this process's own."""
    env = dict(os.environ)
    with open(os.path.join(labconfig.STATE_DIR, "lab.env"), encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line.startswith("export "):
                line = line[len("export "):]
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key] = shlex.split(value)[0] if value else ""
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "lab", "ansible.cfg")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


class PlaybookRun:
    """The outcome of one ansible-playbook run: exit code, output and the PLAY RECAP per host."""

    def __init__(self, completed):
        self.rc = completed.returncode
        self.output = completed.stdout + completed.stderr
        # The YAML callback folds long messages over several lines; tests look for phrases in this instead.
        self.words = " ".join(self.output.split())
        self.recap = {}
        for match in re.finditer(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                                 r"\s+skipped=(\d+)\s+rescued=(\d+)", self.output, re.MULTILINE):
            host, ok, changed, unreachable, failed, skipped, rescued = match.groups()
            self.recap[host] = {"ok": int(ok), "changed": int(changed), "unreachable": int(unreachable),
                                "failed": int(failed), "skipped": int(skipped), "rescued": int(rescued)}

    def __repr__(self):
        return "PlaybookRun(rc=%s)\n%s" % (self.rc, self.output[-6000:])


class Lab:
    """Handles on the running lab for tests."""

    def __init__(self):
        self.env = lab_environment()

    def run_playbook(self, *extra, playbook="eks_hybrid.nodes.join_hybrid", inventory=None):
        inventories = inventory or [os.path.join(labconfig.STATE_DIR, "inventory.yml"),
                                    os.path.join(REPO, "lab", "inventory")]
        inventories = list(inventories)
        argv = [os.path.join(REPO, ".venv", "bin", "ansible-playbook")]
        for source in inventories:
            argv += ["-i", source]
        argv += [playbook] + list(extra)
        completed = subprocess.run(argv, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=900,
                                   check=False)
        return PlaybookRun(completed)

    def aws_state(self):
        """Activations (live and deleted) and managed instances of the lab's account in the lab's region."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(labconfig.AWS_ENDPOINT + "/_lab/state", timeout=10) as response:
            state = json.load(response)
        regional = [entry for entry in state["ssm"] if entry["region"] == labconfig.REGION]
        merged = {"activations": [], "deleted_activations": [], "managed_instances": []}
        for entry in regional:
            for key in merged:
                merged[key].extend(entry.get(key, []))
        return merged

    def minted_since(self, before):
        """Every activation, live or deleted, that did not exist in an earlier aws_state()."""
        known = {a["ActivationId"] for a in before["activations"] + before["deleted_activations"]}
        now = self.aws_state()
        return [a for a in now["activations"] + now["deleted_activations"] if a["ActivationId"] not in known]

    def kube(self):
        from kubernetes import client, config

        api_client = config.new_client_from_config(config_file=self.env["KUBECONFIG"])
        return client.CoreV1Api(api_client)

    def host_root(self, name):
        return os.path.join(labconfig.STATE_DIR, "hosts", name, "root")

    def host_upper(self, name):
        return os.path.join(labconfig.STATE_DIR, "hosts", name, "upper")

    def ssh(self, name, command):
        return labctl("ssh", name, "--", command, check=False)


def table_rows(output):
    """HOST -> (NODE, STATUS, DETAIL) from the summary table of a run."""
    rows = {}
    for line in output.splitlines():
        match = re.match(r"^\s+(lab-(?:node|outside)-\d)\s+(\S+)\s+(\S+)\s+(.*)$", line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3), match.group(4).strip())
    return rows


def host_file_exists(lab, host, path):
    return os.path.exists(os.path.join(lab.host_root(host), path.lstrip("/")))


def forget_hybrid_nodes():
    """Delete the lab cluster's hybrid Nodes, as an admin does once the machines behind them were replaced."""
    core = Lab().kube()
    for node in core.list_node(label_selector="eks.amazonaws.com/compute-type=hybrid").items:
        core.delete_node(node.metadata.name)


def fresh_fleet(*extra):
    """Fresh lab machines, and a cluster without the Nodes of the machines they replace."""
    started = labctl("up", "--hosts", "3", *extra, check=False)
    assert started.returncode == 0, started.stderr
    reset = labctl("reset-hosts", check=False)
    assert reset.returncode == 0, reset.stderr
    forget_hybrid_nodes()
