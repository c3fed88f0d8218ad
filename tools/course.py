"""The course's structure in one place, and the check that everything agrees with it.

`notebooks/course.json` holds the lesson order, titles, times, prerequisites, optional deep dives, the
graded assignment each lesson names, and the oldest PyTorch the lessons need. Three things are generated
from it, so they cannot drift apart by hand:

* every lesson's header cell (the cell with id ``lesson-header``, right after the title);
* every lesson's first code cell (the setup cell, which stops on a too-old PyTorch);
* the lesson list and the assignment list in README.md, between ``<!-- lessons:begin -->`` and ``<!-- lessons:end -->``
  (and ``assignments:begin``/``end``), and CONTRIBUTING.md's copy of the setup cell.

    python tools/course.py write    # rewrite all of those from course.json (then `make notebooks` for outputs)
    python tools/course.py check    # list every disagreement and structure problem; exit 1 if any

`tests/test_course_structure.py` runs the same checks under pytest (so `make test` runs them), with one
test per lesson and one per assignment.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
COURSE_FILE = NOTEBOOKS / "course.json"
ASSIGNMENTS = NOTEBOOKS / "assignments"
README = ROOT / "README.md"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"

HEADER_ID = "lesson-header"
WRITE = "python tools/course.py write"
DEEP_DIVE = "Optional deep dive: "
# `##` sections that may come after Summary and Exercises (none so far). Every other `##` heading
# is `## N. Title`, numbered 1, 2, 3, ... in order, and comes before `## Summary`.
TRAILING_SECTIONS: tuple[str, ...] = ()
MIN_SOLUTIONS, MAX_SOLUTIONS = 2, 4

SETUP_TEMPLATE = '''# Setup: check the PyTorch version, then find the course packages (installed by `make lab`,
# or this repository's checkout as on Binder). Every lesson starts with exactly this cell.
import importlib.util, pathlib, sys
import torch
if torch.__version__ < "{torch_min}":
    raise RuntimeError(
        f"This course needs PyTorch {torch_min} or newer, but this kernel runs PyTorch {{torch.__version__}}. "
        "To upgrade, run `make lab` in the course folder, or "
        "`pip install --upgrade \\"torch>={torch_min}\\" \\"torchvision>={vision_min}\\"`; then restart the kernel."
    )
if importlib.util.find_spec("dagviz") is None:
    _here = pathlib.Path.cwd()
    _root = next((p for p in (_here, *_here.parents) if (p / "dagviz" / "__init__.py").is_file()), None)
    if _root is None:
        raise ImportError("dagviz is not installed: run `make lab` in the course folder, or `pip install -e .` there")
    sys.path.insert(0, str(_root))
import dagviz
_ = torch.manual_seed(0)'''


@dataclass(frozen=True)
class Lesson:
    number: int
    file: str
    title: str
    time: str
    summary: str
    assignment: str
    background: str = ""
    prerequisites: tuple[str, ...] = ()
    deep_dives: tuple[tuple[str, str], ...] = ()

    @property
    def stem(self) -> str:
        return self.file.removesuffix(".ipynb")

    @property
    def path(self) -> Path:
        return NOTEBOOKS / self.file


@dataclass
class Course:
    torch_min: str
    torchvision_min: str
    torch_min_reason: str
    lessons: list[Lesson]
    assignments: dict[str, dict]
    by_stem: dict[str, Lesson] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_stem = {lesson.stem: lesson for lesson in self.lessons}


def load(path: Path = COURSE_FILE) -> Course:
    raw = json.loads(path.read_text(encoding="utf-8"))
    lessons = [
        Lesson(
            number=i,
            file=item["file"],
            title=item["title"],
            time=item["time"],
            summary=item["summary"],
            assignment=item["assignment"],
            background=item.get("background", ""),
            prerequisites=tuple(item.get("prerequisites", ())),
            deep_dives=tuple((d["title"], d["time"]) for d in item.get("deep_dives", ())),
        )
        for i, item in enumerate(raw["lessons"], 1)
    ]
    return Course(raw["torch_min"], raw["torchvision_min"], raw["torch_min_reason"], lessons, raw["assignments"])


# ---- reading notebooks ------------------------------------------------------------------------------

def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def headings(nb: dict) -> list[tuple[int, str, int]]:
    """(level, text, cell index) of every markdown heading, skipping fenced code blocks."""
    found = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        fenced = False
        for line in source(cell).splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            m = re.match(r"^(#{1,6})\s+(.*?)\s*$", line)
            if m and not fenced:
                found.append((len(m.group(1)), m.group(2), index))
    return found


def numbered_sections(nb: dict) -> dict[int, str]:
    """{N: title} of the `## N. Title` sections."""
    out = {}
    for level, text, _ in headings(nb):
        m = re.match(r"^(\d+)\.\s+(.+)$", text)
        if level == 2 and m:
            out[int(m.group(1))] = m.group(2)
    return out


def parse_ref(ref: str) -> tuple[str, int | None]:
    """'03_dynamic_graphs#4' -> ('03_dynamic_graphs', 4); '03_dynamic_graphs' -> (..., None)."""
    stem, _, section = ref.partition("#")
    stem = stem.removesuffix(".ipynb")
    if section and not section.isdigit():
        raise ValueError(f"{ref!r}: the part after # must be a section number")
    return stem, int(section) if section else None


# ---- rendering --------------------------------------------------------------------------------------

def render_setup(course: Course) -> str:
    return SETUP_TEMPLATE.format(torch_min=course.torch_min, vision_min=course.torchvision_min)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _needs(course: Course, refs: tuple[str, ...]) -> list[str]:
    """Prerequisites in words, one item per lesson: '[lesson 2, Forward and backward](...), sections 4 and 7'."""
    grouped: dict[str, list[int]] = {}
    for ref in refs:
        stem, section = parse_ref(ref)
        grouped.setdefault(stem, [])
        if section is not None:
            grouped[stem].append(section)
    items = []
    for stem, sections in grouped.items():
        lesson = course.by_stem[stem]
        words = f"[lesson {lesson.number}, {lesson.title}]({lesson.file})"
        if sections:
            label = "section" if len(sections) == 1 else "sections"
            words += f", {label} " + _and([str(n) for n in sections])
        items.append(words)
    return items


def render_header(course: Course, lesson: Lesson) -> str:
    time = f"about {lesson.time}"
    if lesson.deep_dives:
        dives = "; ".join(f"*{title}*, {t}" for title, t in lesson.deep_dives)
        kind = "an optional deep dive" if len(lesson.deep_dives) == 1 else "optional deep dives"
        time += f", plus {kind} you may skip and come back to ({dives})"
    needs = _needs(course, lesson.prerequisites)
    if lesson.background:
        needs.insert(0, lesson.background)
    lines = [
        f"**Time:** {time}.",
        f"**Before this lesson:** {'; '.join(needs) if needs else 'nothing but Python'}.",
        f"**PyTorch:** {course.torch_min} or newer ({course.torch_min_reason}). "
        "The first code cell checks your version.",
        f"**Graded practice:** the assignment `{lesson.assignment}` (in `notebooks/assignments/`).",
    ]
    return "\n".join(f"* {line}" for line in lines)


def render_readme_lessons(course: Course) -> str:
    rows = [
        f"{lesson.number}. [{lesson.title}](notebooks/{lesson.file}) ({lesson.time}"
        + {0: "", 1: ", plus an optional deep dive"}.get(len(lesson.deep_dives), ", plus optional deep dives")
        + f"; assignment `{lesson.assignment}`): {lesson.summary}"
        for lesson in course.lessons
    ]
    return "\n".join(rows)


def render_readme_assignments(course: Course) -> str:
    rows = []
    for name, info in course.assignments.items():
        numbers = [str(course.by_stem[stem].number) for stem in info["lessons"]]
        label = "lesson" if len(numbers) == 1 else "lessons"
        rows.append(f"- `{name}` (after {label} {_and(numbers)}): {info['practises']}.")
    return "\n".join(rows)


README_BLOCKS = {"lessons": render_readme_lessons, "assignments": render_readme_assignments}


def _readme_block(name: str) -> re.Pattern[str]:
    return re.compile(rf"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", re.S)


# ---- checks -----------------------------------------------------------------------------------------

def lesson_files() -> list[str]:
    return sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def check_course(course: Course) -> list[str]:
    """The course file itself: files, numbering, prerequisites, assignments, versions."""
    problems = []
    listed = [lesson.file for lesson in course.lessons]
    if listed != lesson_files():
        problems.append(f"course.json lists {listed}, notebooks/ has {lesson_files()}")
    for lesson in course.lessons:
        if not lesson.file.startswith(f"{lesson.number:02d}_"):
            problems.append(f"{lesson.file}: lesson {lesson.number} must be named {lesson.number:02d}_*.ipynb")
        for ref in lesson.prerequisites:
            problems += _check_ref(course, ref, f"{lesson.file} prerequisite", before=lesson.number)
        if lesson.assignment not in course.assignments:
            problems.append(f"{lesson.file}: assignment {lesson.assignment!r} is not in course.json's assignments")
        elif lesson.stem not in course.assignments[lesson.assignment]["lessons"]:
            problems.append(f"{lesson.file} names {lesson.assignment!r}, whose 'lessons' do not list it")
    # A language edition (tiny_autodiff_zh, generated by tools/i18n.py, metadata "i18n") is its English assignment.
    on_disk = sorted(p.parent.name for p in ASSIGNMENTS.glob("*/*.ipynb")
                     if p.stem == p.parent.name and "i18n" not in read_notebook(p).get("metadata", {}))
    if sorted(course.assignments) != on_disk:
        problems.append(f"course.json's assignments {sorted(course.assignments)} != notebooks/assignments/ {on_disk}")
    for name, info in course.assignments.items():
        for stem in info["lessons"]:
            if stem not in course.by_stem:
                problems.append(f"assignment {name}: unknown lesson {stem!r}")
            elif course.by_stem[stem].assignment != name:
                problems.append(f"assignment {name} lists {stem}, which names {course.by_stem[stem].assignment!r}")
    problems += _check_versions(course)
    return problems


def _check_ref(course: Course, ref: str, what: str, before: int | None = None) -> list[str]:
    try:
        stem, section = parse_ref(ref)
    except ValueError as err:
        return [f"{what} {err}"]
    lesson = course.by_stem.get(stem)
    if lesson is None:
        return [f"{what} {ref!r}: no lesson {stem!r}"]
    if before is not None and lesson.number >= before:
        return [f"{what} {ref!r}: a prerequisite must be an earlier lesson"]
    if section is not None and not lesson.path.is_file():
        return [f"{what} {ref!r}: {lesson.file} is missing"]
    if section is not None and section not in numbered_sections(read_notebook(lesson.path)):
        return [f"{what} {ref!r}: {lesson.file} has no section '## {section}. ...'"]
    return []


def _check_versions(course: Course) -> list[str]:
    problems = []
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for name, floor in (("torch", course.torch_min), ("torchvision", course.torchvision_min)):
        if f'"{name}>={floor}"' not in pyproject:
            problems.append(f'pyproject.toml: the course extra must require "{name}>={floor}" (course.json)')
    env = (ROOT / "environment.yml").read_text(encoding="utf-8")
    for name, floor in (("pytorch", course.torch_min), ("torchvision", course.torchvision_min)):
        if not re.search(rf"- {name}>={re.escape(floor)},", env):
            problems.append(f"environment.yml: {name} must start at {floor} (course.json)")
    make = re.search(r"^TORCH_OLDEST \?= (\S+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    if not make or not make.group(1).startswith(course.torch_min + "."):
        problems.append(f"Makefile: TORCH_OLDEST must be a {course.torch_min}.x release (course.json)")
    blocks = re.findall(r"^([ \t]*)```python\n(.*?)\n[ \t]*```", CONTRIBUTING.read_text(encoding="utf-8"), re.S | re.M)
    if render_setup(course) not in [textwrap.dedent(body) for _, body in blocks]:
        problems.append("CONTRIBUTING.md: its copy of the setup cell differs from `python tools/course.py write`'s")
    return problems


def check_lesson(course: Course, lesson: Lesson) -> list[str]:
    """One lesson: title, header, setup cell, numbered sections, summary, exercises, assignment, deep dives."""
    where = lesson.file
    if not lesson.path.is_file():
        return [f"{where}: missing"]
    nb = read_notebook(lesson.path)
    cells = nb["cells"]
    problems = []
    first = source(cells[0]).splitlines()[0] if cells and source(cells[0]) else ""
    if first != f"# Lesson {lesson.number}: {lesson.title}":
        title = f"# Lesson {lesson.number}: {lesson.title}"
        problems.append(f"{where}: the first cell must start with {title!r}, not {first!r}")
    if len(cells) < 2 or cells[1].get("id") != HEADER_ID or source(cells[1]) != render_header(course, lesson):
        problems.append(f"{where}: cell 2 must be the header (id {HEADER_ID!r}) that `{WRITE}` makes")
    code = [c for c in cells if c["cell_type"] == "code"]
    if not code or source(code[0]) != render_setup(course):
        problems.append(f"{where}: the first code cell must be the setup cell that `{WRITE}` makes")

    problems += _check_sections(where, nb)
    problems += _check_exercises(where, nb)

    last = source(cells[-1]) if cells else ""
    if f"`{lesson.assignment}`" not in last:
        problems.append(f"{where}: the last cell must name its assignment `{lesson.assignment}`")
    following = course.lessons[lesson.number] if lesson.number < len(course.lessons) else None
    if following and f"]({following.file})" not in last:
        problems.append(f"{where}: the last cell must link the next lesson, {following.file}")

    titles = [text for _, text, _ in headings(nb)]
    marked = [t.split(DEEP_DIVE, 1)[1] for t in titles if DEEP_DIVE in t]
    listed = [title for title, _ in lesson.deep_dives]
    if sorted(marked) != sorted(listed):
        problems.append(f"{where}: headings marked '{DEEP_DIVE}...' {marked} != course.json deep_dives {listed}")
    return problems


def _check_sections(where: str, nb: dict) -> list[str]:
    problems = []
    h2 = [text for level, text, _ in headings(nb) if level == 2]
    numbered = [t for t in h2 if re.match(r"^\d+\.\s", t)]
    expected = 1
    for text in h2:
        m = re.match(r"^(\d+)\.\s+\S", text)
        if m:
            if int(m.group(1)) != expected:
                problems.append(f"{where}: '## {text}' should be numbered {expected}")
            expected = int(m.group(1)) + 1
    others = [t for t in h2 if t not in numbered]
    tail = ["Summary", "Exercises", *[t for t in TRAILING_SECTIONS if t in others]]
    if others != tail:
        problems.append(f"{where}: besides '## N. Title' sections, expected exactly {tail} in that order, "
                        f"found {others}")
    if "Summary" in h2 and numbered and h2.index("Summary") < h2.index(numbered[-1]):
        problems.append(f"{where}: '## Summary' must come after every numbered section")
    if not numbered:
        problems.append(f"{where}: no '## 1. Title' section")
    return problems


def _collapsed(cell: dict) -> bool:
    return bool(cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"))


def _check_exercises(where: str, nb: dict) -> list[str]:
    cells = nb["cells"]
    start = next((i for lvl, t, i in headings(nb) if lvl == 2 and t == "Exercises"), None)
    if start is None:
        return [f"{where}: no '## Exercises'"]
    solutions = [c for c in cells[start:] if c["cell_type"] == "code" and _collapsed(c)]
    problems = []
    if not MIN_SOLUTIONS <= len(solutions) <= MAX_SOLUTIONS:
        problems.append(f"{where}: {len(solutions)} collapsed solution cells after '## Exercises'; "
                        f"expected {MIN_SOLUTIONS}-{MAX_SOLUTIONS}")
    for cell in solutions:
        if not re.search(r"^\s*assert\b", source(cell), re.M):
            problems.append(f"{where}: solution cell {cell.get('id')!r} checks nothing with assert")
    hidden_before = [c.get("id") for c in cells[:start] if _collapsed(c)]
    if hidden_before:
        problems.append(f"{where}: collapsed cells before '## Exercises' {hidden_before}")
    return problems


def check_assignment(course: Course, name: str) -> list[str]:
    """An assignment's notebook metadata: {"course": {"time": ..., "prerequisites": ["stem#N", ...]}}."""
    path = ASSIGNMENTS / name / f"{name}.ipynb"
    if not path.is_file():
        return [f"assignment {name}: {path.relative_to(ROOT)} is missing"]
    meta = read_notebook(path).get("metadata", {}).get("course")
    if not isinstance(meta, dict):
        return [f"assignment {name}: no 'course' notebook metadata "
                '(expected {"course": {"time": "2-3 h", "prerequisites": ["03_dynamic_graphs#4", ...]}})']
    problems = []
    if not isinstance(meta.get("time"), str) or not meta["time"].strip():
        problems.append(f"assignment {name}: metadata course.time must be a non-empty string")
    prereqs = meta.get("prerequisites")
    if not isinstance(prereqs, list) or not prereqs:
        problems.append(f"assignment {name}: metadata course.prerequisites must be a non-empty list")
        prereqs = []
    for ref in prereqs:
        if not isinstance(ref, str):
            problems.append(f"assignment {name}: prerequisite {ref!r} is not a string")
            continue
        problems += _check_ref(course, ref, f"assignment {name}: prerequisite")
    return problems


def check_readme(course: Course) -> list[str]:
    text = README.read_text(encoding="utf-8")
    problems = []
    for name, render in README_BLOCKS.items():
        block = _readme_block(name).search(text)
        if not block:
            problems.append(f"README.md: no <!-- {name}:begin --> ... <!-- {name}:end --> block")
        elif block.group(1) != render(course) + "\n":
            problems.append(f"README.md: the {name} list differs from course.json (run `python tools/course.py write`)")
    return problems


def check_all(course: Course | None = None) -> list[str]:
    course = course or load()
    problems = check_course(course) + check_readme(course)
    for lesson in course.lessons:
        problems += check_lesson(course, lesson)
    for name in course.assignments:
        problems += check_assignment(course, name)
    return problems


# ---- writing ----------------------------------------------------------------------------------------

def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def write_lesson(course: Course, lesson: Lesson) -> bool:
    nb = read_notebook(lesson.path)
    cells = nb["cells"]
    changed = False
    header = render_header(course, lesson)
    if len(cells) > 1 and cells[1].get("id") == HEADER_ID:
        if source(cells[1]) != header:
            cells[1]["source"] = _lines(header)
            changed = True
    else:
        cells.insert(1, {"cell_type": "markdown", "id": HEADER_ID, "metadata": {}, "source": _lines(header)})
        changed = True
    setup = render_setup(course)
    first_code = next(c for c in cells if c["cell_type"] == "code")
    if source(first_code) != setup:
        first_code["source"] = _lines(setup)
        changed = True
    if changed:
        lesson.path.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return changed


def write_readme(course: Course) -> bool:
    text = new = README.read_text(encoding="utf-8")
    for name, render in README_BLOCKS.items():
        pattern = _readme_block(name)
        if not pattern.search(new):
            raise SystemExit(f"README.md has no <!-- {name}:begin --> ... <!-- {name}:end --> block to fill")
        filled = f"<!-- {name}:begin -->\n{render(course)}\n<!-- {name}:end -->"
        new = pattern.sub(lambda _, filled=filled: filled, new)
    if new != text:
        README.write_text(new, encoding="utf-8")
    return new != text


def write_contributing(course: Course) -> bool:
    """Refresh CONTRIBUTING.md's copy of the setup cell (the ```python block that starts with '# Setup:')."""
    text = CONTRIBUTING.read_text(encoding="utf-8")
    pattern = re.compile(r"^([ \t]*)```python\n[ \t]*# Setup:.*?\n[ \t]*```", re.S | re.M)
    match = pattern.search(text)
    if not match:
        raise SystemExit("CONTRIBUTING.md has no ```python block with the setup cell to fill")
    indent = match.group(1)
    body = "\n".join(indent + line if line else "" for line in render_setup(course).splitlines())
    new = text[: match.start()] + f"{indent}```python\n{body}\n{indent}```" + text[match.end():]
    if new != text:
        CONTRIBUTING.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    course = load()
    if command == "write":
        for lesson in course.lessons:
            if not lesson.path.is_file():
                print(f"skipped {lesson.file}: no such notebook yet")
                continue
            if write_lesson(course, lesson):
                print(f"rewrote the header and setup cells of {lesson.file}")
        if write_readme(course):
            print("rewrote README.md's lesson and assignment lists")
        if write_contributing(course):
            print("rewrote CONTRIBUTING.md's copy of the setup cell")
        return 0
    if command == "check":
        problems = check_all(course)
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s)" if problems else "course structure: all checks passed")
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
