"""Fixtures for end-to-end tests: a freshly started lab shared by the whole session."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_lab import Lab, PlaybookRun, labconfig, labctl, lab_environment  # noqa: E402,F401  (tests/ecosystem uses them)


@pytest.fixture(scope="session")
def lab():
    """A freshly started lab with three hosts, torn down at the end of the session whatever happens."""
    labctl("down", check=False)
    started = labctl("up", "--hosts", "3", check=False)
    try:
        assert started.returncode == 0, "Failed to start the lab:\n%s\n%s" % (started.stdout, started.stderr)
        yield Lab()
    finally:
        labctl("down", check=False)
