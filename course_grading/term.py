"""An instructor's whole term, end to end, with the real nbgrader commands and fake students.

    python -m course_grading term [--assignment NAME] [--cheat NAME] [--keep DIR]

In a throwaway course root and exchange (never the instructor's own), as `make test` runs it:

1. import a roster (`nbgrader db student import`), create the assignment with a due date, generate the
   student version and release it to the exchange (`nbgrader release_assignment`);
2. students `nbgrader fetch_assignment` and `nbgrader submit` from their own folders: alice (the
   solutions, on time), mallory (a cheat from the corpus, on time) and bob (the solutions, after the due
   date); carol hands in through the LMS, collected with `nbgrader zip_collect`; dave never submits;
3. `nbgrader collect`, then `nbgrader autograde` (the trusted grader, sandboxed workers, review notes);
4. what the Formgrader shows: mallory flagged for review, her score the grader's (at most 20%);
5. `nbgrader generate_feedback`, then `release_feedback` to those who submitted through the exchange,
   who fetch it (carol's HTML would go back through the LMS); no feedback file holds a line of
   hidden-test source or a hidden marker;
6. `nbgrader export`: the CSV has every student of the roster with the expected score (bob loses the late
   penalty, dave scores 0).

Exits non-zero, saying what went wrong, on any deviation. All the fake students are this one Linux
account, so collect runs with `--OwnerCheckedCollect.require_owner=False`; the multi-user hub test
(`make hub-test`) proves the owner check with real accounts.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import html
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

from course_grading import cheats as grading_cheats
from course_grading import selfcheck as assignments
from course_grading.editions import edition

REPO = assignments.REPO
HERE = assignments.HERE

COURSE = "autograd_course"
ROSTER = [
    ("alice", "Alice", "Ada", "alice@example.org"),
    ("bob", "Bob", "Babbage", "bob@example.org"),
    ("carol", "Carol", "Curie", "carol@example.org"),
    ("mallory", "Mallory", "Moriarty", "mallory@example.org"),
    ("dave", "Dave", "Dijkstra", "dave@example.org"),
]


class Failed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


class Term:
    def __init__(self, base: pathlib.Path, assignment: str, cheat: str):
        self.base, self.name, self.cheat = base, assignment, cheat
        self.root = base / "course"
        self.exchange = base / "exchange"
        self.release = base / "release"
        self.homes = base / "students"
        self.config = base / "empty-jupyter-config"  # no personal nbgrader config for anyone here
        for path in (self.root, self.exchange, self.release, self.homes, self.config):
            path.mkdir(parents=True)
        self.exchange.chmod(0o777)
        self.log: list[str] = []

    def _env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER"))}
        env.update(AUTOGRAD_COURSE_GRADING_ROOT=str(self.root), AUTOGRAD_COURSE_EXCHANGE=str(self.exchange),
                   JUPYTER_CONFIG_DIR=str(self.config),
                   PATH=os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")]))
        env.update(extra)
        return env

    def nbgrader(self, *args: str, cwd: pathlib.Path | None = None, student: str | None = None) -> str:
        """Run one nbgrader command: the instructor's from the checkout (our config), a student's from
        their own folder with only the exchange and the course id."""
        cmd = [sys.executable, "-m", "nbgrader", *args]
        if student is None:
            cmd.append(f"--CourseDirectory.release_directory={self.release}")
            env, where = self._env(), cwd or REPO
        else:
            cmd += [f"--Exchange.root={self.exchange}", f"--CourseDirectory.course_id={COURSE}",
                    f"--CourseDirectory.student_id={student}"]
            env, where = self._env(), cwd
        start = time.monotonic()
        done = subprocess.run(cmd, cwd=where, env=env, capture_output=True, text=True)
        who = f"  ({student})" if student else ""
        self.log.append(f"{time.monotonic() - start:5.1f}s  nbgrader {' '.join(args)}{who}")
        if done.returncode != 0:
            raise Failed(f"`nbgrader {' '.join(args)}` failed ({student or 'instructor'}):\n{done.stdout}{done.stderr}")
        return done.stdout + done.stderr

    # ---- the steps -----------------------------------------------------------------------------
    def set_up(self, due: dt.datetime) -> None:
        roster = self.base / "roster.csv"
        with open(roster, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "first_name", "last_name", "email"])
            writer.writerows(ROSTER)
        self.nbgrader("db", "student", "import", str(roster))
        self.due(due)
        self.nbgrader("generate_assignment", self.name, "--force")
        self.nbgrader("release_assignment", self.name, "--force")

    def due(self, when: dt.datetime) -> None:
        self.nbgrader("db", "assignment", "add", self.name, f"--duedate={when.strftime('%Y-%m-%d %H:%M:%S')} UTC")

    def answered(self, notebook: dict, how: str) -> dict:
        """The fetched student version, answered with the solutions or with a cheat from the corpus."""
        if how == "solution":
            source = assignments.read_notebook(assignments.source_path(self.name))
            answers = {assignments.nbgrader_meta(c)["grade_id"]: assignments.cell_source(c)
                       for c in source["cells"] if assignments.nbgrader_meta(c).get("solution")}
            cheat = grading_cheats.Cheat("solution", pathlib.Path("solution"), "honest", "the solutions",
                                         answers=answers)
        else:
            corpus = HERE / edition(self.name).checks / "cheats"  # an edition's cheats are its English assignment's
            cheat = grading_cheats.parse(corpus / f"{how}.py")
        return grading_cheats.build(cheat, notebook)

    def student_submits(self, student: str, how: str) -> None:
        home = self.homes / student
        home.mkdir(exist_ok=True)
        self.nbgrader("fetch_assignment", self.name, cwd=home, student=student)
        path = home / self.name / f"{self.name}.ipynb"
        check(path.is_file(), f"{student}: fetch_assignment did not write {path}")
        leaks = assignments.find_leaks(assignments.read_notebook(assignments.source_path(self.name)),
                                       assignments.read_notebook(path))
        check(not leaks, f"the released notebook {student} fetched leaks: {leaks[:3]}")
        path.write_text(json.dumps(self.answered(assignments.read_notebook(path), how), indent=1), encoding="utf-8")
        self.nbgrader("submit", self.name, cwd=home, student=student)

    def lms_submission(self, student: str, when: dt.datetime) -> None:
        """An LMS download: a zip of <student>_<time>_<notebook>.ipynb files, collected by zip_collect."""
        released = assignments.read_notebook(self.release / self.name / f"{self.name}.ipynb")
        archive = self.root / "downloaded" / self.name / "archive"
        archive.mkdir(parents=True)
        inner = f"{student}_{when.strftime('%Y%m%dT%H%M%S')}_{self.name}.ipynb"
        with zipfile.ZipFile(archive / "lms-download.zip", "w") as z:
            z.writestr(inner, json.dumps(self.answered(released, "solution"), indent=1))
        self.nbgrader("zip_collect", self.name, "--force")

    def grade(self) -> None:
        self.nbgrader("collect", self.name, "--OwnerCheckedCollect.require_owner=False")
        for student in ("alice", "bob", "mallory"):
            check((self.root / "submitted" / student / self.name / f"{self.name}.ipynb").is_file(),
                  f"collect did not bring in {student}'s submission")
        check(not (self.root / "submitted" / "dave").exists(), "dave never submitted")
        self.nbgrader("autograde", self.name)

    def formgrader_view(self) -> dict:
        """What the Formgrader lists, through the same API it uses."""
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        os.environ["AUTOGRAD_COURSE_GRADING_ROOT"] = str(self.root)
        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
        api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
        subs = {s["student"]: s for s in api.get_submissions(self.name)}
        check(set(subs) == {"alice", "bob", "carol", "mallory"}, f"the Formgrader lists submissions of {sorted(subs)}")
        students = {s["id"] for s in api.get_students()}
        check(students == {s[0] for s in ROSTER}, f"the Formgrader's students are the roster: {sorted(students)}")
        check(subs["mallory"]["needs_manual_grade"], "mallory's cheat must be flagged for manual review")
        check(not subs["alice"]["needs_manual_grade"], "alice's honest submission must not need a manual grade")
        return subs

    def feedback(self) -> list[pathlib.Path]:
        self.nbgrader("generate_feedback", self.name)
        # Through the exchange for who submitted through it; carol's HTML goes back through the LMS
        # (nbgrader's release_feedback needs the exchange's submission secret, which zip_collect lacks).
        for student in ("alice", "bob", "mallory"):
            self.nbgrader("release_feedback", self.name, f"--student={student}")
        files = sorted((self.root / "feedback").rglob("*.html"))
        check({p.parts[-3] for p in files} == {"alice", "bob", "carol", "mallory"},
              f"feedback for the four who submitted, got {sorted({p.parts[-3] for p in files})}")
        source = assignments.read_notebook(assignments.source_path(self.name))
        hidden = set()
        for cell in source["cells"]:
            inside = False
            for line in assignments.cell_source(cell).split("\n"):
                if assignments.HIDDEN_MARKERS[0] in line:
                    inside = True
                elif assignments.HIDDEN_MARKERS[1] in line:
                    inside = False
                elif inside and len(line.strip()) >= 12:
                    hidden.add(line.strip())
        for path in files:
            text = html.unescape(path.read_text(encoding="utf-8"))
            for marker in assignments.HIDDEN_MARKERS:
                check(marker not in text, f"{path.name} of {path.parts[-3]} shows the marker {marker!r}")
            leaked = sorted(line for line in hidden if line in text)
            check(not leaked, f"feedback of {path.parts[-3]} shows hidden-test source: {leaked[:3]}")
        for student in ("alice", "mallory"):
            self.nbgrader("fetch_feedback", self.name, cwd=self.homes / student, student=student)
            got = list((self.homes / student / self.name / "feedback").rglob("*.html"))
            check(bool(got), f"{student} could not fetch the feedback")
        return files

    def export(self, points: float) -> dict[str, dict]:
        self.nbgrader("export")
        table = self.root / "grades.csv"
        check(table.is_file(), f"nbgrader export did not write {table}")
        with open(table, newline="", encoding="utf-8") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == self.name}
        check(set(rows) == {s[0] for s in ROSTER}, f"the export lists {sorted(rows)}, not the whole roster")
        score = {s: float(r["score"]) for s, r in rows.items()}
        check(score["alice"] == points and score["carol"] == points, f"alice and carol: full marks, got {score}")
        penalty = float(rows["bob"]["late_submission_penalty"] or 0)
        check(abs(penalty - 0.1 * points) < 1e-6 and abs(score["bob"] - 0.9 * points) < 1e-6,
              f"bob was late (10% per started day): penalty {penalty}, score {score['bob']}")
        check(score["mallory"] <= 0.2 * points, f"mallory cheated: {score['mallory']} > 20%")
        check(score["dave"] == 0 and not rows["dave"]["timestamp"], f"dave never submitted: {rows['dave']}")
        return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="tiny_autodiff", help="the assignment the term uses")
    parser.add_argument("--cheat", default="tamper", help="mallory's submission, from <assignment>/cheats/")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.assignment not in assignments.assignment_names():
        print(f"unknown assignment {args.assignment!r}", file=sys.stderr)
        return 2
    base = pathlib.Path(args.keep or tempfile.mkdtemp(prefix="autograd-course-e2e-"))
    if args.keep:
        shutil.rmtree(base, ignore_errors=True)
    start = time.monotonic()
    term = Term(base, args.assignment, args.cheat)
    points = assignments.max_points(assignments.read_notebook(assignments.source_path(args.assignment)))
    try:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        term.set_up(due=now + dt.timedelta(days=1))
        term.student_submits("alice", "solution")
        term.student_submits("mallory", args.cheat)
        term.lms_submission("carol", now)
        time.sleep(1.1)
        term.due(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))  # the deadline passes
        time.sleep(1.1)
        term.student_submits("bob", "solution")
        term.grade()
        subs = term.formgrader_view()
        files = term.feedback()
        rows = term.export(points)
    except Failed as err:
        print("\n".join(term.log), file=sys.stderr)
        print(f"\nFAIL {err}\n(course root kept in {base})", file=sys.stderr)
        return 1
    print("\n".join(term.log))
    print(f"\nroster of {len(ROSTER)}; {len(files)} feedback files without hidden tests; grades.csv:")
    for student, *_ in ROSTER:
        r = rows[student]
        flag = " (flagged for review)" if subs.get(student, {}).get("needs_manual_grade") else ""
        print(f"  {student:8} score {float(r['score']):5.2f} / {points:g}  late penalty "
              f"{float(r['late_submission_penalty'] or 0):4.2f}{flag}")
    print(f"instructor end-to-end: OK in {time.monotonic() - start:.0f} s")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
