"""execution-environment.yml: `ansible-builder create` renders a build context whose requirements are the
project's own requirement files, with helm 3 and ansible-core's range from requirements.txt."""

import re

import pytest
import yaml

from conftest import REPO, VENV_BIN, run


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ee-context")
    created = run([VENV_BIN / "ansible-builder", "create", "--file", REPO / "execution-environment.yml",
                   "--context", directory, "--output-filename", "Containerfile"])
    assert created.returncode == 0, "Failed to render the build context:\n" + created.output
    return directory


def requirement_line(path, name):
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"%s\s*[<>=!~]" % re.escape(name), line.strip()):
            return line.strip()
    raise AssertionError("Failed to find %s in %s" % (name, path))


def test_context_holds_the_projects_requirement_files_unchanged(context):
    for source, copied in (("requirements.txt", "requirements.txt"), ("requirements.yml", "requirements.yml"),
                           ("bindep.txt", "bindep.txt")):
        assert (context / "_build" / copied).read_bytes() == (REPO / source).read_bytes(), source


def test_collection_requirements_match_galaxy_dependencies(context):
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    assert {item["name"]: item["version"] for item in requirements["collections"]} == galaxy["dependencies"]


def test_ansible_core_and_runner_in_the_image_match_the_project(context):
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    install_refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.MULTILINE).group(1).split()
    core_range = requirement_line(REPO / "requirements.txt", "ansible-core").replace(" ", "")
    assert core_range in install_refs
    runner_pin = requirement_line(REPO / "requirements-dev.txt", "ansible-runner").split("==")[1]
    runner_ref = next(ref for ref in install_refs if ref.startswith("ansible-runner"))
    from packaging.specifiers import SpecifierSet  # pylint: disable=import-outside-toplevel

    assert runner_pin in SpecifierSet(runner_ref[len("ansible-runner"):]), \
        "the tested ansible-runner is outside the EE's"


def test_image_gets_the_tested_helm_3(context):
    helm = context / "_build" / "helm" / "helm"
    assert helm.read_bytes() == (REPO / ".cache" / "bin" / "helm").read_bytes()
    version = run([helm, "version", "--short"])
    assert version.stdout.startswith("v3."), version.output
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert "COPY _build/helm/helm /usr/local/bin/helm" in containerfile
    final_stage = containerfile.split("FROM base AS final", 1)[1]
    assert "/usr/local/bin/helm" in final_stage


def test_image_runs_the_collection_with_python_3_11_and_installs_system_packages(context):
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert "--user-bindep=bindep.txt" in containerfile and "--user-pip=requirements.txt" in containerfile
    bindep = (REPO / "bindep.txt").read_text(encoding="utf-8")
    assert re.search(r"^openssh-clients \[platform:rpm\]", bindep, re.MULTILINE), "ssh must be in the image"
