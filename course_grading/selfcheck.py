"""Build and self-check the graded assignments with nbgrader: solutions, blanks and the cheat corpus.

Run with the course's Python (this is what `make assignments` does):

    python -m course_grading selfcheck [NAME ...] [--jobs N] [--no-cheats]

For every assignment `notebooks/assignments/<name>/<name>.ipynb` (or only the NAMEs given):

1. generate the student version with `nbgrader generate_assignment` into `release/<name>/<name>.ipynb`
   and check that it leaks no solution and no hidden test (markers, lines, outputs);
2. execute the student version as a student would: it must run without error up to its first
   unanswered stub, and that stub must raise NotImplementedError;
3. autograde, each in a course root of its own and through the course's whole grading pipeline
   (`nbgrader_config.py`: the trusted grader, its sandboxed workers, the review scan), these submissions:
   * the source notebook (the solutions): full marks, nothing for the review scan to note;
   * the untouched student version: 0 points;
   * every cheat in `<name>/cheats/*.py` (see cheats.py): at most 20% of the points, or the points of
     the tests it honestly answers; and noted by the review scan at least as its header says (the
     notes decide nothing: the limit holds on the score alone);
   * every honest alternative in the same folder (`# class: honest`): full marks, with at most the
     review notes its `# flag:` allows (none or review).
4. print one table of all of them, with the time each took.

An edition in another language (`tiny_autodiff_zh`, see editions.py and tools/i18n.py) is an assignment of
its own here too, graded by the English assignment's checks: its solutions must get full marks and its blank
student version zero, with every grader message translated (a message left in English fails). Its cheats
are not run again. The grader reads only a submission's code cells, and an edition's code cells, grade ids and
points are the English ones (`tools/i18n.py check` and tests/test_assignments.py hold them to that, and
the tests check that every cheat builds the same code cells on either edition), so each cheat would score
exactly what it scores on the English assignment, at twice the CI time.

Before `finetuning` it runs `python -m autograd_course backbone` (see PREPARE), so building the cached
course backbone never counts against a submission's time. Autograde jobs run in parallel (`--jobs`,
default 2). Every submission gets a course root of its own in a temporary folder (removed at the end
unless a check fails or `--keep`), never an instructor's. Exit status is non-zero when any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

from course_grading import cheats as cheat_files
from course_grading.autograde import REVIEW_MARK
from course_grading.editions import ENGLISH, edition

REPO = pathlib.Path(__file__).resolve().parents[1]
HERE = REPO / "notebooks" / "assignments"  # nbgrader's source folder: only the assignments
SOLUTION_STUDENT = "solution"
BLANK_STUDENT = "blank"

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
    """Assignments are the folders `<name>/` that hold `<name>.ipynb` (language editions such as
    `tiny_autodiff_zh` included: they are nbgrader assignments of their own)."""
    return sorted(p.parent.name for p in root.glob("*/*.ipynb") if p.stem == p.parent.name)


def english_names(root: pathlib.Path = HERE) -> list[str]:
    """The English assignments: each has its hidden checks, drivers and cheat corpus."""
    return [name for name in assignment_names(root) if edition(name).lang == ENGLISH]


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


def verdict_texts(nb: dict) -> dict[str, str]:
    """What the trusted grader wrote in each test cell of an autograded notebook."""
    out = {}
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            out[meta["grade_id"]] = "".join("".join(o.get("text", "")) for o in cell.get("outputs", [])
                                            if o.get("output_type") == "stream")
    return out


# --------------------------------------------------------------------------------------------
# nbgrader steps
# --------------------------------------------------------------------------------------------
class CheckFailed(Exception):
    pass


def load_config(root: pathlib.Path):
    """nbgrader_config.py with the course root `root` (the config derives every path from it)."""
    from traitlets.config.loader import PyFileConfigLoader

    os.environ["AUTOGRAD_COURSE_GRADING_ROOT"] = str(root)
    return PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()


def make_api(cfg):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg, log_level="WARN")


def _check_result(what: str, result: dict) -> None:
    if not result.get("success"):
        raise CheckFailed(f"{what} failed:\n{result.get('log', '')}\n{result.get('error', '')}")


def release_path(api, name: str) -> pathlib.Path:
    cd = api.coursedir
    return pathlib.Path(cd.format_path(cd.release_directory, ".", name)) / f"{name}.ipynb"


def run_student_version(name: str, notebook: pathlib.Path, timeout: int, workdir: pathlib.Path) -> None:
    """Execute the student version until its first error, which must be a stub's NotImplementedError."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

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


class Job:
    """One submission autograded by `nbgrader autograde` in a course root of its own."""

    def __init__(self, name: str, student: str, notebook: dict, template: pathlib.Path, kind: str, cheat=None):
        self.name, self.student, self.kind, self.cheat = name, student, kind, cheat
        self.root = template.parent / "jobs" / student
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.copytree(template, self.root)
        folder = self.root / "submitted" / student / name
        folder.mkdir(parents=True)
        (folder / f"{name}.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")

    def run(self, pool) -> None:
        self.future = pool.submit(autograde_job, self.name, self.student, str(self.root))

    def wait(self) -> None:
        self.ok_run, self.log, self.seconds = self.future.result()

    def collect(self) -> None:
        """Scores from the job's gradebook: final, automatic (before the scan's hold), per cell; scan notes."""
        from nbgrader.api import Gradebook

        self.error = None if self.ok_run else self.log[-3000:]
        self.scan = []
        self.verdicts = {}
        self.score = self.auto = self.max = 0.0
        self.failed = []
        if not self.ok_run:
            return
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", "autograd_course") as gb:
            sub = gb.find_submission(self.name, self.student)
            self.score, self.max = sub.score, sub.max_score
            for nb in sub.notebooks:
                for grade in nb.grades:
                    self.auto += grade.auto_score or 0.0
                    if (grade.auto_score or 0) < grade.max_score:
                        self.failed.append(f"{grade.name} ({grade.auto_score or 0:g}/{grade.max_score:g})")
                for comment in nb.comments:
                    if (comment.manual_comment or "").startswith(REVIEW_MARK):
                        self.scan.append(comment.manual_comment)
        graded = self.root / "autograded" / self.student / self.name / f"{self.name}.ipynb"
        self.verdicts = verdict_texts(read_notebook(graded)) if graded.is_file() else {}

    @property
    def flag(self) -> str:
        text = " ".join(self.scan)
        return "tamper" if "tamper:" in text else "review" if "review:" in text else "none"


def autograde_job(name: str, student: str, root: str) -> tuple[bool, str, float]:
    """In a worker process: autograde one submission in its own course root (nbgrader's own API, so
    nbgrader is imported once per worker, not once per submission)."""
    start = time.monotonic()
    warnings.filterwarnings("ignore", message=r".*not in session.*")
    api = make_api(load_config(pathlib.Path(root)))
    result = api.autograde(name, student)
    return bool(result.get("success")), f"{result.get('log', '')}\n{result.get('error', '')}", time.monotonic() - start


def student_version_job(name: str, notebook: str, timeout: int, workdir: str) -> str | None:
    """In a worker process: the student version must run up to its first stub."""
    try:
        run_student_version(name, pathlib.Path(notebook), timeout, pathlib.Path(workdir))
    except CheckFailed as err:
        return str(err)
    return None


def _points_by_cell(nb: dict) -> dict[str, float]:
    graded = [nbgrader_meta(c) for c in nb["cells"] if nbgrader_meta(c).get("grade")]
    return {meta["grade_id"]: meta["points"] for meta in graded}


def prepare_assignment(name: str, check_root: pathlib.Path) -> dict:
    """Student version, leak check, template course root; returns what the jobs need."""
    source_nb = read_notebook(source_path(name))
    problems = structure_problems(source_nb)
    if problems:
        raise CheckFailed(f"{name}: source notebook problems:\n  " + "\n  ".join(problems))
    template = check_root / name / "template"
    template.mkdir(parents=True)
    api = make_api(load_config(template))
    _check_result(f"nbgrader generate_assignment {name}", api.generate_assignment(name, force=True, create=True))
    released = release_path(api, name)
    if not released.is_file():
        raise CheckFailed(f"{name}: nbgrader did not write {released}")
    student_nb = read_notebook(released)
    leaks = find_leaks(source_nb, student_nb)
    if leaks:
        raise CheckFailed(f"{name}: the student version leaks:\n  " + "\n  ".join(leaks))
    prepare = PREPARE.get(edition(name).checks)
    if prepare:
        done = subprocess.run([sys.executable, *prepare], cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0:
            raise CheckFailed(f"{name}: `python {' '.join(prepare)}` failed:\n{done.stdout}{done.stderr}")
    return dict(source=source_nb, student=student_nb, released=released, template=template)


def make_jobs(name: str, prep: dict, cheats: bool) -> list[Job]:
    jobs = [Job(name, SOLUTION_STUDENT, prep["source"], prep["template"], "solution"),
            Job(name, BLANK_STUDENT, prep["student"], prep["template"], "blank")]
    if cheats and edition(name).lang == ENGLISH:  # an edition's cheats would score as on the English one
        for cheat in cheat_files.load(HERE / name):
            submission = cheat_files.build(cheat, prep["student"])
            kind = "honest" if cheat.cls == cheat_files.HONEST else "cheat"
            jobs.append(Job(name, cheat.name, submission, prep["template"], kind, cheat))
    return jobs


def _why(job: Job) -> str:
    """The failed test cells, error outputs and scan notes of a job that should have had full marks."""
    details = [f"failed: {f}\n    " + job.verdicts.get(f.split(" ")[0], "").replace("\n", "\n    ")
               for f in job.failed]
    return "\n  " + "\n  ".join(details + job.scan)


def verdict(job: Job, points: dict[str, float]) -> str | None:
    """None when the job scored as it must, else why not."""
    LEVELS = cheat_files.LEVELS  # noqa: N806
    total = sum(points.values())
    if job.error:
        return f"nbgrader autograde failed:\n{job.error}"
    untranslated = sorted({line.split(": ", 1)[-1] for line in getattr(job, "log", "").splitlines()
                           if "UNTRANSLATED" in line})
    if untranslated:
        return (f"grader messages left in English in the {edition(job.name).lang} edition (add them to "
                "course_grading/messages_<lang>.txt):\n  " + "\n  ".join(untranslated))
    if job.max != total:
        return f"the gradebook's max score {job.max:g} differs from the notebook's {total:g}"
    if job.kind == "honest":
        if job.score != total or LEVELS.index(job.flag) > LEVELS.index(job.cheat.flag):
            return (f"the honest answer {job.student} scores {job.score:g}/{total:g} (the scan may find at most "
                    f"{job.cheat.flag}):" + _why(job))
    elif job.kind == "solution":
        if job.score != total or job.scan:
            return f"the solutions score {job.score:g}/{total:g}:" + _why(job)
    elif job.kind == "blank":
        if job.score != 0 or job.auto != 0:
            return f"the unanswered student version scores {job.auto:g}/{total:g}: a test passes without an answer"
    else:
        limit = job.cheat.limit(points)
        if max(job.auto, job.score) > limit + 1e-9:
            return (f"cheat {job.cheat.name} ({job.cheat.cls}) scores {job.auto:g}/{total:g}, "
                    f"over its limit {limit:g}; passed: " +
                    ", ".join(g for g in points if all(not f.startswith(g + " ") for f in job.failed)))
        if LEVELS.index(job.flag) < LEVELS.index(job.cheat.flag):
            return f"cheat {job.cheat.name}: the review scan should note it ({job.cheat.flag}), it found {job.flag}"
    return None


def print_table(rows: list[tuple[Job, dict, str | None]]) -> None:
    head = ("assignment", "submission", "class", "score", "autograder", "limit", "scan", "time", "")
    lines = []
    for job, points, problem in rows:
        total = sum(points.values())
        limit = (f"<={job.cheat.limit(points):g}" if job.kind == "cheat"
                 else f"={total if job.kind in ('solution', 'honest') else 0:g}")
        lines.append((job.name, job.student, job.cheat.cls if job.cheat else "-", f"{job.score:g}/{total:g}",
                      f"{job.auto:g} ({100 * job.auto / total:.0f}%)", limit, job.flag, f"{job.seconds:.0f}s",
                      "ok" if problem is None else "FAIL"))
    widths = [max(len(str(r[i])) for r in [head, *lines]) for i in range(len(head))]
    for r in [head, *lines]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="assignments to check (default: all)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell for the student-version run")
    parser.add_argument("--jobs", type=int, default=2, help="autograde jobs run at the same time")
    parser.add_argument("--no-cheats", action="store_true", help="only the solutions and blank versions")
    parser.add_argument("--keep", action="store_true", help="keep the course roots (kept anyway when a check fails)")
    args = parser.parse_args(argv)

    names = assignment_names()
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        print(f"unknown assignment(s): {', '.join(unknown)}; known: {', '.join(names)}", file=sys.stderr)
        return 2
    names = args.names or names
    if not names:
        print("no assignments found", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("--jobs must be at least 1", file=sys.stderr)
        return 2

    # nbgrader runs the `alembic` command to set up its gradebook: make this interpreter's scripts
    # (the venv's bin/) findable even when the venv is not activated.
    os.environ["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")])
    warnings.filterwarnings("ignore", message=r".*not in session.*")  # nbgrader's gradebook, at every autograde
    start = time.monotonic()
    # Course roots of their own, outside the checkout: never an instructor's, never under build/.
    check_root = pathlib.Path(tempfile.mkdtemp(prefix="autograd-course-check-"))

    failures: list[str] = []
    jobs: list[tuple[Job, dict]] = []
    student_runs: list[tuple[str, pathlib.Path]] = []
    for name in names:
        print(f"preparing {name} ...", flush=True)
        try:
            prep = prepare_assignment(name, check_root)
        except CheckFailed as err:
            failures.append(str(err))
            print(f"FAIL {err}", file=sys.stderr, flush=True)
            continue
        points = _points_by_cell(prep["source"])
        jobs += [(job, points) for job in make_jobs(name, prep, not args.no_cheats)]
        student_runs.append((name, prep["released"]))

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    costly = sorted(jobs, key=lambda j: edition(j[0].name).checks not in PREPARE)  # the slow assignment first
    print(f"autograding {len(jobs)} submissions, {args.jobs} at a time ...", flush=True)
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        runs = [pool.submit(student_version_job, name, str(nb), args.timeout, str(check_root / name / "student_run"))
                for name, nb in student_runs]
        for job, _ in costly:
            job.run(pool)
        for job, _ in costly:
            job.wait()
        failures += [r.result() for r in runs if r.result()]

    rows = []
    for job, points in jobs:
        job.collect()
        problem = verdict(job, points)
        rows.append((job, points, problem))
        if problem:
            failures.append(f"{job.name} / {job.student}: {problem}")
    print()
    print_table(rows)
    for job, _, _ in rows:
        for note in job.scan if job.kind == "cheat" else []:
            print(f"  scan, {job.name} / {job.student}: {note[:160]}")
    print(f"\n{len(rows)} submissions in {time.monotonic() - start:.0f} s")
    if failures or args.keep:
        print(f"course roots kept in {check_root}")
    else:
        shutil.rmtree(check_root, ignore_errors=True)
    if failures:
        print("\n" + "\n\n".join(f"FAIL {f}" for f in failures), file=sys.stderr)
        print(f"\n{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("solutions and honest alternatives: full marks; blank versions: zero; every cheat within its limit. "
          "Student versions in release/<name>/<name>.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
