"""Role argument specs stop a run at its first role task, naming the variable: what an AWX user sees first."""

import json
import re

import pytest

from conftest import VENV_BIN, e2e, run, tool_environment

PLAYBOOK = """\
- name: Use the role with the variables under test
  hosts: localhost
  connection: local
  gather_facts: true
  gather_subset:
    - min
  tasks:
    - name: Include the role
      ansible.builtin.include_role:
        name: eks_hybrid.nodes.{role}
        {tasks_from}
"""
HYBRID_NODE_REQUIRED = {"hybrid_node_cluster_name": "eks-workshop", "hybrid_node_region": "us-west-2"}


def play_role(tmp_path, role, variables, tasks_from=None):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK.format(role=role, tasks_from="tasks_from: %s" % tasks_from if tasks_from else ""),
                        encoding="utf-8")
    extra_vars = tmp_path / "extra-vars.json"
    extra_vars.write_text(json.dumps(variables), encoding="utf-8")
    argv = [VENV_BIN / "ansible-playbook", "-i", "localhost,", playbook, "-e", "@%s" % extra_vars,
            "-e", "ansible_python_interpreter=%s" % (VENV_BIN / "python")]
    return e2e.PlaybookRun(run(argv, env=tool_environment(), cwd=tmp_path, timeout=120))


def role_tasks_run(played, role):
    return re.findall(r"^TASK \[eks_hybrid\.nodes\.%s : (.*?)\] \*+$" % role, played.output, re.MULTILINE)


def assert_stopped_by_validation(played, role, *fragments):
    assert played.rc != 0, played
    tasks = role_tasks_run(played, role)
    assert len(tasks) == 1 and tasks[0].startswith("Validating arguments against arg spec"), tasks
    failure = played.output[played.output.index("TASK [eks_hybrid.nodes.%s" % role):]
    first_lines = "\n".join(failure.splitlines()[:6])
    for fragment in fragments:
        assert fragment in first_lines, first_lines


@pytest.mark.parametrize("missing", sorted(HYBRID_NODE_REQUIRED))
def test_hybrid_node_without_a_required_variable_stops_at_once_and_names_it(tmp_path, missing):
    variables = {name: value for name, value in HYBRID_NODE_REQUIRED.items() if name != missing}
    played = play_role(tmp_path, "hybrid_node", variables)
    assert_stopped_by_validation(played, "hybrid_node", "missing required arguments: %s" % missing)


@pytest.mark.parametrize("name, value, expected_type", [
    ("hybrid_node_command_timeout", "soon", "int"),
    ("hybrid_node_node_labels", "edge", "dict"),
    ("hybrid_node_enable_credentials_file", "perhaps", "bool"),
])
def test_hybrid_node_with_a_wrong_type_stops_at_once_and_names_it(tmp_path, name, value, expected_type):
    played = play_role(tmp_path, "hybrid_node", dict(HYBRID_NODE_REQUIRED, **{name: value}))
    assert_stopped_by_validation(played, "hybrid_node", "argument '%s' is of type" % name, expected_type)


def test_hybrid_node_with_an_unknown_credential_provider_names_the_choices(tmp_path):
    played = play_role(tmp_path, "hybrid_node", dict(HYBRID_NODE_REQUIRED, hybrid_node_credential_provider="iam"))
    assert_stopped_by_validation(played, "hybrid_node", "hybrid_node_credential_provider", "ssm, iam-ra")


def test_hybrid_node_inspect_entry_point_is_validated_too(tmp_path):
    played = play_role(tmp_path, "hybrid_node", {"hybrid_node_region": "us-west-2"}, tasks_from="inspect")
    assert_stopped_by_validation(played, "hybrid_node", "missing required arguments: hybrid_node_cluster_name")


@pytest.mark.parametrize("name, value, expected_type", [
    ("cilium_operator_replicas", "three", "int"),
    ("cilium_values_overrides", "kubernetes", "dict"),
    ("cilium_wait", "later", "bool"),
])
def test_cilium_with_a_wrong_type_stops_at_once_and_names_it(tmp_path, name, value, expected_type):
    played = play_role(tmp_path, "cilium", {name: value})
    assert_stopped_by_validation(played, "cilium", "argument '%s' is of type" % name, expected_type)


@pytest.mark.lab
def test_join_playbook_rejects_a_wrong_role_variable_before_minting_an_activation(lab):
    before = lab.aws_state()
    played = lab.run_playbook("-e", "hybrid_node_command_timeout=soon")
    assert played.rc != 0, played
    assert "hybrid_node_command_timeout" in played.output, played
    assert lab.aws_state() == before, "the run changed AWS before it rejected its input"
