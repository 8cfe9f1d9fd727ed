"""Every line of the project's own code, roles, playbooks and docs fits in 120 columns (Markdown tables and
generated files excepted)."""

import subprocess

from conftest import REPO

MAX_COLUMNS = 120
CHECKED_SUFFIXES = (".py", ".yml", ".yaml", ".sh", ".cfg", ".md", ".txt", ".j2", ".tpl")
GENERATED = ("CHANGELOG.rst", "changelogs/changelog.yaml")


def tracked_files():
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split()
    return [REPO / name for name in listed
            if (name.endswith(CHECKED_SUFFIXES) or name in ("Makefile", "lab/nodeadm/nodeadm", ".ci/run"))
            and name not in GENERATED and (REPO / name).is_file()]


def test_no_line_is_longer_than_120_columns():
    too_long = []
    for path in tracked_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if len(line) > MAX_COLUMNS and not (path.suffix == ".md" and line.startswith("|")):
                too_long.append("%s:%d (%d)" % (path.relative_to(REPO), number, len(line)))
    assert too_long == []
