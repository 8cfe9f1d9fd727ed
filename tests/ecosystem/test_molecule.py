"""molecule's default scenario: create lab hosts, converge the join, idempotence, verify from the cluster side,
destroy."""

import re

import pytest

from conftest import VENV_BIN, e2e, run, tool_environment


@pytest.mark.lab
def test_molecule_default_scenario_passes():
    e2e.labctl("down", check=False)
    try:
        tested = run([VENV_BIN / "molecule", "test", "--scenario-name", "default"], env=tool_environment(),
                     timeout=1800)
    finally:
        e2e.labctl("down", check=False)
    assert tested.returncode == 0, tested.output[-8000:]
    for action in ("create", "converge", "idempotence", "verify", "destroy"):
        assert re.search(r"default\W+%s\W+Executed: Successful" % action, tested.output), action
