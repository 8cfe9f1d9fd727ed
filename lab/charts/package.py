"""Package the lab's stand-in charts into a Helm chart repository.

    python lab/charts/package.py OUTDIR BASE_URL [--helm PATH]

Runs ``helm package`` for every chart under lab/charts/ (today only ``cilium``) into OUTDIR and
writes OUTDIR/index.yaml with ``helm repo index --url BASE_URL``, so that serving OUTDIR at
BASE_URL gives a repository ``helm repo add`` accepts. The helm binary defaults to the one
lab/deps.sh installs (.cache/bin/helm), then to ``helm`` on PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

CHARTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(CHARTS_DIR))
DEFAULT_HELM = os.path.join(REPO_ROOT, ".cache", "bin", "helm")


def chart_directories() -> list[str]:
    return sorted(os.path.join(CHARTS_DIR, name) for name in os.listdir(CHARTS_DIR)
                  if os.path.isfile(os.path.join(CHARTS_DIR, name, "Chart.yaml")))


def _run(helm: str, arguments: list[str]) -> None:
    command = [helm, *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env={**os.environ, "LC_ALL": "C"})
    if result.returncode != 0:
        raise RuntimeError("Failed to run %s (rc=%d): %s" % (" ".join(command), result.returncode,
                                                             (result.stderr or result.stdout).strip()))


def package(out_dir: str, base_url: str, helm: str) -> list[str]:
    """Package every chart into OUT_DIR, index it for BASE_URL and return the archive paths."""
    os.makedirs(out_dir, exist_ok=True)
    archives = []
    for chart in chart_directories():
        _run(helm, ["package", chart, "--destination", out_dir])
        archives.append(os.path.join(out_dir, "%s-%s.tgz" % (os.path.basename(chart), _chart_version(chart))))
    _run(helm, ["repo", "index", out_dir, "--url", base_url.rstrip("/")])
    return archives


def _chart_version(chart: str) -> str:
    with open(os.path.join(chart, "Chart.yaml"), encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("version:"):
                return line.split(":", 1)[1].strip().strip("\"'")
    raise RuntimeError("Failed to read the version of chart %s: no version line in Chart.yaml" % chart)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("base_url")
    parser.add_argument("--helm", default=DEFAULT_HELM if os.access(DEFAULT_HELM, os.X_OK) else shutil.which("helm"))
    args = parser.parse_args(argv)
    if not args.helm:
        sys.stderr.write("Failed to find helm: run lab/deps.sh or pass --helm\n")
        return 1
    try:
        for archive in package(args.out_dir, args.base_url, args.helm):
            print(archive)
    except (OSError, RuntimeError) as error:
        sys.stderr.write("%s\n" % error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
