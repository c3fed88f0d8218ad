"""Build and self-check the graded assignments with nbgrader.

Run from the repository root with the course's Python (this is what `make assignments` does):

    python notebooks/assignments/assignments.py [NAME ...]

For every assignment `notebooks/assignments/<name>/<name>.ipynb` (or only the NAMEs given):

1. generate the student version with `nbgrader generate_assignment` into `release/<name>/<name>.ipynb`;
2. check that the student version leaks no solution and no hidden test (markers, lines, outputs);
3. execute the student version: it must run without error up to its first unanswered stub, and
   that stub must raise NotImplementedError;
4. submit the source notebook (the solutions) as a fake student, autograde it with nbgrader and
   require full marks, with no error in any cell;
5. submit the untouched student version as another fake student, autograde it and require 0 points,
   so that no graded test passes vacuously.

Before `finetuning` it runs `python -m autograd_course backbone` (see PREPARE), so building the
cached course backbone never counts against nbgrader's per-cell timeout.

Configuration comes from `nbgrader_config.py` next to this file, except for the course root: the
self-check works in `build/nbgrader-check/` (wiped at every run), so it never touches an
instructor's real gradebook in `build/nbgrader/`. Exit status is non-zero when any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
import warnings

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHECK_ROOT = REPO / "build" / "nbgrader-check"
SOLUTION_STUDENT = "solution"
BLANK_STUDENT = "blank"
STUDENT_RUN_DIR = CHECK_ROOT / "student_run"

# Python arguments run once (from the repository root) before an assignment's notebooks, outside
# nbgrader's per-cell timeout: the course backbone takes about a minute to build the first time.
PREPARE = {"finetuning": ["-m", "autograd_course", "backbone"]}

SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
LEAK_MARKERS = SOLUTION_MARKERS + HIDDEN_MARKERS + ("BEGIN MARK SCHEME", "END MARK SCHEME")
# Lines shorter than this (after stripping) are too generic to count as a leak ("else:", "pass").
MIN_SECRET_LINE = 10


# --------------------------------------------------------------------------------------------
# Notebook helpers (pure functions; tests/test_assignments.py uses them without a kernel)
# --------------------------------------------------------------------------------------------
def assignment_names(root: pathlib.Path = HERE) -> list[str]:
    """Assignments are the folders `<name>/` that hold `<name>.ipynb`."""
    return sorted(p.parent.name for p in root.glob("*/*.ipynb") if p.stem == p.parent.name)


def source_path(name: str) -> pathlib.Path:
    return HERE / name / f"{name}.ipynb"


def read_notebook(path: pathlib.Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def split_regions(text: str) -> tuple[list[str], list[str]]:
    """(public lines, secret lines) of a cell: secret = inside a solution or hidden-test region."""
    public, secret = [], []
    inside = False
    for line in text.split("\n"):
        if any(m in line for m in (SOLUTION_MARKERS[0], HIDDEN_MARKERS[0])):
            inside = True
        elif any(m in line for m in (SOLUTION_MARKERS[1], HIDDEN_MARKERS[1])):
            inside = False
        else:
            (secret if inside else public).append(line)
    return public, secret


def secret_lines(source_nb: dict) -> set[str]:
    """Stripped lines of solutions and hidden tests that never appear outside them."""
    public: set[str] = set()
    secret: set[str] = set()
    for cell in source_nb["cells"]:
        text = cell_source(cell)
        meta = nbgrader_meta(cell)
        has_marker = any(m in text for m in SOLUTION_MARKERS + HIDDEN_MARKERS)
        if meta.get("solution") and not has_marker:
            # nbgrader replaces a whole solution cell without markers by the stub
            pub, sec = [], text.split("\n")
        else:
            pub, sec = split_regions(text)
        public.update(line.strip() for line in pub)
        secret.update(line.strip() for line in sec)
    return {s for s in secret - public if len(s) >= MIN_SECRET_LINE}


def find_leaks(source_nb: dict, student_nb: dict) -> list[str]:
    """Everything in the student version that should have been removed by nbgrader."""
    leaks = []
    secrets = secret_lines(source_nb)
    for i, cell in enumerate(student_nb["cells"]):
        where = f"cell {i} ({nbgrader_meta(cell).get('grade_id', 'no grade_id')})"
        text = cell_source(cell)
        for marker in LEAK_MARKERS:
            if marker in text:
                leaks.append(f"{where}: marker {marker!r}")
        for line in text.split("\n"):
            if line.strip() in secrets:
                leaks.append(f"{where}: solution or hidden-test line {line.strip()!r}")
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            leaks.append(f"{where}: stored outputs")
    return leaks


def structure_problems(nb: dict) -> list[str]:
    """Problems nbgrader would reject or that would make grading unfair."""
    problems = []
    seen: set[str] = set()
    for i, cell in enumerate(nb["cells"]):
        meta = nbgrader_meta(cell)
        text = cell_source(cell)
        for begin, end in (SOLUTION_MARKERS, HIDDEN_MARKERS):
            depth = 0
            for line in text.split("\n"):
                if begin in line:
                    depth += 1
                    if depth > 1:
                        problems.append(f"cell {i}: nested {begin!r}")
                elif end in line:
                    depth -= 1
                    if depth < 0:
                        problems.append(f"cell {i}: {end!r} without {begin!r}")
            if depth > 0:
                problems.append(f"cell {i}: {begin!r} without {end!r}")
        if not meta:
            if any(m in text for m in LEAK_MARKERS):
                problems.append(f"cell {i}: markers in a cell without nbgrader metadata")
            continue
        gid = meta.get("grade_id")
        if not gid:
            problems.append(f"cell {i}: nbgrader cell without grade_id")
        elif gid in seen:
            problems.append(f"cell {i}: duplicate grade_id {gid!r}")
        seen.add(gid)
        if meta.get("schema_version") != 3:
            problems.append(f"cell {i} ({gid}): schema_version is not 3")
        if meta.get("grade"):
            if not (isinstance(meta.get("points"), (int, float)) and meta["points"] > 0):
                problems.append(f"cell {i} ({gid}): graded cell needs points > 0")
            if not meta.get("locked") and not meta.get("solution"):
                problems.append(f"cell {i} ({gid}): test cell should be locked")
        if any(m in text for m in SOLUTION_MARKERS) and not meta.get("solution"):
            problems.append(f"cell {i} ({gid}): solution markers in a non-solution cell")
        if any(m in text for m in HIDDEN_MARKERS) and not meta.get("grade"):
            problems.append(f"cell {i} ({gid}): hidden tests in a cell that is not graded")
    return problems


def max_points(nb: dict) -> float:
    return sum(nbgrader_meta(c).get("points", 0) for c in nb["cells"] if nbgrader_meta(c).get("grade"))


def error_outputs(nb: dict) -> list[tuple[int, str, str]]:
    """(cell index, exception name, value) for every error output of an executed notebook, and
    ("stderr", text) for output on stderr, which nbgrader counts as a failed test."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") == "error":
                found.append((i, out.get("ename", "?"), out.get("evalue", "")))
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", ""))
                found.append((i, "stderr", text.strip()[:300]))
    return found


# --------------------------------------------------------------------------------------------
# nbgrader steps
# --------------------------------------------------------------------------------------------
class CheckFailed(Exception):
    pass


def load_config():
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(HERE)).load_config()
    cfg.CourseDirectory.root = str(CHECK_ROOT)
    return cfg


def make_api(cfg):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=cfg)
    return NbGraderAPI(coursedir=coursedir, config=cfg, log_level="WARN")


def _check_result(what: str, result: dict) -> None:
    if not result.get("success"):
        raise CheckFailed(f"{what} failed:\n{result.get('log', '')}\n{result.get('error', '')}")


def release_path(api, name: str) -> pathlib.Path:
    cd = api.coursedir
    return pathlib.Path(cd.format_path(cd.release_directory, ".", name)) / f"{name}.ipynb"


def submit(api, name: str, student: str, notebook: pathlib.Path) -> None:
    cd = api.coursedir
    dest = pathlib.Path(cd.format_path(cd.submitted_directory, student, name))
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copyfile(notebook, dest / f"{name}.ipynb")


def autograde(api, name: str, student: str) -> tuple[float, float, list[str], dict]:
    """Autograde one fake submission; (score, max score, failed grade cells, executed notebook)."""
    from nbgrader.api import Gradebook

    _check_result(f"nbgrader autograde {name} for {student!r}", api.autograde(name, student))
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        sub = gb.find_submission(name, student)
        failed = [
            f"{g.name} ({g.score:g}/{g.max_score:g})"
            for nb in sub.notebooks
            for g in nb.grades
            if g.score < g.max_score
        ]
        score, max_score = sub.score, sub.max_score
    cd = api.coursedir
    graded = pathlib.Path(cd.format_path(cd.autograded_directory, student, name)) / f"{name}.ipynb"
    return score, max_score, failed, read_notebook(graded)


def run_student_version(name: str, notebook: pathlib.Path, timeout: int) -> None:
    """Execute the student version until its first error, which must be a stub's NotImplementedError."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    workdir = STUDENT_RUN_DIR / name  # inside the checkout, so the setup cell finds the packages
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute()
    except (CellTimeoutError, DeadKernelError) as err:
        raise CheckFailed(f"{name}: the student version did not run: {str(err).splitlines()[0]}") from None
    except CellExecutionError as err:
        failing = next(
            (i for i, c in enumerate(nb.cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
            None,
        )
        cell = nb.cells[failing] if failing is not None else {}
        meta = nbgrader_meta(cell)
        if err.ename != "NotImplementedError":
            raise CheckFailed(
                f"{name}: the student version fails with {err.ename} in cell {failing} "
                f"({meta.get('grade_id', 'no grade_id')}) before reaching a stub:\n{err.evalue}"
            ) from None
        if not (meta.get("solution") or meta.get("grade")):
            raise CheckFailed(
                f"{name}: NotImplementedError in cell {failing}, which is neither an answer nor a test cell"
            ) from None
        return
    raise CheckFailed(f"{name}: the student version runs to the end without reaching an unanswered stub")


def check_assignment(api, name: str, timeout: int) -> dict:
    start = time.monotonic()
    src = source_path(name)
    source_nb = read_notebook(src)
    problems = structure_problems(source_nb)
    if problems:
        raise CheckFailed(f"{name}: source notebook problems:\n  " + "\n  ".join(problems))
    points = max_points(source_nb)

    # 1. student version
    _check_result(f"nbgrader generate_assignment {name}", api.generate_assignment(name, force=True, create=True))
    released = release_path(api, name)
    if not released.is_file():
        raise CheckFailed(f"{name}: nbgrader did not write {released.relative_to(REPO)}")

    # 2. no leaks
    leaks = find_leaks(source_nb, read_notebook(released))
    if leaks:
        raise CheckFailed(f"{name}: the student version leaks:\n  " + "\n  ".join(leaks))

    # 3. the student version runs up to its first stub
    if name in PREPARE:
        done = subprocess.run([sys.executable, *PREPARE[name]], cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0:
            raise CheckFailed(
                f"{name}: preparing with `python {' '.join(PREPARE[name])}` failed:\n{done.stdout}{done.stderr}"
            )
    run_student_version(name, released, timeout)

    # 4. the solutions score full marks
    submit(api, name, SOLUTION_STUDENT, src)
    sol_score, sol_max, failed, graded = autograde(api, name, SOLUTION_STUDENT)
    if sol_max != points:
        raise CheckFailed(f"{name}: the gradebook's max score {sol_max:g} differs from the notebook's {points:g}")
    errors = error_outputs(graded)
    if sol_score != sol_max or errors:
        details = [f"failed: {f}" for f in failed] + [f"cell {i}: {e}: {v}" for i, e, v in errors]
        raise CheckFailed(
            f"{name}: the solutions score {sol_score:g}/{sol_max:g}, not full marks:\n  " + "\n  ".join(details)
        )

    # 5. the untouched student version scores nothing
    submit(api, name, BLANK_STUDENT, released)
    blank_score, _, _, _ = autograde(api, name, BLANK_STUDENT)
    if blank_score != 0:
        raise CheckFailed(
            f"{name}: the unanswered student version scores {blank_score:g}/{points:g}: some graded test passes "
            "without an answer"
        )
    return dict(name=name, points=points, solution=sol_score, blank=blank_score, seconds=time.monotonic() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="assignments to check (default: all)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell for the student-version run")
    args = parser.parse_args(argv)

    names = assignment_names()
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        print(f"unknown assignment(s): {', '.join(unknown)}; known: {', '.join(names)}", file=sys.stderr)
        return 2
    names = args.names or names
    if len(names) == 0:
        print("no assignments found", file=sys.stderr)
        return 2

    # nbgrader runs the `alembic` command to set up its gradebook: make this interpreter's scripts
    # (the venv's bin/) findable even when the venv is not activated.
    bindir = str(pathlib.Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([bindir, os.environ.get("PATH", "")])

    # nbgrader's gradebook code trips a harmless SQLAlchemy warning at every autograde
    warnings.filterwarnings("ignore", message=r".*not in session.*")

    shutil.rmtree(CHECK_ROOT, ignore_errors=True)
    CHECK_ROOT.mkdir(parents=True)
    api = make_api(load_config())

    rows, failures = [], []
    for name in names:
        print(f"checking {name} ...", flush=True)
        try:
            rows.append(check_assignment(api, name, args.timeout))
        except CheckFailed as err:
            failures.append(str(err))
            print(f"FAIL {err}", file=sys.stderr, flush=True)

    if rows:
        width = max(len("assignment"), *(len(r["name"]) for r in rows))
        print(f"\n{'assignment':<{width}}  {'max':>5}  {'solution':>8}  {'blank':>5}  {'time':>6}")
        for r in rows:
            print(
                f"{r['name']:<{width}}  {r['points']:>5g}  {r['solution']:>8g}  {r['blank']:>5g}  {r['seconds']:>5.1f}s"
            )
    if failures:
        print(f"\n{len(failures)} assignment(s) failed the self-check", file=sys.stderr)
        return 1
    rel = pathlib.Path(api.coursedir.release_directory)
    shown = rel.relative_to(REPO) if rel.is_relative_to(REPO) else rel
    print(f"\nall {len(rows)} assignment(s) pass; student versions in {shown}/<name>/<name>.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
