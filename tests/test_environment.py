"""environment.yml (conda, Binder) and pyproject.toml (pip) must list the same things."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
# pip name -> conda-forge name, where they differ
CONDA_NAME = {"torch": "pytorch", "graphviz": "python-graphviz"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower()


def pip_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return {_name(r) for r in reqs}


def conda_requirements() -> tuple[set[str], set[str]]:
    conda, pip = set(), set()
    section = None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        item = line.split("#")[0].rstrip()
        if item == "dependencies:":
            section = conda
            continue
        if re.match(r"^\s+- pip:$", item):
            section = pip
            continue
        m = re.match(r"^\s+- (\S.*)$", item)
        if m and section is conda and not item.startswith("      "):
            conda.add(_name(m.group(1)))
        elif m and section is pip:
            pip.add(_name(m.group(1)))
    return conda, pip


def test_every_pip_requirement_is_in_environment_yml():
    conda, pip = conda_requirements()
    missing = {r for r in pip_requirements() if CONDA_NAME.get(r, r) not in conda and r not in pip}
    assert not missing, f"add to environment.yml: {sorted(missing)}"


def test_environment_yml_lists_nothing_pyproject_lacks():
    conda, pip = conda_requirements()
    known = {CONDA_NAME.get(r, r) for r in pip_requirements()} | {"python", "pip", "graphviz"}
    assert conda - known == set(), f"in environment.yml only: {sorted(conda - known)}"
    assert pip - pip_requirements() - {"-e"} == set()
    assert "-e" in pip, "environment.yml must install the course package itself (pip -e .)"


def test_tested_versions_are_allowed_by_both():
    pins = dict(
        line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line
    )
    env = (ROOT / "environment.yml").read_text()
    # environment.yml is the course's environment: its floors are the `course` extra's (the lessons'
    # oldest torch), which may be above dagviz's own `torch>=...`.
    course = {_name(r): r for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
              ["optional-dependencies"]["course"]}
    floor = {name: re.search(r">=([0-9.]+)", course[name]).group(1) for name in ("torch", "torchvision")}
    assert f"pytorch>={floor['torch']},<={pins['torch']}" in env
    assert f"torchvision>={floor['torchvision']},<={pins['torchvision']}" in env
