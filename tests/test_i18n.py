"""Tests of tools/i18n.py, the generator of the translated lessons, on a throwaway two-lesson course.

Each test changes the English the way an author does (edit a cell, reorder, move it to another
lesson, rename a lesson, delete a cell) and checks what the translator is told and what is built.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
i18n = importlib.util.module_from_spec(_spec)
sys.modules["i18n_tool"] = i18n  # dataclasses look their module up there
_spec.loader.exec_module(i18n)

INTRO = "# Lesson 1\n\nA tensor **remembers** the operation that made it."
RULE = "## The rule\n\nA leaf has `grad_fn` None. See [lesson 2](02_b.ipynb) and the [glossary](../docs/glossary.md)."
CODE = 'x = torch.ones(2, requires_grad=True)  # a leaf\nprint("x is a leaf:", x.is_leaf)'
CODE_ZH = 'x = torch.ones(2, requires_grad=True)  # 一个叶子节点\nprint("x is a leaf:", x.is_leaf)'
PLAIN = "y = x * 2\ny"
SUMMARY = "## Summary\n\n* Leaves are inputs.\n* Non-leaves have a `grad_fn`."
B_INTRO = "# Lesson 2\n\nBackward runs the graph from the root to the leaves."


def lesson(cells: list[tuple[str, str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for cid, kind, source in cells:
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(source, id=cid))
        else:
            c = nbformat.v4.new_code_cell(source, id=cid, execution_count=1)
            c.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"output of {cid}\n")]
            c.metadata["tags"] = ["nbval-ignore-output"] if cid == "c2" else []
            nb.cells.append(c)
    return nb


def write(root: Path, name: str, cells) -> None:
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(lesson(cells), root / "notebooks" / f"{name}.ipynb")


def run(root: Path, *args: str, capsys) -> tuple[int, str]:
    code = i18n.main(["--root", str(root), *args])
    return code, capsys.readouterr().out


def translate(root: Path, name: str, texts: dict[str, str]) -> None:
    """Replace the text of todo blocks and drop their todo flag, as a translator does by hand."""
    path = root / "i18n" / "zh" / f"{name}.md"
    cat = i18n.parse_catalog(path)
    for e in cat.entries:
        if e.id in texts:
            e.text, e.todo = texts[e.id], False
    path.write_text(i18n.format_catalog(cat), encoding="utf-8")


A_CELLS = [("m0", "md", INTRO), ("c1", "code", CODE), ("m1", "md", RULE), ("c2", "code", PLAIN), ("m2", "md", SUMMARY)]
A_ZH = {"m0": "# 第 1 课\n\n张量**记得**创建它的运算。", "c1": CODE_ZH,
        "m1": "## 规则\n\n叶子节点 (leaf) 的 `grad_fn` 是 None。"
              "见[第 2 课](02_b.ipynb)和[术语表](../docs/glossary.md)。",
        "m2": "## 小结\n\n* 叶子节点是输入。\n* 非叶子节点有 `grad_fn`。"}
B_CELLS = [("b0", "md", B_INTRO), ("b1", "code", "z = 1  # the root")]
B_ZH = {"b0": "# 第 2 课\n\n反向传播从根节点到叶子节点执行计算图。", "b1": "z = 1  # 根节点"}


@pytest.fixture
def course(tmp_path, capsys):
    """Two English lessons, both translated and built; `i18n.py check` passes."""
    write(tmp_path, "01_a", A_CELLS)
    write(tmp_path, "02_b", B_CELLS)
    assert run(tmp_path, "stub", "01", "02", capsys=capsys)[0] == 0
    translate(tmp_path, "01_a", A_ZH)
    translate(tmp_path, "02_b", B_ZH)
    assert run(tmp_path, "build", capsys=capsys)[0] == 0
    code, out = run(tmp_path, "check", capsys=capsys)
    assert code == 0, out
    return tmp_path


def built(root: Path, name: str) -> nbformat.NotebookNode:
    return nbformat.read(root / "notebooks" / "zh" / f"{name}.ipynb", as_version=4)


def test_build_translates_prose_and_comments_and_copies_everything_else(course):
    en = nbformat.read(course / "notebooks" / "01_a.ipynb", as_version=4)
    zh = built(course, "01_a")
    assert [c.id for c in zh.cells] == ["m0", "zh-edition", "c1", "m1", "c2", "m2"]
    cells = {c.id: c for c in zh.cells}
    assert cells["m0"].source == A_ZH["m0"]
    assert cells["c1"].source == CODE_ZH  # the comment is Chinese, the code and the printed string are not
    assert cells["c2"].source == PLAIN  # nothing to translate: copied
    for c in en.cells:  # outputs, execution counts and tags (nbval's) are the English ones
        assert cells[c.id].get("outputs") == c.get("outputs") and cells[c.id].metadata == c.metadata
    # links still work from notebooks/zh/: a translated lesson stays a sibling, the rest goes one level up
    assert "[第 2 课](02_b.ipynb)" in cells["m1"].source and "(../../docs/glossary.md)" in cells["m1"].source
    assert "../01_a.ipynb" in cells["zh-edition"].source  # the banner links to the English original
    recorded = json.loads((course / "i18n" / "zh" / "en-sources" / "01_a.json").read_text(encoding="utf-8"))
    assert "".join(recorded[i18n.short_hash(RULE)]) == RULE


def test_a_changed_english_cell_is_stale_shows_the_english_diff_and_is_fixed_by_accept(course, capsys):
    cells = [(cid, kind, RULE.replace("## The rule", "## 2. The rule") if cid == "m1" else src)
             for cid, kind, src in A_CELLS]
    write(course, "01_a", cells)
    code, out = run(course, "check", capsys=capsys)
    assert code == 1
    assert "stale: 01_a m1" in out and "out of date: notebooks/zh/01_a.ipynb" in out

    code, out = run(course, "stale", "01", capsys=capsys)
    assert "##{+ 2.+} The rule" in out  # the English change, word by word
    assert "| ## 规则" in out  # the translation to update
    assert "accept 01 m1" in out

    # a build before the update keeps the old translation, visibly marked
    run(course, "build", capsys=capsys)
    assert built(course, "01_a").cells[3].source.startswith(i18n.TEXT["zh"]["stale"])

    translate(course, "01_a", {"m1": A_ZH["m1"].replace("## 规则", "## 2. 规则")})
    code, out = run(course, "accept", "01", "m1", capsys=capsys)
    assert code == 0 and "accepted" in out
    assert run(course, "check", capsys=capsys)[0] == 1  # not rebuilt yet
    run(course, "build", capsys=capsys)
    code, out = run(course, "check", capsys=capsys)
    assert code == 0, out
    assert built(course, "01_a").cells[3].source.startswith("## 2. 规则")


def test_a_changed_code_cell_is_stale_and_its_old_translation_is_not_used(course, capsys):
    cells = [(cid, kind, src.replace("torch.ones(2", "torch.ones(3") if cid == "c1" else src)
             for cid, kind, src in A_CELLS]
    write(course, "01_a", cells)
    code, out = run(course, "stale", capsys=capsys)
    assert "-x = torch.ones(2, requires_grad=True)  # a leaf" in out
    assert "+x = torch.ones(3, requires_grad=True)  # a leaf" in out
    run(course, "build", capsys=capsys)
    assert built(course, "01_a").cells[2].source == cells[1][2]  # the English code, never stale code
    code, out = run(course, "accept", "01", "c1", capsys=capsys)
    assert code == 1 and "NOT accepted" in out  # the block's code is still the old code


def test_carry_keeps_translated_comments_when_only_code_changed(course, capsys):
    new_code = CODE.replace("torch.ones(2", "torch.ones(3") + "\ny = x + 1  # a new line"
    cells = [(cid, kind, new_code if cid == "c1" else src) for cid, kind, src in A_CELLS]
    write(course, "01_a", cells)
    code, out = run(course, "carry", "01", capsys=capsys)
    assert "still in English: # a new line" in out
    block = next(e for e in i18n.parse_catalog(course / "i18n" / "zh" / "01_a.md").entries if e.id == "c1")
    assert block.text == CODE_ZH.replace("torch.ones(2", "torch.ones(3") + "\ny = x + 1  # a new line"
    assert run(course, "check", capsys=capsys)[0] == 1  # still stale until the translator accepts it
    assert run(course, "accept", "01", "c1", capsys=capsys)[0] == 0
    run(course, "build", capsys=capsys)
    code, out = run(course, "check", capsys=capsys)
    assert code == 0, out


def test_reordered_cells_with_new_ids_keep_their_translation(course, capsys):
    reordered = [A_CELLS[0], ("new-id", "md", SUMMARY), A_CELLS[2], A_CELLS[1], A_CELLS[3]]
    write(course, "01_a", reordered)
    run(course, "build", capsys=capsys)
    code, out = run(course, "check", capsys=capsys)
    assert code == 0, out
    sources = [c.source for c in built(course, "01_a").cells]
    assert sources == [A_ZH["m0"], sources[1], A_ZH["m2"], A_ZH["m1"].replace("](../docs", "](../../docs"),
                       CODE_ZH, PLAIN]
    run(course, "sync", capsys=capsys)  # the block takes the cell's new id
    ids = [e.id for e in i18n.parse_catalog(course / "i18n" / "zh" / "01_a.md").entries]
    assert ids == ["m0", "new-id", "m1", "c1"]


def test_a_cell_moved_to_another_lesson_keeps_its_translation(course, capsys):
    write(course, "01_a", [c for c in A_CELLS if c[0] != "m2"])
    write(course, "02_b", [*B_CELLS, ("b2", "md", SUMMARY)])
    run(course, "build", capsys=capsys)
    code, out = run(course, "check", capsys=capsys)
    assert code == 0, out
    assert "moved: 02_b b2 uses block m2 of 01_a.md" in out
    assert built(course, "02_b").cells[-1].source == A_ZH["m2"]
    code, out = run(course, "sync", capsys=capsys)
    assert "moved: 01_a.md m2 -> 02_b.md b2" in out
    code, out = run(course, "check", capsys=capsys)
    assert code == 0 and "moved" not in out, out
    assert "m2" not in [e.id for e in i18n.parse_catalog(course / "i18n" / "zh" / "01_a.md").entries]


def test_a_renamed_lesson_is_an_orphan_until_sync_moves_its_catalog(course, capsys):
    shutil.move(course / "notebooks" / "02_b.ipynb", course / "notebooks" / "03_b.ipynb")
    code, out = run(course, "check", capsys=capsys)
    assert code == 1 and "orphan: i18n catalog 02_b.md" in out
    run(course, "sync", capsys=capsys)
    assert not (course / "i18n" / "zh" / "02_b.md").exists()
    assert not (course / "notebooks" / "zh" / "02_b.ipynb").exists()
    run(course, "build", capsys=capsys)
    code, out = run(course, "check", capsys=capsys)
    assert code == 0, out
    assert built(course, "03_b").cells[0].source == B_ZH["b0"]


def test_a_renamed_lesson_with_a_changed_cell_keeps_the_diff_after_sync(course, capsys):
    shutil.move(course / "notebooks" / "02_b.ipynb", course / "notebooks" / "03_b.ipynb")
    write(course, "03_b", [("b0", "md", B_INTRO.replace("Lesson 2", "Lesson 3")), B_CELLS[1]])
    run(course, "sync", capsys=capsys)
    assert not (course / "i18n" / "zh" / "02_b.md").exists()
    code, out = run(course, "stale", "03", capsys=capsys)
    assert "# Lesson [-2-]{+3+}" in out and "| # 第 2 课" in out  # the English change is still known
    code, out = run(course, "check", capsys=capsys)
    assert code == 1 and "stale: 03_b b0" in out and "unrecorded" not in out


def test_a_cell_changed_and_moved_is_stale_with_the_diff_from_its_old_place(course, capsys):
    write(course, "01_a", [c for c in A_CELLS if c[0] != "m1"])
    write(course, "02_b", [*B_CELLS, ("b9", "md", RULE.replace("None.", "None, always."))])
    code, out = run(course, "check", capsys=capsys)
    assert code == 1 and "stale: 02_b b9" in out and "block m1 of 01_a.md" in out
    _, out = run(course, "stale", "02", capsys=capsys)
    assert "[-None.-]{+None, always.+}" in out and "| ## 规则" in out


def test_missing_and_obsolete_translations_are_reported(course, capsys):
    write(course, "01_a", [c for c in A_CELLS if c[0] != "m2"] + [("m3", "md", "## Exercises\n\n1. Draw it.")])
    code, out = run(course, "check", capsys=capsys)
    assert code == 1
    # the exercises are too unlike the summary to inherit its block: one missing, one obsolete
    assert "missing: 01_a m3: no translation" in out
    assert "obsolete: 01_a.md" in out and "block m2" in out
    _, out = run(course, "missing", capsys=capsys)
    assert "1. Draw it." in out
    run(course, "sync", "--prune", capsys=capsys)
    run(course, "stub", "01", capsys=capsys)
    translate(course, "01_a", {"m3": "## 练习\n\n1. 画出来。"})
    run(course, "build", capsys=capsys)
    code, out = run(course, "check", capsys=capsys)
    assert code == 0, out


def test_a_new_comment_in_code_without_a_block_is_missing(course, capsys):
    write(course, "01_a", [(cid, kind, src + "  # twice" if cid == "c2" else src) for cid, kind, src in A_CELLS])
    code, out = run(course, "check", capsys=capsys)
    assert code == 1 and "missing: 01_a c2" in out


def test_build_refuses_a_code_block_that_changes_code(course, capsys):
    translate(course, "01_a", {"c1": CODE_ZH.replace("x.is_leaf", "x.is_leaf and True")})
    code, out = run(course, "build", capsys=capsys)
    assert code == 1 and "build refused" in out and "invalid: 01_a c1" in out
    assert run(course, "check", capsys=capsys)[0] == 1


def test_a_hand_edited_chinese_notebook_fails_the_check(course, capsys):
    path = course / "notebooks" / "zh" / "01_a.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\n手工加的一句。"
    nbformat.write(nb, path)
    code, out = run(course, "check", capsys=capsys)
    assert code == 1 and "out of date: notebooks/zh/01_a.ipynb" in out


@pytest.mark.parametrize(
    ("translated", "reason"),
    [
        (CODE_ZH, None),
        ("# 先建一个叶子\n" + CODE_ZH, None),  # a new comment line
        (CODE_ZH.replace("  # 一个叶子节点", ""), None),  # a comment dropped
        (CODE_ZH.replace("  # 一个叶子节点", "      # 一个叶子节点"), None),  # comment re-aligned
        (CODE_ZH.replace('"x is a leaf:"', '"x 是叶子:"'), "'\"x 是叶子:\"' where English"),  # a printed string
        (CODE_ZH.replace("2,", "3,"), "'3' where English"),  # a number
        (CODE_ZH.replace("ones(2, r", "ones(2,r"), "spacing counts"),  # spacing in code
        (CODE_ZH + "\nprint(x)", "more code"),
        (CODE_ZH.replace("x.is_leaf)", "x.is_leaf)  # 打印"), None),
    ],
)
def test_code_may_differ_only_in_comments(translated, reason):
    why = i18n.comment_only_difference(CODE, translated)
    assert (why is None) if reason is None else (why is not None and reason in why), why


def test_a_hash_sign_in_a_string_is_code_and_magics_are_code():
    src = 'print("# not a comment")  # a comment\n%matplotlib inline'
    assert i18n.comment_only_difference(src, 'print("# not a comment")  # 注释\n%matplotlib inline') is None
    assert i18n.comment_only_difference(src, 'print("# 不是注释")  # 注释\n%matplotlib inline') is not None
    assert i18n.comment_only_difference(src, 'print("# not a comment")  # 注释\n%matplotlib notebook') is not None
    assert i18n.has_comment(src) and not i18n.has_comment('print("# not a comment")')


def test_relink_leaves_code_spans_and_absolute_links_alone():
    md = '[a](01_x.ipynb) [b](02_y.ipynb#top) `[c](03_z.ipynb)` [d](https://pytorch.org) [e](#sec) <img src="fig.png">'
    out = i18n.relink(md, {"01_x"})
    assert out == ("[a](01_x.ipynb) [b](../02_y.ipynb#top) `[c](03_z.ipynb)` [d](https://pytorch.org) [e](#sec) "
                   '<img src="../fig.png">')


# ---- assignments: an nbgrader source notebook and its generated edition -------------------------------------------
def _nbgrader(gid, kind):
    meta = {"grade": kind == "test", "grade_id": gid, "locked": kind != "answer", "schema_version": 3,
            "solution": kind == "answer", "task": False}
    if kind == "test":
        meta["points"] = 1
    return {"nbgrader": meta}


HW_INTRO = "# Assignment: squares\n\n**Time:** about 1 hour. Write `square`."
HW_ANSWER = ('def square(x):\n    """x times x."""\n    ### BEGIN SOLUTION\n    return x * x  # the solution\n'
             "    ### END SOLUTION")
HW_TEST = ("# 1 point. square (hidden: other numbers).\nassert square(3) == 9\n### BEGIN HIDDEN TESTS\n"
           "from course_grading.preview import preview  # graded for real by course_grading/checks/hw.py\n"
           "preview('hw', 'test_square', globals())\n### END HIDDEN TESTS")
HW_ZH = {"m0": "# 作业：平方\n\n**时间：** 约 1 小时。编写 `square`。", "c2": "# 1 分。square（隐藏检查：其他数）。"}


def write_assignment(root: Path, name: str = "hw", answer: str = HW_ANSWER, test: str = HW_TEST) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["course"] = {"time": "1 h", "prerequisites": ["01_a"]}
    for cid, kind, source, gid in (("m0", "md", HW_INTRO, "intro"), ("c1", "answer", answer, "square"),
                                   ("c2", "test", test, "test_square")):
        cell = (nbformat.v4.new_markdown_cell(source, id=cid) if kind == "md"
                else nbformat.v4.new_code_cell(source, id=cid))
        cell.metadata.update(_nbgrader(gid, "locked" if kind == "md" else kind))
        nb.cells.append(cell)
    folder = root / "notebooks" / "assignments" / name
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")


def translate_assignment(root: Path, name: str = "hw") -> None:
    path = root / "i18n" / "zh" / "assignments" / f"{name}.md"
    cat = i18n.parse_catalog(path)
    for e in cat.entries:
        if e.id == "c2":
            e.text = e.text.replace(HW_TEST.split("\n")[0], HW_ZH["c2"])
        elif e.id in HW_ZH:
            e.text = HW_ZH[e.id]
        e.todo = False
    path.write_text(i18n.format_catalog(cat), encoding="utf-8")


@pytest.fixture
def homework(course, capsys):
    """The two-lesson course plus an assignment `hw`, translated and built."""
    write_assignment(course)
    assert run(course, "stub", "hw", capsys=capsys)[0] == 0
    translate_assignment(course)
    assert run(course, "build", "hw", capsys=capsys)[0] == 0
    code, out = run(course, "check", capsys=capsys)
    assert code == 0, out
    assert "1 translated assignments (hw)" in out
    return course


def edition(root: Path) -> nbformat.NotebookNode:
    return nbformat.read(root / "notebooks" / "assignments" / "hw_zh" / "hw_zh.ipynb", as_version=4)


def test_an_assignment_edition_copies_cells_metadata_solutions_and_hidden_tests(homework):
    en = nbformat.read(homework / "notebooks" / "assignments" / "hw" / "hw.ipynb", as_version=4)
    zh = edition(homework)
    assert [c.id for c in zh.cells] == ["m0", "zh-edition", "c1", "c2"]
    cells = {c.id: c for c in zh.cells}
    for c in en.cells:  # nbgrader's grade ids, points and locks are the English ones
        assert cells[c.id].metadata == c.metadata
    assert zh.metadata == {**en.metadata, "i18n": {"lang": "zh", "english": "hw"}}
    assert cells["m0"].source == HW_ZH["m0"]
    assert cells["c1"].source == HW_ANSWER  # the solution, verbatim (no comment outside it to translate)
    assert cells["c2"].source.startswith(HW_ZH["c2"] + "\nassert square(3) == 9\n### BEGIN HIDDEN TESTS\n")
    assert "preview('hw_zh', 'test_square', globals())" in cells["c2"].source  # the preview speaks Chinese
    assert "graded for real by course_grading/checks/hw.py" in cells["c2"].source  # hidden tests stay English
    catalog = (homework / "i18n" / "zh" / "assignments" / "hw.md").read_text(encoding="utf-8")
    sources = (homework / "i18n" / "zh" / "assignments" / "en-sources" / "hw.json").read_text(encoding="utf-8")
    for text in (catalog, sources):  # no solution and no hidden test ever enters the translator's files
        assert "return x * x" not in text and "preview(" not in text
    assert "c1" not in [e.id for e in i18n.parse_catalog(homework / "i18n" / "zh" / "assignments" / "hw.md").entries]


def test_a_changed_solution_is_not_stale_but_the_edition_must_be_rebuilt(homework, capsys):
    write_assignment(homework, answer=HW_ANSWER.replace("x * x", "x ** 2"))
    code, out = run(homework, "check", capsys=capsys)
    assert code == 1 and "stale" not in out
    assert "out of date: notebooks/assignments/hw_zh/hw_zh.ipynb" in out
    run(homework, "build", capsys=capsys)
    assert run(homework, "check", capsys=capsys)[0] == 0
    assert "return x ** 2  # the solution" in edition(homework).cells[2].source


def test_a_changed_visible_line_of_a_test_cell_is_stale(homework, capsys):
    write_assignment(homework, test=HW_TEST.replace("square(3) == 9", "square(4) == 16"))
    code, out = run(homework, "check", capsys=capsys)
    assert code == 1 and "stale: hw c2" in out and "`i18n.py stale hw`" in out
    _, out = run(homework, "stale", "hw", capsys=capsys)
    assert "+assert square(4) == 16" in out and "accept hw c2" in out
    run(homework, "carry", "hw", capsys=capsys)
    assert run(homework, "accept", "hw", "c2", capsys=capsys)[0] == 0
    run(homework, "build", "hw", capsys=capsys)
    code, out = run(homework, "check", capsys=capsys)
    assert code == 0, out
    assert HW_ZH["c2"] + "\nassert square(4) == 16" in edition(homework).cells[3].source


@pytest.mark.parametrize("edit", ["marker", "inside"])
def test_a_block_must_keep_the_markers_and_leave_their_regions_empty(homework, capsys, edit):
    path = homework / "i18n" / "zh" / "assignments" / "hw.md"
    text = path.read_text(encoding="utf-8")
    if edit == "marker":
        text = text.replace("### BEGIN HIDDEN TESTS", "### 隐藏测试开始")
    else:
        text = text.replace("### BEGIN HIDDEN TESTS\n", "### BEGIN HIDDEN TESTS\n# 这里写点什么\n")
    path.write_text(text, encoding="utf-8")
    code, out = run(homework, "build", "hw", capsys=capsys)
    assert code == 1 and "invalid: hw c2" in out
    assert ("keep every BEGIN/END" in out) if edit == "marker" else ("nothing goes between" in out)


def test_editions_are_not_english_assignments_and_a_stray_one_fails(homework, capsys):
    p = i18n.AssignmentProject(homework)
    assert list(p.english_paths()) == ["hw"]  # hw_zh is generated: its metadata says so
    (homework / "i18n" / "zh" / "assignments" / "hw.md").unlink()
    code, out = run(homework, "check", capsys=capsys)
    assert code == 1 and "stray: notebooks/assignments/hw_zh/hw_zh.ipynb has no catalog" in out
    assert "not translated yet (no catalog): hw" in out


def test_a_hand_edited_edition_fails_the_check(homework, capsys):
    path = homework / "notebooks" / "assignments" / "hw_zh" / "hw_zh.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace("x * x", "x + x")  # a solution changed in the edition only
    nbformat.write(nb, path)
    code, out = run(homework, "check", capsys=capsys)
    assert code == 1 and "out of date: notebooks/assignments/hw_zh/hw_zh.ipynb" in out


def test_split_secret_and_splice_are_inverse():
    public, regions = i18n.split_secret(HW_TEST)
    assert "preview" not in public and public.count("HIDDEN TESTS") == 2
    assert i18n.splice_secret(public, regions) == HW_TEST
    assert i18n.call_edition(HW_TEST, "hw", "hw_zh").count("preview('hw_zh', ") == 1
    with pytest.raises(i18n.CatalogError):
        i18n.split_secret("### BEGIN SOLUTION\nx = 1")
