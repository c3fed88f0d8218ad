"""The grader's messages in an edition's language: the catalog, the translation of a verdict, and the rule that
every message a check can produce (read from course_grading/checks/*.py with ast) has a translation."""

from __future__ import annotations

import pathlib
import textwrap

import pytest

from course_grading import messages
from course_grading.autograde import HideHiddenTests, load_checks
from course_grading.editions import Edition, edition, edition_id
from course_grading.points import Items, Verdict, verdict

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_message_of_the_checks_has_a_chinese_translation():
    """A new English hint, item name or note in a checks module fails here until messages_zh.txt translates it
    (`python -m course_grading messages` lists them)."""
    found, unresolved = messages.hint_patterns()
    assert len(found) > 100, "the reader stopped finding the checks' messages"
    assert unresolved == [], "hints whose text the reader cannot follow (write them as literals or f-strings)"
    gaps = messages.missing("zh")
    assert gaps == [], "\n".join(f"{where}: {text}: {left}" for text, where, left in gaps)


CHECKS = '''
from course_grading.points import Checks, Items, verdict

checks = Checks("demo")
KINDS = {"plain": "graphs of plain steps", "deep": "a chain of 5,000 nodes"}
CASES = [("small |x| (among ordinary x)", "small"), ("large |x|", "large")]


def _hint(got, text):
    if got is None:
        return "no answer (see below)"
    return f"{text} (your function raised {got})"


def _grade(items, cases):
    for hint, _ in cases:
        with items.case(hint):
            pass
        items.fail(f"{hint} (the call stopped)")


@checks.add("test_a", points=1)
def a(g):
    items = g.items("the first part")
    for kind, got in (("plain", 1), ("deep", 2)):
        hint = f"the order differs, in {KINDS[kind]}"
        if kind == "deep":
            hint += " (too deep to recurse)"
        with items.case(_hint(got, hint)):
            pass
    other = Items(f"{'an even' if got else 'an odd'} kernel")
    _grade(other, CASES)
    notes = []
    notes.append(f"part a did not answer within {3:g} s")
    return verdict(1, [items, other], notes)
'''


def test_the_reader_follows_hints_through_helpers_loops_dicts_and_fstrings(tmp_path):
    path = tmp_path / "demo.py"
    path.write_text(CHECKS, encoding="utf-8")
    found, unresolved = messages.hint_patterns([path])
    assert unresolved == []
    english = {messages.english(p) for p, _ in found}
    assert {"the first part", "{} kernel", "small |x| (among ordinary x)", "large |x|", "{} (the call stopped)",
            "no answer (see below)", "{} (your function raised {})", "part a did not answer within {} s"} <= english
    texts = {text for p, _ in found for text, _ in messages.instances(p)}
    assert "the order differs, in a chain of 5,000 nodes (too deep to recurse) (your function raised 7)" in texts
    assert "an odd kernel" in texts and "large |x| (the call stopped)" in texts


def test_a_message_without_translation_is_reported(tmp_path):
    path = tmp_path / "demo.py"
    path.write_text(CHECKS.replace("the first part", "a brand-new hint nobody translated"), encoding="utf-8")
    gaps = {text for text, _, _ in messages.missing("zh", [path])}
    assert "a brand-new hint nobody translated" in gaps


def test_nested_templates_that_read_a_message_the_wrong_way_are_reported():
    cat = messages.parse("{} is wrong with {}\n= 在{1}的情形下，{0} 不对\n\n"
                         "{} kernel with padding\n= 有填充的{}卷积核\n\nan odd\n= 奇数\n", "zh")
    pattern = (("", " is wrong with ", ""), (frozenset({"dx"}), frozenset({(("", " kernel with padding"),
                                                                             (frozenset({"an odd"}),))})))
    left = messages.gaps(pattern, cat)
    assert left and "read as" in left[0], left  # "{} kernel with padding" would swallow "dx is wrong with an odd"


def test_a_verdict_in_chinese_and_the_same_verdict_in_english():
    items = Items("gradients")
    with items.case("some .grad after backward() differs from PyTorch's"):
        raise AssertionError
    with items.case("some .grad after backward() differs from PyTorch's"):
        raise AssertionError
    with items.case("some .grad after backward() differs from PyTorch's"):
        pass
    names = Items("dx", 2)
    with names.case("no answer (see below)"):
        raise AssertionError
    english = verdict(1.5, [items, names, Items("hvp")],
                      ["train could not be asked: the worker stopped (ran out of time answering train)"])
    assert english.text() == "\n".join([
        "Graded outside your notebook: 0.125 of 1.5 points.",
        "- gradients: 1 of 3 passed",
        "    failed (2x): some .grad after backward() differs from PyTorch's",
        "- dx: 0 of 1 passed",
        "    failed: no answer (see below)",
        "- hvp: nothing was checked",
        "- train could not be asked: the worker stopped (ran out of time answering train)"])
    chinese = Verdict(english.points, english.max_points, english.lines, "zh")
    left: list[str] = []
    assert chinese.text(left).split("\n") == [
        "评分在你的 notebook 之外进行：得 0.125 分（满分 1.5 分）。",
        "- 梯度：3 项中通过 1 项",
        "    未通过（2 次）：backward() 之后，有的 .grad 与 PyTorch 的不同",
        "- dx：1 项中通过 0 项",
        "    未通过：没有答案（见下方说明）",
        "- hvp：没有检查任何内容",
        "- 无法调用 train：工作进程已停止（回答对 train 的调用时超时）"]
    assert left == []
    unknown = Verdict(0, 1, ["- a sentence the catalog has never seen"], "zh")
    assert unknown.text(left).endswith("- a sentence the catalog has never seen") and left


@pytest.mark.parametrize(("text", "error"), [
    ("only English", "no translation line"),
    ("= 没有英文\n", "without the English line"),
    ("one\n= 一\n\none\n= 一\n", "translated twice"),
    ("{} of {}\n= {}\n", "drops one"),
    ("{} of {}\n= {2}{0}\n", "must use"),
    ("two lines\nstill English\n", "must be its translation"),
])
def test_a_malformed_catalog_says_what_is_wrong(text, error):
    with pytest.raises(messages.CatalogError, match=error):
        messages.parse(text, "zh")


def test_editions_map_to_the_english_checks_and_drivers():
    assert edition("tiny_autodiff_zh") == Edition("tiny_autodiff_zh", "tiny_autodiff", "zh")
    assert edition("tiny_autodiff") == Edition("tiny_autodiff", "tiny_autodiff", "en")
    assert edition("zh") == Edition("zh", "zh", "en")  # a name is not only a suffix
    assert edition_id("tiny_autodiff", "zh") == "tiny_autodiff_zh" and edition_id("x", "en") == "x"
    with pytest.raises(ValueError):
        edition_id("x", "fr")
    assert load_checks("reading_the_dag_zh") is load_checks("reading_the_dag")


def test_the_instructors_preview_of_an_edition_runs_the_english_check_in_chinese(capsys):
    """The Chinese source notebook's hidden part calls preview("tiny_autodiff_zh", ...)."""
    import json

    import numpy as np

    from course_grading.preview import preview

    source = json.loads((ROOT / "notebooks" / "assignments" / "tiny_autodiff_zh" / "tiny_autodiff_zh.ipynb")
                        .read_text(encoding="utf-8"))
    cell = next(c for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "unbroadcast")
    namespace = {"np": np}
    exec("".join(cell["source"]), namespace)  # noqa: S102 (the instructor's own solution)
    assert preview("tiny_autodiff_zh", "test_unbroadcast", namespace) == 1.5
    out = capsys.readouterr().out
    assert "评分在你的 notebook 之外进行：得 1.5 分（满分 1.5 分）。" in out and "- unbroadcast：全部通过" in out
    assert "[在当前内核中预览" in out


def test_feedback_hides_hidden_tests_with_a_note_in_the_editions_language():
    import nbformat

    cell = nbformat.v4.new_code_cell("assert f(2) == 4\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "locked": True, "points": 1, "schema_version": 3,
                                 "solution": False}
    shown = {}
    for assignment in ("tiny_autodiff", "tiny_autodiff_zh"):
        resources = {"nbgrader": {"assignment": assignment}}
        out, _ = HideHiddenTests().preprocess_cell(nbformat.from_dict(dict(cell)), resources, 0)
        shown[assignment] = out.source
    assert shown["tiny_autodiff"] == "assert f(2) == 4\n# (hidden checks: run by the grader, not shown)"
    assert shown["tiny_autodiff_zh"] == "assert f(2) == 4\n# （隐藏检查：由评分程序运行，这里不显示）"
    assert "secret" not in shown["tiny_autodiff_zh"]


def test_the_catalog_file_is_well_formed_and_every_entry_is_used_or_structural():
    """Entries nobody can produce any more are dead weight for translators: each must be a message of a check, a
    part of one, or a message of the grading machinery itself (frame, worker errors)."""
    cat = messages.catalog("zh")
    found, _ = messages.hint_patterns()
    produced = " ".join(text for p, _ in found for text, _ in messages.instances(p))
    machinery = textwrap.dedent("""
        (hidden checks: run by the grader, not shown)
        [preview in this kernel; the autograder runs the same check on sandboxed workers]
        the grader could not check this cell; your instructor will look at it
        no check ran for this cell
        the grading drivers did not load
        the worker is not running
        failed
    """).strip().split("\n")
    workers = ("ran out of time {}", "sent something that is not plain data while {}",
               "stopped while {} (it crashed, exited or ran out of memory)", "running the notebook's cells",
               "answering {}")
    for english in [*cat.exact, *(t.english for t in cat.templates)]:
        if english in messages.FRAME or english in machinery or english in workers:
            continue
        fixed = [part for part in english.split("{}") if part.strip()]
        assert all(part in produced for part in fixed), f"{english!r}: no check says this any more"


def test_an_item_name_that_looks_like_the_frame_is_not_split_by_it():
    """A name holding ": " and " of " ("...: at least 85% of its held-out digits right") next to the frame's
    "name: 3 of 5 passed": the frame counts are digits, so the name stays whole (found by the self-check)."""
    name = "a real run on the grader's digits: at least 85% of its held-out digits right"
    left: list[str] = []
    for status, chinese in (("all passed", "全部通过"), ("0 of 1 passed", "1 项中通过 0 项")):
        got = messages.translate(f"- {name}: {status}", "zh", left)
        assert got == f"- 在评分程序的手写数字数据上真实运行一次：留出的数字中至少有 85% 分类正确：{chinese}", got
    assert left == []
