"""The lesson-structure check: every lesson, every assignment and the README agree with notebooks/course.json.

The rules are in tools/course.py (and listed in CONTRIBUTING.md, "Lesson conventions"). One test per lesson and one
per assignment, so a failure names what to fix; `pytest tests/test_course_structure.py -k assignment` runs only the
assignments' metadata checks, `-k "not assignment"` everything else.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("course_tool", ROOT / "tools" / "course.py")
course = importlib.util.module_from_spec(_spec)
sys.modules["course_tool"] = course  # dataclasses look their module up by name
_spec.loader.exec_module(course)

COURSE = course.load()


def _report(problems: list[str]) -> str:
    return "\n".join(problems)


def test_course_file_lessons_and_versions():
    problems = course.check_course(COURSE)
    assert not problems, _report(problems)


def test_readme_lists_are_generated_from_course_json():
    problems = course.check_readme(COURSE)
    assert not problems, _report(problems)


@pytest.mark.parametrize("lesson", COURSE.lessons, ids=lambda lesson: lesson.stem)
def test_lesson_structure(lesson):
    problems = course.check_lesson(COURSE, lesson)
    assert not problems, _report(problems)


@pytest.mark.parametrize("name", sorted(COURSE.assignments))
def test_assignment_prerequisites(name):
    problems = course.check_assignment(COURSE, name)
    assert not problems, _report(problems)


# ---- the checker itself must be able to fail ---------------------------------------------------------

def _check_edited(monkeypatch, tmp_path, edit) -> list[str]:
    """check_lesson on copies of the lessons, after `edit(notebook)` of lesson 3's copy."""
    for other in COURSE.lessons:
        (tmp_path / other.file).write_bytes(other.path.read_bytes())
    lesson = COURSE.by_stem["03_dynamic_graphs"]
    nb = json.loads(lesson.path.read_text(encoding="utf-8"))
    edit(nb)
    (tmp_path / lesson.file).write_text(json.dumps(nb), encoding="utf-8")
    monkeypatch.setattr(course, "NOTEBOOKS", tmp_path)
    return course.check_lesson(COURSE, lesson)


def _markdown(nb: dict, needle: str) -> dict:
    return next(c for c in nb["cells"] if c["cell_type"] == "markdown" and needle in course.source(c))


def _replace(cell: dict, old: str, new: str) -> None:
    cell["source"] = course.source(cell).replace(old, new)


def test_unchanged_copy_passes(monkeypatch, tmp_path):
    assert _check_edited(monkeypatch, tmp_path, lambda nb: None) == []


def test_a_gap_in_the_numbering_fails(monkeypatch, tmp_path):
    def edit(nb):
        _replace(_markdown(nb, "## 4. Autograd differentiates"), "## 4.", "## 5.")
    problems = _check_edited(monkeypatch, tmp_path, edit)
    assert any("should be numbered 4" in p for p in problems), problems


def test_an_unnumbered_section_fails(monkeypatch, tmp_path):
    def edit(nb):
        _replace(_markdown(nb, "## 4. Autograd differentiates"), "## 4. Autograd", "## Autograd")
    problems = _check_edited(monkeypatch, tmp_path, edit)
    assert any("besides '## N. Title' sections" in p for p in problems), problems


def test_a_section_after_the_summary_fails(monkeypatch, tmp_path):
    def edit(nb):
        nb["cells"].append({"cell_type": "markdown", "id": "x", "metadata": {}, "source": "## 6. Late"})
    problems = _check_edited(monkeypatch, tmp_path, edit)
    assert any("Summary" in p for p in problems), problems


def test_a_heading_inside_a_code_block_does_not_count(monkeypatch, tmp_path):
    def edit(nb):
        cell = _markdown(nb, "## 4. Autograd differentiates")
        cell["source"] = course.source(cell) + "\n```python\n## 9. not a heading\n```\n"
    assert _check_edited(monkeypatch, tmp_path, edit) == []


def test_a_solution_without_assert_fails(monkeypatch, tmp_path):
    def edit(nb):
        hidden = [c for c in nb["cells"] if c.get("metadata", {}).get("jupyter", {}).get("source_hidden")]
        hidden[0]["source"] = "print('no check')"
    problems = _check_edited(monkeypatch, tmp_path, edit)
    assert any("checks nothing with assert" in p for p in problems), problems


def test_a_stale_header_and_a_missing_assignment_fail(monkeypatch, tmp_path):
    def edit(nb):
        _replace(nb["cells"][1], "35 minutes", "5 minutes")
        _replace(nb["cells"][-1], "`reading_the_dag`", "the assignment")
    problems = _check_edited(monkeypatch, tmp_path, edit)
    assert any("must be the header" in p for p in problems), problems
    assert any("must name its assignment" in p for p in problems), problems


def test_an_unlisted_deep_dive_fails(monkeypatch, tmp_path):
    def edit(nb):
        cell = _markdown(nb, "## 4. Autograd differentiates")
        _replace(cell, "## 4. Autograd differentiates", "## 4. Optional deep dive: Autograd differentiates")
    problems = _check_edited(monkeypatch, tmp_path, edit)
    assert any("deep_dives" in p for p in problems), problems


def test_a_setup_cell_from_another_lesson_version_fails(monkeypatch, tmp_path):
    def edit(nb):
        first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
        _replace(first_code, '"2.4"', '"2.2"')
    problems = _check_edited(monkeypatch, tmp_path, edit)
    assert any("setup cell" in p for p in problems), problems


def test_assignment_metadata_rules(monkeypatch, tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    monkeypatch.setattr(course, "ASSIGNMENTS", tmp_path)
    monkeypatch.setattr(course, "ROOT", tmp_path)

    def check(meta):
        nb = {"cells": [], "metadata": {} if meta is None else {"course": meta}}
        (folder / "demo.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        return course.check_assignment(COURSE, "demo")

    assert check({"time": "2-3 h", "prerequisites": ["03_dynamic_graphs#4", "05_who_is_in_the_dag"]}) == []
    assert any("no 'course' notebook metadata" in p for p in check(None))
    assert any("no section" in p for p in check({"time": "1 h", "prerequisites": ["03_dynamic_graphs#99"]}))
    assert any("no lesson" in p for p in check({"time": "1 h", "prerequisites": ["99_nothing#1"]}))
    assert any("course.time" in p for p in check({"time": "", "prerequisites": ["03_dynamic_graphs"]}))
    assert any("non-empty list" in p for p in check({"time": "1 h", "prerequisites": []}))


# ---- the setup cell stops on a too-old PyTorch, with a message that says what to do ---------------------

def test_setup_cell_refuses_an_old_torch(monkeypatch):
    from torch.torch_version import TorchVersion

    old_torch = types.ModuleType("torch")
    old_torch.__version__ = TorchVersion("2.3.1")
    monkeypatch.setitem(sys.modules, "torch", old_torch)
    with pytest.raises(RuntimeError) as info:
        exec(course.render_setup(COURSE), {})
    message = str(info.value)
    assert "PyTorch 2.4 or newer" in message and "2.3.1" in message
    assert 'pip install --upgrade "torch>=2.4" "torchvision>=0.19"' in message and "restart the kernel" in message
