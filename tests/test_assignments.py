"""Fast structural checks of the nbgrader assignments and their hidden-check modules (no worker is started).

The full self-check (generate the student versions, autograde the solutions, the blank versions, the
cheats and the honest alternatives) is `make assignments`, i.e. `python -m course_grading selfcheck`.
Every assignment has an English source notebook; a translated one also has a generated edition in another
language (`tiny_autodiff_zh`: course_grading/editions.py, tools/i18n.py), checked here like the English one
and against it.
"""

import ast
import copy
import importlib.util
import pathlib
import sys
import tempfile

import pytest

from course_grading import cheats as grading_cheats
from course_grading import selfcheck as A
from course_grading.autograde import load_checks
from course_grading.editions import ENGLISH, edition

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAMES = A.assignment_names()  # the English assignments and their editions: nbgrader assignments all
ENGLISH_NAMES = A.english_names()
EDITIONS = [name for name in NAMES if edition(name).lang != ENGLISH]
# Assignments whose Chinese edition is released (a catalog in i18n/zh/assignments/ and its generated notebook).
TRANSLATED_ZH = {"custom_function", "finetuning", "jacobians", "manual_backprop", "reading_the_dag", "tiny_autodiff"}

_spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
i18n = importlib.util.module_from_spec(_spec)
sys.modules["i18n_tool"] = i18n  # dataclasses look their module up there
_spec.loader.exec_module(i18n)


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
    assert ENGLISH_NAMES == ["custom_function", "finetuning", "jacobians", "manual_backprop", "reading_the_dag",
                             "tiny_autodiff"]
    assert sorted(p.name for p in A.HERE.iterdir() if p.is_dir()) == NAMES, "the source folder holds only assignments"
    assert not list(A.HERE.glob("*.py")), "no grading machinery in nbgrader's source folder"
    # every edition is generated from an English assignment, and every catalog has its generated edition
    assert all(edition(name).checks in ENGLISH_NAMES for name in EDITIONS)
    catalogs = sorted(p.stem for p in (ROOT / "i18n" / "zh" / "assignments").glob("*.md"))
    assert sorted(edition(name).checks for name in EDITIONS if edition(name).lang == "zh") == catalogs
    assert TRANSLATED_ZH <= set(catalogs), "a released Chinese edition went missing"


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
    if edition(name).lang == ENGLISH:
        assert A.cell_source(first).strip() == expected.strip()
    else:  # the same cell, its comments translated
        assert i18n.comment_only_difference(expected, A.cell_source(first)) is None
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


@pytest.mark.parametrize("name", ENGLISH_NAMES)
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
    if edition(name).lang == "zh":
        assert "时间" in intro and "小时" in intro
    else:
        assert "Time:" in intro and "hour" in intro


# ---- the editions in other languages: the English assignment, its text translated ------------------------------
def _english_and_edition(name):
    english = A.read_notebook(A.source_path(edition(name).checks))
    translated = A.read_notebook(A.source_path(name))
    banner = f"{edition(name).lang}-edition"
    return english, translated, [c for c in translated["cells"] if c.get("id") != banner]


@pytest.mark.parametrize("name", EDITIONS)
def test_an_edition_is_its_english_assignment_with_its_text_translated(name):
    """Same cells, ids, nbgrader metadata (grade ids, points, locks) and points; code equal but for comments;
    solutions and hidden tests verbatim, the preview called with the edition's name; prose translated."""
    english, translated, cells = _english_and_edition(name)
    base, lang = edition(name).checks, edition(name).lang
    assert translated["metadata"] == {**english["metadata"], "i18n": {"lang": lang, "english": base}}
    assert len(cells) == len(english["cells"]) == len(translated["cells"]) - 1
    assert A.max_points(translated) == A.max_points(english)
    prose = 0
    for en, tr in zip(english["cells"], cells, strict=True):
        assert (tr["cell_type"], tr["id"], tr["metadata"]) == (en["cell_type"], en["id"], en["metadata"])
        en_src, tr_src = A.cell_source(en), A.cell_source(tr)
        if en["cell_type"] == "code":
            en_src = i18n.call_edition(en_src, base, name)
            assert i18n.comment_only_difference(en_src, tr_src) is None, tr["id"]
            secrets = i18n.split_secret(tr_src)[1], i18n.split_secret(en_src)[1]
            assert secrets[0] == secrets[1], f"{tr['id']}: solutions or hidden tests differ"
        elif en_src.strip():
            prose += tr_src != en_src
    assert prose == sum(c["cell_type"] == "markdown" and bool(A.cell_source(c).strip()) for c in english["cells"])


@pytest.mark.parametrize("name", EDITIONS)
def test_every_cheat_builds_the_same_code_on_an_edition(name):
    """Why the self-check autogrades an edition's solution and blank only: the grader reads a submission's code
    cells, and every cheat of the English corpus builds the same ones (up to comments) on the edition's student
    version, so it would score the same."""
    base = edition(name).checks
    english, translated = _student_version(base), _student_version(name)

    def code(nb):
        return [(A.nbgrader_meta(c).get("grade_id"), A.cell_source(c)) for c in nb["cells"] if c["cell_type"] == "code"]

    cheats = grading_cheats.load(A.HERE / base)
    assert cheats, "no cheat corpus"
    for cheat in cheats:
        ours, theirs = code(grading_cheats.build(cheat, english)), code(grading_cheats.build(cheat, translated))
        assert [gid for gid, _ in ours] == [gid for gid, _ in theirs], cheat.name
        for (gid, a), (_, b) in zip(ours, theirs, strict=True):
            assert i18n.comment_only_difference(a, b) is None, (cheat.name, gid)


def test_the_pack_leak_check_covers_the_chinese_releases_and_lessons(tmp_path):
    """course_grading.pack.leak_check on a pack made here: clean, then with a Chinese release and a Chinese
    lesson that each carry a solution."""
    import nbformat

    from course_grading import pack

    root = tmp_path / "autograd-course"
    for name in NAMES:
        folder = root / "notebooks" / "assignments" / name
        folder.mkdir(parents=True)
        nbformat.write(_student_version(name), folder / f"{name}.ipynb")
    assert pack.leak_check(root) == []
    source = A.read_notebook(A.source_path("tiny_autodiff_zh"))
    answer = next(c for c in source["cells"] if A.nbgrader_meta(c).get("grade_id") == "topo")
    solution = A.split_regions(A.cell_source(answer))[1]
    released = root / "notebooks" / "assignments" / "tiny_autodiff_zh" / "tiny_autodiff_zh.ipynb"
    nb = nbformat.read(released, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "topo")
    cell.source += "\n" + "\n".join(solution)
    nbformat.write(nb, released)
    lesson = root / "notebooks" / "zh" / "99_lesson.ipynb"
    lesson.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("\n".join(solution))]), lesson)
    problems = pack.leak_check(root)
    assert any(p.startswith("tiny_autodiff_zh: cell") for p in problems), problems
    assert any(p.startswith("notebooks/zh/99_lesson.ipynb: copies") for p in problems), problems
