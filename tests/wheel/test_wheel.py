"""dagviz on its own: the built wheel, pip-installed into a clean venv that holds only torch and graphviz.

Cheap and clean: the venv is new for every run and has no pip and no site-packages of the
system; torch, graphviz and their own requirements are hard-linked into it from the venv running
the tests (what `pip install` would unpack, without unpacking gigabytes again), and then this
venv's pip installs the wheel into it with `--no-index`, so the install fails if dagviz needed
anything else. The checks run with `python -I` from an empty folder, so the checkout is not
importable: only the installed wheel is.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import venv
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(sysconfig.get_paths()["purelib"])
ALONE = ("torch", "graphviz")  # dagviz's dependencies (pyproject.toml), checked below


def requirements_closure(names: tuple[str, ...]) -> set[str]:
    """The installed distributions `names` need, theirs, and so on (environment markers and
    extras applied: torch needs `cuda-toolkit[cublas,...]`, whose extras need nvidia-cublas...)."""
    env = default_environment()
    todo: list[tuple[str, frozenset[str]]] = [(canonicalize_name(n), frozenset()) for n in names]
    seen: set[tuple[str, str]] = set()
    while todo:
        name, extras = todo.pop()
        for extra in ("", *sorted(extras)):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for spec in metadata.requires(name) or []:
                req = Requirement(spec)
                if req.marker is None or req.marker.evaluate({**env, "extra": extra}):
                    todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    return {name for name, _ in seen}


def link_distribution(name: str, site: Path) -> int:
    """Hard-link one installed distribution's files (its RECORD) into `site` (copy across file
    systems); returns how many."""
    count = 0
    made: set[str] = set()
    for f in metadata.distribution(name).files or []:
        rel = os.path.normpath(str(f))
        if rel.startswith(".."):
            continue  # scripts in bin/: not needed to import it
        src, dst = os.path.join(SITE, rel), os.path.join(site, rel)
        folder = os.path.dirname(dst)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        try:
            os.link(src, dst)
        except FileNotFoundError:
            continue  # listed in RECORD but gone (a .pyc never written)
        except OSError as err:
            if err.errno != errno.EXDEV:
                raise
            shutil.copy2(src, dst)
        count += 1
    return count


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    # Next to this venv's site-packages, so that hard links work (same file system).
    path = Path(tempfile.mkdtemp(prefix=".dagviz-wheel-test-", dir=SITE.parents[2]))
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)  # tens of thousands of links: faster than rmtree


@pytest.fixture(scope="module")
def wheel(work: Path) -> Path:
    out = work / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out)]
    subprocess.run([*build, str(ROOT)], check=True, capture_output=True, text=True)
    (path,) = out.glob("dagviz-*.whl")
    return path


@pytest.fixture(scope="module")
def bare(work: Path, wheel: Path) -> Path:
    """A new venv: torch, graphviz and what they require, then the wheel. Returns its python."""
    where = work / "venv"
    venv.create(where, with_pip=False, symlinks=True)
    python = where / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    for name in sorted(requirements_closure(ALONE)):
        link_distribution(name, site)
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    # --no-deps: nothing is resolved or replaced; `pip check` then proves that what is there (torch,
    # graphviz and their requirements) is all that dagviz and they need.
    install = subprocess.run([*pip, "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    check = subprocess.run([*pip, "check"], capture_output=True, text=True)
    assert check.returncode == 0, f"dagviz needs more than {ALONE}:\n{check.stdout}{check.stderr}"
    return python


def run(python: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run([str(python), "-I", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_dagviz_depends_on_torch_and_graphviz_only():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the list is the same on 3.10
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {Requirement(r).name for r in project["dependencies"]} == set(ALONE)


def test_the_wheel_holds_dagviz_its_browser_files_and_type_marker(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    for f in ("dagviz/__init__.py", "dagviz/py.typed", "dagviz/assets/explorer.js", "dagviz/assets/graphviz.js",
              "dagviz/assets/explorer.css", "dagviz/assets/SOURCES.json"):
        assert f in names, f
    assert not [n for n in names if n.startswith(("tests/", "notebooks/", "benchmarks/", "tools/"))]


def test_the_venv_holds_only_torch_graphviz_and_dagviz(bare: Path, work: Path):
    listed = run(bare, work, "-c", "import importlib.metadata as m, json; "
                 "print(json.dumps(sorted(d.metadata['Name'] for d in m.distributions())))")
    names = {canonicalize_name(n) for n in json.loads(listed.stdout)}
    assert names == requirements_closure(ALONE) | {"dagviz"}


CHECK = r"""
import pathlib, sys
import torch, dagviz

assert "site-packages" in dagviz.__file__, dagviz.__file__  # the wheel, not a checkout
a = torch.tensor([2.0, 3.0], requires_grad=True)
b = torch.tensor([6.0, 4.0], requires_grad=True)
Q = 3 * a**3 - b**2
g = dagviz.trace(Q, {"a": a, "b": b})
assert sorted(n.name for n in g.functions()) == ["AccumulateGrad", "AccumulateGrad", "MulBackward0",
                                                  "PowBackward0", "PowBackward0", "SubBackward0"], g
tree = dagviz.text({"Q": Q}, params={"a": a, "b": b})
assert tree.splitlines()[0] == "Q (2,) float32 [root]" and "AccumulateGrad: a (2,) float32" in tree, tree
dot = dagviz.draw({"Q": Q}, params={"a": a, "b": b})
svg = dot.pipe(format="svg", encoding="utf-8")
assert "SubBackward0" in svg, svg
assert repr(dot).startswith("<dagviz graph: 8 nodes (1 root, 4 op, 2 leaf, 1 nograd)"), repr(dot)
page = dagviz.to_html(Q, "q.html", params={"a": a, "b": b})
assert "GRAPHVIZ_SOURCE" in page.read_text() and page.stat().st_size > 500_000
try:
    dagviz.explore(Q)
except ImportError as err:
    assert "anywidget" in str(err) and "to_html" in str(err), err
else:
    raise AssertionError("explore() without anywidget should say how to get it")
assert "torchvision" not in sys.modules and "anywidget" not in sys.modules
print("ok")
"""

FUNCTION = """
import torch

def build():
    x = torch.ones(3, requires_grad=True)
    return (x.exp() * 2).sum()
"""


def test_draw_text_trace_and_to_html_work_from_the_wheel(bare: Path, work: Path):
    if shutil.which("dot") is None:
        pytest.fail("Graphviz's dot is needed (make setup installs it)")
    (work / "run").mkdir(exist_ok=True)
    out = run(bare, work / "run", "-c", CHECK)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_the_command_line_works_from_the_wheel(bare: Path, work: Path):
    folder = work / "cli"
    folder.mkdir(exist_ok=True)
    (folder / "loss.py").write_text(FUNCTION)
    dagviz = bare.parent / "dagviz"  # the console script pip wrote
    for out in ("loss.dot", "loss.svg"):
        done = subprocess.run([str(dagviz), "loss.py:build", "-o", out], cwd=folder, capture_output=True, text=True)
        assert done.returncode == 0 and f"wrote {out}" in done.stdout, done.stderr
    assert "ExpBackward0" in (folder / "loss.dot").read_text()
    assert (folder / "loss.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    help_text = run(bare, folder, "-m", "dagviz", "--help")
    assert help_text.returncode == 0 and "light grey box = backward Function" in " ".join(help_text.stdout.split())
    # A torchvision name without torchvision: one clear line, exit code 2, no traceback.
    missing = subprocess.run([str(dagviz), "resnet18", "-o", "r.svg"], cwd=folder, capture_output=True, text=True)
    assert missing.returncode == 2 and "torchvision is not installed" in missing.stderr
    assert "Traceback" not in missing.stderr
