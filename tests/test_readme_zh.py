"""README.zh-CN.md's lesson table agrees with notebooks/course.json and with the Chinese lessons.

tools/course.py renders README.md's lesson list from course.json, but the Chinese README is written by hand,
so nothing else notices when a lesson is added, renamed, split or retimed. Each row must link the Chinese lesson
(notebooks/zh/<file>, which must exist), in course order, with the title of that lesson's first heading
("# 第 N 课：<title>"), the time of course.json (and its deep dives, as 选读), and the lesson's assignment.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("course_tool", ROOT / "tools" / "course.py")
course = importlib.util.module_from_spec(_spec)
sys.modules["course_tool"] = course  # dataclasses look their module up by name
_spec.loader.exec_module(course)

README_ZH = ROOT / "README.zh-CN.md"
ROW = re.compile(r"^\| (\d+) \| \[([^\]]+)\]\(notebooks/zh/([^)]+)\)[^|]*\| ([^|]+) \| `([^`]+)` \|$")


def _minutes(text: str) -> str:
    m = re.fullmatch(r"(\d+) minutes", text)
    assert m, f"course.json time {text!r} is not 'N minutes'"
    return m[1]


def _zh_title(file: str, root: Path) -> str | None:
    path = root / "notebooks" / "zh" / file
    if not path.is_file():
        return None
    first = "".join(json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"]).split("\n", 1)[0]
    m = re.fullmatch(r"# 第 \d+ 课：(.+)", first.strip())
    return m[1] if m else None


def check_readme_zh(text: str, lessons, root: Path = ROOT) -> list[str]:
    """Problems with the lesson table of README.zh-CN.md (its text given), against course.json's lessons."""
    rows = [ROW.match(line) for line in text.splitlines() if re.match(r"^\| \d+ \|", line)]
    problems = ["README.zh-CN.md: a lesson row is not '| N | [title](notebooks/zh/file)... | time | `assignment` |'"
                for row in rows if row is None]
    rows = [row for row in rows if row is not None]
    files = [row[3] for row in rows]
    expected = [lesson.file for lesson in lessons]
    if files != expected:
        problems.append(f"README.zh-CN.md: the lesson table links {files}, course.json lists {expected}")
    for row, lesson in zip(rows, lessons, strict=False):  # a missing or extra row is reported above
        where = f"README.zh-CN.md, lesson {lesson.number}"
        number, title, file, time, assignment = int(row[1]), row[2], row[3], row[4].strip(), row[5]
        if number != lesson.number:
            problems.append(f"{where}: numbered {number}")
        zh_title = _zh_title(file, root)
        if zh_title is None:
            problems.append(f"{where}: notebooks/zh/{file} is missing or has no '# 第 N 课：...' heading")
        elif title != zh_title:
            problems.append(f"{where}: title {title!r}, but the Chinese lesson is titled {zh_title!r}")
        want = f"{_minutes(lesson.time)} 分钟"
        if lesson.deep_dives:
            want += "（另有选读 " + "、".join(f"{_minutes(t)} 分钟" for _, t in lesson.deep_dives) + "）"
        if time != want:
            problems.append(f"{where}: time {time!r}, course.json says {want!r}")
        if assignment != lesson.assignment:
            problems.append(f"{where}: assignment {assignment!r}, course.json says {lesson.assignment!r}")
    return problems


def test_readme_zh_lists_every_lesson_as_course_json_does():
    problems = check_readme_zh(README_ZH.read_text(encoding="utf-8"), course.load().lessons)
    assert not problems, "\n".join(problems)


def test_the_check_fails_on_a_missing_row_a_wrong_time_title_or_assignment():
    lessons = course.load().lessons
    text = README_ZH.read_text(encoding="utf-8")
    last = next(line for line in text.splitlines() if line.startswith(f"| {len(lessons)} |"))
    assert any("course.json lists" in p for p in check_readme_zh(text.replace(last + "\n", ""), lessons))

    row1 = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    for old, new, words in [("| 40 分钟 |", "| 45 分钟 |", "time"), ("[会记忆的张量]", "[会记忆的张量们]", "title"),
                            ("`reading_the_dag` |", "`tiny_autodiff` |", "assignment")]:
        assert old in row1, old
        problems = check_readme_zh(text.replace(row1, row1.replace(old, new)), lessons)
        assert any(f"lesson 1: {words}" in p for p in problems), (words, problems)
