"""Fixtures for the ecosystem tests: the collection as ansible-galaxy, ansible-lint, ansible-test, molecule,
ansible-builder and ansible-runner see it, and the local lab for the tests that join machines."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
CACHED_COLLECTIONS = REPO / ".cache" / "collections"
sys.path.insert(0, str(REPO / "lab"))


def _load_e2e_fixtures():
    """tests/e2e/conftest.py under a name of its own, for its Lab class and lab helpers."""
    spec = importlib.util.spec_from_file_location("eks_hybrid_e2e_fixtures", REPO / "tests" / "e2e" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


e2e = _load_e2e_fixtures()


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs the local lab (root; lab/labctl.py up and down)")


def tool_environment(collections_path=CACHED_COLLECTIONS, **extra):
    """This process's environment with the venv's tools first and the given collections path."""
    env = dict(os.environ)
    env.update({
        "PATH": "%s:%s" % (VENV_BIN, env.get("PATH", "")),
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "NO_COLOR": "1",
        "PY_COLORS": "0",
    })
    env.update(extra)
    return env


def run(argv, *, env=None, cwd=REPO, timeout=600):
    """Run a program to completion; the result carries output = stdout + stderr."""
    completed = subprocess.run([str(part) for part in argv], cwd=cwd, env=env or tool_environment(),
                               capture_output=True, text=True, timeout=timeout, check=False)
    completed.output = completed.stdout + completed.stderr
    return completed


def git_listed_files():
    """Files git tracks or would add (untracked and not ignored), that exist in the working tree."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    return sorted(path for path in listed if path and (REPO / path).is_file())


def stage_collection(root):
    """Copy the git-listed files to <root>/ansible_collections/eks_hybrid/nodes and return that directory."""
    destination = pathlib.Path(root) / "ansible_collections" / "eks_hybrid" / "nodes"
    for path in git_listed_files():
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPO / path).read_bytes())
        target.chmod((REPO / path).stat().st_mode & 0o777)
    return destination


@pytest.fixture(scope="session")
def built_artifact(tmp_path_factory):
    """The collection artifact that `ansible-galaxy collection build` makes from this checkout."""
    output = tmp_path_factory.mktemp("galaxy-build")
    built = run([VENV_BIN / "ansible-galaxy", "collection", "build", "--output-path", output, REPO])
    assert built.returncode == 0, "Failed to build the collection:\n" + built.output
    artifacts = sorted(output.glob("eks_hybrid-nodes-*.tar.gz"))
    assert len(artifacts) == 1, built.output
    return artifacts[0]


@pytest.fixture(scope="module")
def lab():
    """A freshly started lab with three hosts for one test module, torn down at its end whatever happens."""
    e2e.labctl("down", check=False)
    started = e2e.labctl("up", "--hosts", "3", check=False)
    try:
        assert started.returncode == 0, "Failed to start the lab:\n%s\n%s" % (started.stdout, started.stderr)
        yield e2e.Lab()
    finally:
        e2e.labctl("down", check=False)
