"""Shared fixtures for the unit tests: import path, running a module in-process, the field-case inputs."""

import json
import os
import sys

import pytest

_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            ".cache", "collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

from ansible.module_utils.testing import patch_module_args  # noqa: E402

INPUTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "nodeconfigs")


class ModuleRun:
    """The outcome of one module run: its exit code and parsed JSON result."""

    def __init__(self, exit_code, result):
        self.exit_code = exit_code
        self.result = result

    @property
    def failed(self):
        return bool(self.result.get("failed"))


@pytest.fixture
def run_module(capsys):
    """Run ``module.main()`` with the given arguments, as Ansible would, and return a ModuleRun."""

    def run(module, args, check_mode=False, diff=False):
        arguments = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
        capsys.readouterr()
        with patch_module_args(arguments):
            with pytest.raises(SystemExit) as exit_info:
                module.main()
        output = capsys.readouterr().out
        return ModuleRun(exit_info.value.code, json.loads(output))

    return run


@pytest.fixture
def inputs_dir():
    """Real NodeConfig files from the field cases (placeholders in angle brackets), see fixtures/nodeconfigs."""
    return INPUTS_DIR
