"""The built collection artifact: it holds the collection and nothing of the lab, test output or caches, and
a clean collections path that gets it installed offline runs the join playbook against the lab."""

import json
import pathlib
import tarfile

import pytest
import yaml

from conftest import CACHED_COLLECTIONS, REPO, VENV_BIN, e2e, git_listed_files, run, tool_environment

# Everything the artifact must never carry, as path prefixes or path parts.
FORBIDDEN_PREFIXES = (".cache/", ".lab/", ".venv/", ".ansible/", ".git/", "lab/", "tests/output/", "collections/",
                      "molecule/", "tests/e2e/", "tests/lab/", "tests/ecosystem/")
FORBIDDEN_PARTS = ("__pycache__", ".pytest_cache", ".plugin-cache.yaml", ".mypy_cache", ".tox")
GENERATED_BY_BUILD = {"MANIFEST.json", "FILES.json"}


def artifact_files(artifact):
    with tarfile.open(artifact) as archive:
        return sorted(member.name for member in archive.getmembers() if member.isfile())


def test_artifact_holds_the_collection(built_artifact):
    files = set(artifact_files(built_artifact))
    with tarfile.open(built_artifact) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    assert manifest["collection_info"]["namespace"] == "eks_hybrid"
    assert manifest["collection_info"]["name"] == "nodes"
    assert manifest["collection_info"]["version"] == galaxy["version"]
    assert manifest["collection_info"]["dependencies"] == galaxy["dependencies"]

    expected = {"README.md", "CHANGELOG.rst", "changelogs/changelog.yaml", "meta/runtime.yml", "requirements.txt",
                "bindep.txt", "execution-environment.yml", "playbooks/join_hybrid.yml"}
    expected |= {path for path in git_listed_files()
                 if path.startswith(("plugins/", "roles/")) and path.endswith((".py", ".yml", ".j2"))}
    assert expected - files == set(), "the artifact lacks files of the collection"


def test_artifact_holds_no_lab_test_output_or_cache(built_artifact):
    files = artifact_files(built_artifact)
    unwanted = [path for path in files
                if path.startswith(FORBIDDEN_PREFIXES) or any(part in FORBIDDEN_PARTS for part in path.split("/"))
                or path.endswith((".pyc", ".tar.gz"))]
    assert not unwanted, "add these to build_ignore in galaxy.yml: %s" % unwanted
    not_in_git = sorted(set(files) - GENERATED_BY_BUILD - set(git_listed_files()))
    assert not not_in_git, "the artifact holds files that are not part of the checkout: %s" % not_in_git


@pytest.fixture(scope="module")
def installed_collections(built_artifact, tmp_path_factory):
    """A clean collections path: the artifact installed offline, amazon.aws and kubernetes.core from their
    unpacked folders in .cache/collections (Galaxy is out of reach)."""
    path = tmp_path_factory.mktemp("collections")
    sources = [CACHED_COLLECTIONS / "ansible_collections" / "amazon" / "aws",
               CACHED_COLLECTIONS / "ansible_collections" / "kubernetes" / "core", built_artifact]
    installed = run([VENV_BIN / "ansible-galaxy", "collection", "install", "--offline", "--no-deps",
                     "-p", path, *sources], env=tool_environment(collections_path=path), cwd=path)
    assert installed.returncode == 0, "Failed to install the artifact:\n" + installed.output
    listed = run([VENV_BIN / "ansible-galaxy", "collection", "list", "--format", "json", "-p", path],
                 env=tool_environment(collections_path=path), cwd=path)
    collections = {name for location in json.loads(listed.stdout).values() for name in location}
    assert {"eks_hybrid.nodes", "amazon.aws", "kubernetes.core"} <= collections, listed.output
    return path


def test_installed_artifact_is_a_real_copy_not_the_checkout(installed_collections):
    installed = pathlib.Path(installed_collections) / "ansible_collections" / "eks_hybrid" / "nodes"
    assert installed.is_dir() and not installed.is_symlink()
    assert (installed / "MANIFEST.json").is_file()
    assert not (installed / "lab").exists()


@pytest.mark.lab
def test_join_playbook_from_the_installed_artifact_joins_the_lab(lab, installed_collections, tmp_path):
    env = dict(lab.env)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(installed_collections)
    env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "false"
    env["PATH"] = "%s:%s" % (VENV_BIN, env.get("PATH", ""))
    argv = [VENV_BIN / "ansible-playbook", "-i", e2e.labconfig.STATE_DIR + "/inventory.yml",
            "-i", REPO / "lab" / "inventory", "eks_hybrid.nodes.join_hybrid"]
    # Run from an empty directory so that nothing resolves to the checkout by accident.
    played = e2e.PlaybookRun(run(argv, env=env, cwd=tmp_path, timeout=900))
    assert played.rc == 0, played
    assert set(played.recap) >= {"lab-node-1", "lab-node-2", "lab-node-3"}, played
    assert all(counts["failed"] == 0 and counts["unreachable"] == 0 for counts in played.recap.values()), played

    nodes = [node for node in lab.kube().list_node().items
             if (node.metadata.labels or {}).get("eks.amazonaws.com/compute-type") == "hybrid"]
    assert len(nodes) == 3
    assert all(any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
               for node in nodes)
