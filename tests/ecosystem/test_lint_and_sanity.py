"""ansible-lint (production profile) and ansible-test sanity and units pass on the collection, with no skip
list, empty sanity ignore files and every inline lint exception explained."""

import re

import yaml

from conftest import CACHED_COLLECTIONS, REPO, run, stage_collection, tool_environment

LINT_PASSED = "Profile 'production' was required, and it passed."
SANITY_IGNORE_VERSIONS = ("2.17", "2.18", "2.19", "2.20")


def test_lint_settings_enforce_production_and_the_role_argument_spec_rule():
    settings = yaml.safe_load((REPO / ".ansible-lint").read_text(encoding="utf-8"))
    assert settings["profile"] == "production"
    assert "role-argument-spec" in settings["enable_list"]
    assert not settings.get("skip_list") and not settings.get("warn_list")
    assert not (REPO / ".ansible-lint-ignore").exists()


def test_every_inline_lint_exception_says_why():
    unexplained = []
    for path in sorted(REPO.glob("**/*.y*ml")):
        relative = path.relative_to(REPO)
        if relative.parts[0] in (".cache", ".venv", ".lab", ".git", ".ansible", "collections", "tests"):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if "# noqa" not in line:
                continue
            previous = lines[number - 1].strip() if number else ""
            if not (previous.startswith("#") and "noqa" not in previous and len(previous) > 10):
                unexplained.append("%s:%d" % (relative, number + 1))
    assert not unexplained, "put the reason for each `# noqa` in a comment on the line above: %s" % unexplained


def test_ansible_lint_passes_on_the_whole_collection():
    linted = run(["bash", REPO / "lab" / "lint.sh"], timeout=300)
    assert linted.returncode == 0 and LINT_PASSED in linted.output, linted.output[-6000:]


def test_ansible_lint_fails_a_role_without_an_argument_spec(tmp_path):
    collection = stage_collection(tmp_path)
    (collection / "roles" / "cilium" / "meta" / "argument_specs.yml").unlink()
    env = tool_environment(collections_path="%s:%s" % (tmp_path, CACHED_COLLECTIONS))
    linted = run(["ansible-lint", "--offline", "roles/cilium"], env=env, cwd=collection, timeout=300)
    assert linted.returncode != 0
    assert "role-argument-spec" in linted.output, linted.output[-3000:]


def test_sanity_ignore_files_are_empty():
    for version in SANITY_IGNORE_VERSIONS:
        ignore = REPO / "tests" / "sanity" / ("ignore-%s.txt" % version)
        assert ignore.is_file() and ignore.read_text(encoding="utf-8").strip() == "", ignore


def sanity_failures(output):
    return [line for line in output.splitlines() if line.startswith(("ERROR:", "FATAL:"))]


def test_ansible_test_sanity_passes():
    checked = run(["bash", REPO / "lab" / "sanity.sh", "sanity"], timeout=1800)
    assert checked.returncode == 0, "\n".join(sanity_failures(checked.output)) or checked.output[-6000:]


def test_ansible_test_units_pass():
    tested = run(["bash", REPO / "lab" / "sanity.sh", "units"], timeout=1800)
    assert tested.returncode == 0, tested.output[-6000:]
    assert re.search(r"\b\d+ passed\b", tested.output), tested.output[-3000:]
