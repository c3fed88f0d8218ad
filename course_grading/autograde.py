"""nbgrader's extension points: where the trusted grader plugs into `nbgrader autograde` and feedback.

`c.Autograde.autograde_preprocessors` (see nbgrader_config.py):

* `TrustedGrade` replaces nbgrader's `Execute`. It never starts a kernel for the submission. It reads
  the submitted cells as text, runs the assignment's hidden checks (`checks/<assignment>.py`) in this
  process, and those start sandboxed workers that run the student's cells and send back plain data
  (`workers.py`). Each test cell's outputs are then *written* by the grader: what the checks found,
  and the points. Nothing the student's code printed, returned or raised in a test cell is kept.
  Other cells get what they printed in the grader's run, for the feedback.
* `SaveTrustedGrades` replaces `SaveAutoGrades`: a test cell's score is the verdict this grader
  computed, kept in nbgrader's in-memory resources, never parsed back from the notebook's outputs;
  a test cell without a verdict scores 0.
* `ReviewNotes` (after the scores are saved) adds the scan's findings as comments and "needs manual
  grade" flags. It never changes a score.

Feedback (`c.GenerateFeedback.preprocessors`): `HideHiddenTests` shows test cells without their hidden
part. Late submissions (`c.AssignLatePenalties.plugin_class`): `PercentPerDayLate`.
"""

from __future__ import annotations

import importlib
import math
import pathlib
import re

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades
from traitlets import Bool, Float, List, Unicode

from course_grading import messages, review, sandbox, workers
from course_grading.editions import edition
from course_grading.points import HIDDEN_BEGIN, HIDDEN_END, Cell, Checks, Grading, Verdict, strip_solution_markers

REVIEW_MARK = "[review]"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DRIVERS = pathlib.Path(__file__).resolve().parent / "drivers"


def load_checks(assignment: str) -> Checks:
    """The hidden checks of an assignment: `course_grading.checks.<assignment>.checks` (for an edition in another
    language, such as `tiny_autodiff_zh`, those of the English assignment: see editions.py)."""
    if not NAME.match(assignment):
        raise ValueError(f"not an assignment name: {assignment!r}")
    name = edition(assignment).checks
    try:
        module = importlib.import_module(f"course_grading.checks.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"course_grading.checks.{name}":
            raise
        raise LookupError(f"no hidden checks for assignment {assignment!r}: write course_grading/checks/"
                          f"{name}.py") from None
    return module.checks


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def role(cell) -> str:
    if not utils.is_grade(cell) and not utils.is_solution(cell) and not utils.is_locked(cell):
        return "added"
    if utils.is_solution(cell):
        return "answer"
    return "test" if utils.is_grade(cell) else "locked"


def submission_cells(nb) -> list[Cell]:
    """The code cells of a submission, with what each one is."""
    out = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        gid = cell.metadata.get("nbgrader", {}).get("grade_id") if role(cell) != "added" else None
        out.append(Cell(index, _source(cell), gid, role(cell)))
    return out


def references(source_nb) -> dict[str, str]:
    """The instructor's solution of each answer cell (solution markers removed)."""
    refs = {}
    for cell in source_nb.cells:
        if cell.cell_type == "code" and utils.is_solution(cell):
            refs[cell.metadata.nbgrader["grade_id"]] = strip_solution_markers(_source(cell))
    return refs


def source_notebook(config, assignment: str, notebook: str):
    cd = CourseDirectory(config=config)
    path = pathlib.Path(cd.format_path(cd.source_directory, ".", assignment)) / f"{notebook}.ipynb"
    return nbformat.read(path, as_version=4)


def grade(nb, source_nb, assignment: str, options: workers.Options, log=None, feedback_env: str | None = None):
    """(verdicts by test cell, what each cell printed in the feedback run, grader errors)."""
    checks = load_checks(assignment)
    name, lang = edition(assignment).checks, edition(assignment).lang  # tiny_autodiff_zh: tiny_autodiff's, in zh
    drivers = name if (DRIVERS / f"{name}.py").is_file() else None
    g = Grading(submission_cells(nb), references(source_nb), name, drivers=drivers, options=options)
    verdicts: dict[str, Verdict] = {}
    errors: list[str] = []
    report: list[dict] = []
    try:
        env = feedback_env or checks.feedback_env
        if env:  # what the student's own cells print, for the feedback (test cells are the grader's to fill)
            report = g.worker(env, "answers").report
        for gid, check in checks.by_cell.items():
            try:
                verdicts[gid] = check.run(g)
            except sandbox.SandboxUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 (a bug in a check must not stop the other cells)
                errors.append(f"{gid}: {type(exc).__name__}: {exc}")
                if log:
                    log.exception("the check of %s failed", gid)
                verdicts[gid] = Verdict(0.0, check.points, ["- the grader could not check this cell; your "
                                                            "instructor will look at it"])
    finally:
        g.close()
    for v in verdicts.values():
        v.lang = lang
    return verdicts, report, errors


def _stream(text: str, name: str = "stdout") -> NotebookNode:
    return NotebookNode(output_type="stream", name=name, text=text)


class TrustedGrade(NbGraderPreprocessor):
    """Grade the submission with the assignment's hidden checks; no kernel, no trust in the notebook."""

    containment = Unicode("auto", help="auto, namespaces (grader is root) or bwrap; never uncontained").tag(
        config=True)
    files = List(Unicode(), help="extra read-only paths the workers need (e.g. the course backbone)").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        backend = sandbox.choose(self.containment)  # refuses, with what to do, before anything runs
        self.log.info("%s", sandbox.describe(backend))
        source_nb = source_notebook(self.config, info["assignment"], info["notebook"])
        options = workers.Options(backend=backend, files=list(self.files))
        verdicts, report, errors = grade(nb, source_nb, info["assignment"], options, self.log)
        for error in errors:
            self.log.error("GRADER ERROR %s / %s: %s", info["student"], info["assignment"], error)
        printed = {r.get("id"): r for r in report if isinstance(r, dict)}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            gid = cell.metadata.get("nbgrader", {}).get("grade_id") if role(cell) != "added" else None
            cell.execution_count = None
            if role(cell) == "test":
                verdict = verdicts.get(gid) or Verdict(0.0, float(cell.metadata.nbgrader["points"]),
                                                       ["- no check ran for this cell"],
                                                       edition(info["assignment"]).lang)
                untranslated: list[str] = []
                text = verdict.text(untranslated)
                for part in untranslated:
                    self.log.warning("UNTRANSLATED grader message (%s, %s): %s", verdict.lang, gid, part)
                cell.outputs = [_stream(text + "\n"),
                                NotebookNode(output_type="execute_result", execution_count=None, metadata={},
                                             data={"text/plain": f"{verdict.points:g}"})]
            elif role(cell) in ("answer", "added"):  # what the student's own code printed in the grader's run
                out = printed.get(gid or f"cell-{index}")
                text = str(out.get("stdout", "")) if out else ""
                cell.outputs = [_stream(text)] if text else []
            else:
                cell.outputs = []
        resources["course_grading"] = {"verdicts": {gid: v.points for gid, v in verdicts.items()},
                                       "errors": errors}
        return nb, resources


class SaveTrustedGrades(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, but a test cell's score is the trusted verdict, never its outputs."""

    def _add_score(self, cell, resources):
        if cell.cell_type != "code" or utils.is_solution(cell):
            return super()._add_score(cell, resources)
        gid = cell.metadata["nbgrader"]["grade_id"]
        grade = self.gradebook.find_grade(gid, self.notebook_id, self.assignment_id, self.student_id)
        verdicts = resources.get("course_grading", {}).get("verdicts", {})
        grade.auto_score = float(verdicts.get(gid, 0.0))
        grade.needs_manual_grade = grade.manual_score is not None
        self.gradebook.db.commit()


class ReviewNotes(NbGraderPreprocessor):
    """Record the scan's findings as comments and review flags; the score stands."""

    enabled = Bool(True, help="scan submissions and flag what an instructor may want to read").tag(config=True)

    def preprocess(self, nb, resources):
        if not self.enabled:
            return nb, resources
        info = resources["nbgrader"]
        rules = review.cell_rules(source_notebook(self.config, info["assignment"], info["notebook"]))
        findings = review.scan_notebook(nb, rules)
        for finding in findings:
            self.log.warning("REVIEW %s / %s: %s", info["student"], info["assignment"], finding)
        record_notes(info, nb, findings)
        resources["review"] = [str(f) for f in findings]
        return nb, resources


def record_notes(info: dict, nb, findings) -> None:
    answer_ids = [gid for _, _, gid in review.student_cells(nb) if gid]
    grade_ids = [c.metadata.nbgrader["grade_id"] for c in nb.cells if utils.is_grade(c)]
    by_cell: dict[str, list[str]] = {}
    for f in findings:
        target = f.cell if f.cell in answer_ids else (answer_ids[0] if answer_ids else None)
        if target:
            by_cell.setdefault(target, []).append(str(f))
    with Gradebook(info["db_url"]) as gb:
        args = (info["notebook"], info["assignment"], info["student"])
        for gid in answer_ids:
            try:
                comment = gb.find_comment(gid, *args)
            except MissingEntry:
                continue
            old = comment.manual_comment or ""
            if gid in by_cell:
                comment.manual_comment = f"{REVIEW_MARK} " + "; ".join(by_cell[gid])
            elif old.startswith(REVIEW_MARK):
                comment.manual_comment = None
        if findings:
            for gid in grade_ids:
                gb.find_grade(gid, *args).needs_manual_grade = True
        gb.db.commit()


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback shows test cells without their hidden part."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        kept, inside = [], False
        lang = edition(str(resources.get("nbgrader", {}).get("assignment") or "")).lang
        note = "# " + messages.translate("(hidden checks: run by the grader, not shown)", lang)
        for line in _source(cell).split("\n"):
            if HIDDEN_BEGIN in line:
                inside = True
                kept.append(line[: len(line) - len(line.lstrip())] + note)
            elif HIDDEN_END in line:
                inside = False
            elif not inside:
                kept.append(line)
        cell.source = "\n".join(kept)
        return cell, resources


class PercentPerDayLate(LateSubmissionPlugin):
    """Lose `percent_per_day` of the notebook's score per started day late (at most all of it)."""

    percent_per_day = Float(10.0, help="percent of the score lost per started day late").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        if total_seconds_late <= 0:
            return None
        days = math.ceil(total_seconds_late / 86400)
        return min(score, score * self.percent_per_day * days / 100)
