"""The changelog is kept with antsibull-changelog: its files lint clean, CHANGELOG.rst is what the tool
generates from changelogs/changelog.yaml, and the current version's release lists every module and plugin."""

import shutil

import yaml

from conftest import REPO, VENV_BIN, run

RELEASE_COMMAND = ("PATH=$PWD/.venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$PWD/.cache/collections "
                   "antsibull-changelog release --version <version> --reload-plugins")


def changelog():
    return yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text(encoding="utf-8"))


def test_changelog_files_lint_clean():
    linted = run([VENV_BIN / "antsibull-changelog", "lint"])
    assert linted.returncode == 0 and not linted.stdout.strip(), linted.output
    checked = run([VENV_BIN / "antsibull-changelog", "lint-changelog-yaml", REPO / "changelogs" / "changelog.yaml"])
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.output


def test_changelog_rst_is_generated_from_changelog_yaml(tmp_path):
    copy = tmp_path / "collection"
    copy.mkdir()
    for name in ("galaxy.yml", "CHANGELOG.rst"):
        shutil.copy(REPO / name, copy / name)
    shutil.copytree(REPO / "changelogs", copy / "changelogs")
    generated = run([VENV_BIN / "antsibull-changelog", "generate"], cwd=copy)
    assert generated.returncode == 0, generated.output
    assert (copy / "CHANGELOG.rst").read_text(encoding="utf-8") == (REPO / "CHANGELOG.rst").read_text(
        encoding="utf-8"), "CHANGELOG.rst was edited by hand or is stale: run `antsibull-changelog generate`"


def test_release_of_the_galaxy_version_lists_every_module_and_filter():
    version = str(yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))["version"])
    releases = changelog()["releases"]
    assert version in releases, "no changelog release for %s: run %s" % (version, RELEASE_COMMAND)
    listed = {name for release in releases.values() for name in
              [module["name"] for module in release.get("modules", [])]
              + [plugin["name"] for plugin in release.get("plugins", {}).get("filter", [])]}
    shipped = {path.stem for path in (REPO / "plugins" / "modules").glob("*.py") if path.stem != "__init__"}
    shipped |= {path.stem for path in (REPO / "plugins" / "filter").glob("*.py") if path.stem != "__init__"}
    assert shipped - listed == set(), "modules or filters missing from the changelog: run %s" % RELEASE_COMMAND
