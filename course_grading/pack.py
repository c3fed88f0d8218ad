"""Build what students get, and prove it holds no solution: `make student-pack`.

    python -m course_grading pack [--out DIR]

The pack (default `build/student-pack/autograd-course/`, and a zip next to it) holds the lessons with
their outputs, the released assignments (made by `nbgrader generate_assignment`: stubs instead of
solutions, no hidden tests), the course packages (`dagviz`, `autograd_course`) with the files that
install them, a README for students, and settings that hide nbgrader's instructor panels for students
who install nbgrader to use its Validate button. It holds no source notebook, no cheat corpus, and no
grading package (`course_grading`: hidden checks, references, oracles, the grader).

The Chinese edition comes along: the Chinese lessons (`notebooks/zh/`), the Chinese assignments released
beside the English ones (`notebooks/assignments/<name>_zh/`, generated from the Chinese source notebooks),
README.zh-CN.md and the glossary (`docs/glossary.md`) they link to.

The leak check then reads every file of the pack: no solution or hidden-test marker anywhere; every
released notebook, English or Chinese, passes `assignments.find_leaks` against its source; no run of four
or more consecutive solution or hidden-test lines appears in any file (lessons of both languages included:
a lesson must not carry an assignment's answer); no path of the instructor's side. Exit status 1 on any leak.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import sys
import tempfile
import zipfile

from course_grading import selfcheck as A

REPO = A.REPO
HERE = A.HERE  # the assignments' source folder

PACKAGES = ("dagviz", "autograd_course")
TOP_FILES = ("pyproject.toml", "constraints.txt", "environment.yml", "README.zh-CN.md")
DOCS = ("glossary.md",)  # what the Chinese lessons and README.zh-CN.md link to
TRANSLATED_LESSONS = ("zh",)  # notebooks/<lang>/: generated lessons (tools/i18n.py)
# Never in a student's hands (checked by name anywhere in the pack).
INSTRUCTOR_ONLY = ("cheats", "course_grading", "gradebook.db")
INSTRUCTOR_PANELS = ("nbgrader:formgrader", "nbgrader:create-assignment", "nbgrader:course-list")
INSTRUCTOR_SERVER = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")
MIN_BLOCK = 4  # consecutive secret lines that count as a copied solution (3 catch the usual training step)

README = """# Autograd, by hand and by picture: student pack

Lessons in `notebooks/NN_*.ipynb` (read the stored outputs, then run them top to bottom), graded
assignments in `notebooks/assignments/<name>/<name>.ipynb`.

中文版：课程在 `notebooks/zh/`，作业在 `notebooks/assignments/<作业名>_zh/`，说明见 README.zh-CN.md。
Chinese edition: lessons in `notebooks/zh/`, assignments in `notebooks/assignments/<name>_zh/` (same checks and
points as the English ones), README.zh-CN.md.

## Install (Python 3.10+ and Graphviz's `dot`: `sudo apt-get install graphviz` or `brew install graphviz`)

    python3 -m venv .venv && . .venv/bin/activate
    pip install -c constraints.txt -e ".[course]"
    python -m autograd_course backbone      # once: the offline resnet18 lesson 6 and finetuning use (about a minute)
    jupyter lab notebooks/01_tensors_that_remember.ipynb

With conda: `conda env create -f environment.yml && conda activate autograd-course`.

## Assignments

Answer in the cells that say `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line), then
*Kernel > Restart Kernel and Run All Cells*: a test cell that runs without an error has passed its
visible checks. The grader adds hidden checks on inputs you have not seen and gives partial credit
per check, so write general code, not the examples' answers. Do not rename functions or delete cells.
Hand the notebook in as your course says (JupyterHub's Assignments tab, or upload it to the LMS).

To run the notebook exactly as the grader's first pass does, install nbgrader (`pip install nbgrader`)
and start JupyterLab with this pack's settings, which keep the instructor panels out of your way and
give each cell the grader's 120 s:

    JUPYTER_CONFIG_PATH="$PWD/jupyter-config" jupyter lab

then use the Validate button, or `nbgrader validate notebooks/assignments/<name>/<name>.ipynb` from
this folder.
"""

STUDENT_NBGRADER_CONFIG = """# nbgrader settings for students: `nbgrader validate` runs cells with the grader's time.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "autograd_course"
c.Execute.timeout = 120
"""


def _copy_tree(src: pathlib.Path, dst: pathlib.Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))


def release_assignments(dest: pathlib.Path) -> list[str]:
    """`nbgrader generate_assignment` for every assignment, into dest/<name>/ (a throwaway gradebook)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    names = A.assignment_names()
    with tempfile.TemporaryDirectory(prefix="student-pack-") as root:
        os.environ["AUTOGRAD_COURSE_GRADING_ROOT"] = root
        os.environ["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")])
        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
        cfg.CourseDirectory.root = root
        cfg.CourseDirectory.release_directory = str(dest)
        api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg, log_level="WARN")
        for name in names:
            result = api.generate_assignment(name, force=True, create=True)
            if not result.get("success"):
                log = f"{result.get('log')}{result.get('error')}"
                raise SystemExit(f"nbgrader generate_assignment {name} failed:\n{log}")
    return names


def build(out: pathlib.Path) -> pathlib.Path:
    pack = out / "autograd-course"
    shutil.rmtree(out, ignore_errors=True)
    (pack / "notebooks").mkdir(parents=True)
    for lesson in sorted((REPO / "notebooks").glob("[0-9]*.ipynb")):
        shutil.copy2(lesson, pack / "notebooks" / lesson.name)
    for lang in TRANSLATED_LESSONS:
        (pack / "notebooks" / lang).mkdir()
        for lesson in sorted((REPO / "notebooks" / lang).glob("[0-9]*.ipynb")):
            shutil.copy2(lesson, pack / "notebooks" / lang / lesson.name)
    (pack / "docs").mkdir()
    for name in DOCS:
        shutil.copy2(REPO / "docs" / name, pack / "docs" / name)
    for package in PACKAGES:
        _copy_tree(REPO / package, pack / package)
    for name in TOP_FILES:
        shutil.copy2(REPO / name, pack / name)
    pyproject = pack / "pyproject.toml"  # the grading package is not in the pack: do not list it
    text = pyproject.read_text(encoding="utf-8").replace(', "course_grading*"', "")
    text = "\n".join(line for line in text.split("\n") if not line.startswith("course_grading = "))
    pyproject.write_text(text, encoding="utf-8")
    (pack / "data").mkdir()
    shutil.copy2(REPO / "data" / "README.md", pack / "data" / "README.md")
    release_assignments(pack / "notebooks" / "assignments")
    (pack / "README.md").write_text(README, encoding="utf-8")
    (pack / "nbgrader_config.py").write_text(STUDENT_NBGRADER_CONFIG, encoding="utf-8")
    config = pack / "jupyter-config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {p: True for p in INSTRUCTOR_PANELS}}, indent=2) + "\n")
    (config / "jupyter_server_config.d").mkdir()
    (config / "jupyter_server_config.d" / "nbgrader-students.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {e: False for e in INSTRUCTOR_SERVER}}}, indent=2) + "\n")
    (config / "nbgrader_config.py").write_text(STUDENT_NBGRADER_CONFIG, encoding="utf-8")
    archive = out / "autograd-course.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(pack.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(out))
    return pack


def _secret_blocks(source_nb: dict) -> list[tuple[str, ...]]:
    """Runs of MIN_BLOCK consecutive non-trivial lines from solutions and hidden tests."""
    secrets = A.secret_lines(source_nb)
    blocks = []
    for cell in source_nb["cells"]:
        lines = [line.strip() for line in A.cell_source(cell).split("\n")]
        lines = [line for line in lines if line]
        for i in range(len(lines) - MIN_BLOCK + 1):
            window = tuple(lines[i : i + MIN_BLOCK])
            if all(line in secrets for line in window):
                blocks.append(window)
    return blocks


def leak_check(pack: pathlib.Path) -> list[str]:
    problems = []
    sources = {name: A.read_notebook(A.source_path(name)) for name in A.assignment_names()}
    blocks = {window for nb in sources.values() for window in _secret_blocks(nb)}
    for name, source in sources.items():
        released = pack / "notebooks" / "assignments" / name / f"{name}.ipynb"
        if not released.is_file():
            problems.append(f"{name}: no released notebook in the pack")
            continue
        problems += [f"{name}: {leak}" for leak in A.find_leaks(source, A.read_notebook(released))]
    for path in sorted(pack.rglob("*")):
        rel = path.relative_to(pack)
        if any(part in INSTRUCTOR_ONLY for part in rel.parts):
            problems.append(f"{rel}: instructor-only file")
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            text = "\n".join(A.cell_source(c) for c in json.loads(text)["cells"])
        for marker in A.LEAK_MARKERS:
            if marker in text:
                problems.append(f"{rel}: marker {marker!r}")
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        for i in range(len(lines) - MIN_BLOCK + 1):
            if tuple(lines[i : i + MIN_BLOCK]) in blocks:
                problems.append(f"{rel}: copies {MIN_BLOCK} lines of a solution or hidden test: {lines[i]!r} ...")
                break
        if str(REPO) in text:
            problems.append(f"{rel}: names the instructor's checkout")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=REPO / "build" / "student-pack")
    args = parser.parse_args(argv)
    pack = build(args.out.resolve())
    problems = leak_check(pack)
    files = [p for p in pack.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    shown = pack.relative_to(REPO) if pack.is_relative_to(REPO) else pack
    if problems:
        print("\n".join(f"LEAK {p}" for p in problems), file=sys.stderr)
        print(f"\nthe student pack in {shown} leaks: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    released = sorted(p.parent.name for p in (pack / "notebooks" / "assignments").glob("*/*.ipynb"))
    print(f"student pack: {len(files)} files, {size / 1e6:.1f} MB in {shown} (and {shown.parent}/autograd-course.zip)")
    lessons = len(list((pack / "notebooks").glob("[0-9]*.ipynb")))
    translated = ", ".join(f"{lang}: {len(list((pack / 'notebooks' / lang).glob('[0-9]*.ipynb')))}"
                           for lang in TRANSLATED_LESSONS)
    print(f"  lessons: {lessons} (translated, {translated}); released assignments: {', '.join(released)}")
    print("  leak check: no solution, hidden test, source notebook, cheat or grading machinery")
    return 0


if __name__ == "__main__":
    sys.exit(main())
