"""Fast structural checks of the nbgrader assignments and their hidden-check modules (no worker is started).

The full self-check (generate the student versions, autograde the solutions, the blank versions, the
cheats and the honest alternatives) is `make assignments`, i.e. `python -m course_grading selfcheck`.
"""

import ast
import copy
import pathlib
import tempfile

import pytest

from course_grading import cheats as grading_cheats
from course_grading import selfcheck as A
from course_grading.autograde import load_checks

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAMES = A.assignment_names()


def load_config(root):
    """The course's nbgrader config, with its course root in `root` (never the instructor's)."""
    import os

    from traitlets.config.loader import PyFileConfigLoader

    old = os.environ.get("AUTOGRAD_COURSE_GRADING_ROOT")
    os.environ["AUTOGRAD_COURSE_GRADING_ROOT"] = str(root)
    try:
        return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    finally:
        if old is None:
            os.environ.pop("AUTOGRAD_COURSE_GRADING_ROOT")
        else:
            os.environ["AUTOGRAD_COURSE_GRADING_ROOT"] = old


_ROOT = tempfile.TemporaryDirectory(prefix="course-root-")  # a course root of the tests' own


def _student_version(name):
    """The student version, made in memory with nbgrader's own preprocessors."""
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    cfg = load_config(_ROOT.name)
    nb = nbformat.read(A.source_path(name), as_version=4)
    resources = {}
    for pre in (ClearSolutions(config=cfg), ClearOutput(config=cfg), ClearHiddenTests(config=cfg)):
        nb, resources = pre.preprocess(nb, resources)
    return nb


def test_the_six_assignments():
    assert NAMES == ["custom_function", "finetuning", "jacobians", "manual_backprop", "reading_the_dag",
                     "tiny_autodiff"]
    assert sorted(p.name for p in A.HERE.iterdir() if p.is_dir()) == NAMES, "the source folder holds only assignments"
    assert not list(A.HERE.glob("*.py")), "no grading machinery in nbgrader's source folder"


@pytest.mark.parametrize("name", NAMES)
def test_source_structure(name):
    nb = A.read_notebook(A.source_path(name))
    assert A.structure_problems(nb) == []
    metas = [A.nbgrader_meta(c) for c in nb["cells"]]
    ids = [m["grade_id"] for m in metas if m]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    graded = [m for m in metas if m.get("grade")]
    assert len(graded) >= 2, "partial credit needs several graded cells"
    assert all(m["points"] > 0 for m in graded)
    assert any(m.get("solution") for m in metas), "no answer cell"
    text = "\n".join(A.cell_source(c) for c in nb["cells"])
    for begin, end in (A.SOLUTION_MARKERS, A.HIDDEN_MARKERS):
        assert text.count(begin) == text.count(end) > 0, (begin, end)


@pytest.mark.parametrize("name", NAMES)
def test_first_code_cell_is_the_setup_cell(name):
    nb = A.read_notebook(A.source_path(name))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    block = contributing.split("First code cell", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    expected = "\n".join(line[2:] if line.startswith("  ") else line for line in block.rstrip().split("\n"))
    assert A.cell_source(first).strip() == expected.strip()
    assert A.nbgrader_meta(first).get("locked") is True


@pytest.mark.parametrize("name", NAMES)
def test_student_version_has_no_leak(name):
    source = A.read_notebook(A.source_path(name))
    assert A.secret_lines(source), "nothing to hide?"
    student = _student_version(name)
    assert A.find_leaks(source, student) == []
    assert "raise NotImplementedError()" in "\n".join(A.cell_source(c) for c in student["cells"])


def test_leak_checker_catches_planted_leaks():
    source = A.read_notebook(A.source_path(NAMES[0]))
    clean = _student_version(NAMES[0])
    assert A.find_leaks(source, clean) == []
    secrets = sorted(A.secret_lines(source))

    def planted(text, where=-1):
        nb = copy.deepcopy(clean)
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        code[where]["source"] = A.cell_source(code[where]) + "\n" + text
        return nb

    assert A.find_leaks(source, planted("    " + secrets[0] + "  "))  # a solution or hidden line
    assert A.find_leaks(source, planted("### BEGIN SOLUTION"))
    assert A.find_leaks(source, planted("# END HIDDEN TESTS"))
    with_output = copy.deepcopy(clean)
    next(c for c in with_output["cells"] if c["cell_type"] == "code")["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": "answer"}
    ]
    assert A.find_leaks(source, with_output)
    # an ordinary public line is not a leak
    assert not A.find_leaks(source, planted("print('my own line of code')"))


def test_hidden_lines_are_secret():
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {
                    "nbgrader": {
                        "grade": True,
                        "grade_id": "t",
                        "locked": True,
                        "points": 1,
                        "schema_version": 3,
                        "solution": False,
                        "task": False,
                    }
                },
                "source": "assert f(2) == 4\n### BEGIN HIDDEN TESTS\nassert f(123) == 15129\n### END HIDDEN TESTS",
                "outputs": [],
            }
        ]
    }
    assert A.secret_lines(nb) == {"assert f(123) == 15129"}
    assert A.structure_problems(nb) == []
    broken = copy.deepcopy(nb)
    broken["cells"][0]["source"] = "### BEGIN HIDDEN TESTS\nassert True"
    assert A.structure_problems(broken)


def test_verdict_holds_honest_answers_to_full_marks_and_cheats_to_their_limit(tmp_path):
    """The self-check's rule, on made-up results: an honest alternative below full marks, or flagged, fails;
    a cheat over its limit fails; the same scores the other way round pass."""
    import types

    points = {"test_a": 4.0, "test_b": 6.0}

    def job(kind, cls, auto, scan=()):
        cheat = grading_cheats.Cheat("x", tmp_path / "x.py", cls, "made up")
        return types.SimpleNamespace(kind=kind, cheat=cheat, student="x", error=None, max=10.0, score=auto, auto=auto,
                                     verdicts={}, scan=list(scan), failed=[], flag="review" if scan else "none")

    assert A.verdict(job("honest", "honest", 10.0), points) is None
    assert "honest answer x scores 6/10" in A.verdict(job("honest", "honest", 6.0), points)
    assert A.verdict(job("honest", "honest", 10.0, ["[review] review: x"]), points) is not None  # flag: none declared
    assert A.verdict(job("cheat", "hooks", 2.0), points) is None
    assert "over its limit 2" in A.verdict(job("cheat", "hooks", 2.5), points)


# ---- each assignment's hidden checks: a Python module of the grading package ----------------------------------
def _test_cells(nb):
    return {A.nbgrader_meta(c)["grade_id"]: (A.nbgrader_meta(c)["points"], A.cell_source(c)) for c in nb["cells"]
            if c["cell_type"] == "code" and A.nbgrader_meta(c).get("grade") and not A.nbgrader_meta(c).get("solution")}


@pytest.mark.parametrize("name", NAMES)
def test_every_test_cell_has_its_check_and_calls_it(name):
    """One check per test cell, with the cell's points; the hidden part only calls the instructor's preview."""
    nb = A.read_notebook(A.source_path(name))
    cells = _test_cells(nb)
    checks = load_checks(name).by_cell
    assert sorted(checks) == sorted(cells), "test cells and checks differ"
    for gid, (points, source) in cells.items():
        assert checks[gid].points == points, gid
        hidden = source.split("### BEGIN HIDDEN TESTS\n", 1)[1].split("### END HIDDEN TESTS", 1)[0]
        assert hidden.strip().splitlines()[-1] == f"preview({name!r}, {gid!r}, globals())", gid
        visible = A.strip_hidden(source) if hasattr(A, "strip_hidden") else source.split("### BEGIN HIDDEN")[0]
        assert len([line for line in visible.splitlines() if line.strip() and not line.startswith("#")]) >= 2, (
            f"{gid}: a test cell needs a visible part a student can run")


@pytest.mark.parametrize("name", NAMES)
def test_drivers_import_only_the_standard_library_at_module_level(name):
    """Drivers run in every worker environment, the torch-free ones too."""
    import sys

    path = ROOT / "course_grading" / "drivers" / f"{name}.py"
    if not path.is_file():
        pytest.skip("no drivers")
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in names:
                top = module.split(".")[0]
                assert node.__class__ is ast.ImportFrom and node.level or top in sys.stdlib_module_names, module


@pytest.mark.parametrize("name", NAMES)
def test_course_metadata(name):
    """Each assignment states its time and the lesson sections it needs (the lessons' structure check verifies them)."""
    meta = A.read_notebook(A.source_path(name))["metadata"].get("course", {})
    assert meta.get("time") and meta.get("prerequisites"), meta
    intro = A.cell_source(A.read_notebook(A.source_path(name))["cells"][0])
    assert "Time:" in intro and "hour" in intro
