"""The grading package inside nbgrader: configuration, scores from the trusted verdicts only, review notes
that never change a score, feedback without hidden parts, late penalties, and collect's owner check."""

from __future__ import annotations

import os
import pathlib
import pwd
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbformat.notebooknode import NotebookNode

from course_grading import autograde, config, exchange, review
from course_grading.points import Verdict, strip_hidden, strip_solution_markers

ROOT = pathlib.Path(__file__).resolve().parents[1]
# nbgrader's gradebook runs the `alembic` command: find this environment's, activated or not.
os.environ["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")])


def load_config(root):
    from traitlets.config.loader import PyFileConfigLoader

    os.environ["AUTOGRAD_COURSE_GRADING_ROOT"] = str(root)
    try:
        return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    finally:
        del os.environ["AUTOGRAD_COURSE_GRADING_ROOT"]


def test_course_root_is_configurable_and_never_under_build(tmp_path):
    cfg = load_config(tmp_path / "term1")
    assert cfg.CourseDirectory.root == str((tmp_path / "term1").resolve())
    assert cfg.CsvExportPlugin.to == str((tmp_path / "term1" / "grades.csv").resolve())
    assert cfg.Autograde.autograde_preprocessors == config.AUTOGRADE
    assert "course_grading.autograde.TrustedGrade" == cfg.Autograde.autograde_preprocessors[0]
    assert "nbgrader.preprocessors.Execute" not in cfg.Autograde.autograde_preprocessors  # no kernel, ever
    for inside in (ROOT / "build" / "nbgrader", ROOT / "release" / "x"):
        with pytest.raises(ValueError, match="make clean"):
            load_config(inside)


def test_hidden_and_solution_markers():
    cell = "assert f(2) == 4\n### BEGIN HIDDEN TESTS\npreview('a', 'b', globals())\n### END HIDDEN TESTS"
    assert strip_hidden(cell) == "assert f(2) == 4"
    assert strip_solution_markers("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION") == (
        "def f():\n    return 1")


def _graded_cell(gid, points, outputs):
    return NotebookNode(cell_type="code", source="x", outputs=outputs, execution_count=1, metadata=NotebookNode(
        nbgrader=NotebookNode(grade=True, grade_id=gid, locked=True, points=points, solution=False,
                              schema_version=3, task=False)))


def _assignment(gb, points: dict, answers=()) -> None:
    """An assignment `hw` with one notebook `hw` and one submission by `s`."""
    gb.add_assignment("hw")
    gb.add_notebook("hw", "hw")
    for gid, pts in points.items():
        gb.add_grade_cell(gid, "hw", "hw", max_score=pts, cell_type="code")
        gb.add_source_cell(gid, "hw", "hw", cell_type="code", locked=True, source="x", checksum="x")
    for gid in answers:
        gb.add_solution_cell(gid, "hw", "hw")
        gb.add_source_cell(gid, "hw", "hw", cell_type="code", locked=False, source="x", checksum="x")
    gb.add_student("s")
    gb.add_submission("hw", "s")


def test_scores_come_from_the_verdicts_not_the_outputs(tmp_path):
    """A test cell whose outputs claim full marks (a forged execute_result, or nothing at all) gets what the
    trusted grader decided; a cell with no verdict gets 0."""
    from nbgrader.api import Gradebook

    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    nb = nbformat.v4.new_notebook()
    forged = NotebookNode(output_type="execute_result", data={"text/plain": "3"}, metadata={}, execution_count=1)
    nb.cells = [_graded_cell("a", 3, [forged]), _graded_cell("b", 2, []), _graded_cell("c", 5, [])]
    with Gradebook(db) as gb:
        _assignment(gb, {"a": 3, "b": 2, "c": 5})
    resources = {"nbgrader": {"notebook": "hw", "assignment": "hw", "student": "s", "db_url": db},
                 "course_grading": {"verdicts": {"a": 0.5, "b": 2.0}}}
    autograde.SaveTrustedGrades().preprocess(nb, resources)
    with Gradebook(db) as gb:
        scores = {g.name: g.auto_score for g in gb.find_submission_notebook("hw", "hw", "s").grades}
    assert scores == {"a": 0.5, "b": 2.0, "c": 0.0}


def test_review_notes_flag_but_never_change_a_score(tmp_path):
    from nbgrader.api import Gradebook

    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    meta = NotebookNode(grade=False, grade_id="ans", locked=False, solution=True, schema_version=3, task=False)
    answer = NotebookNode(cell_type="code", source="import ctypes\n", outputs=[], execution_count=1,
                          metadata=NotebookNode(nbgrader=meta))
    nb = nbformat.v4.new_notebook()
    nb.cells = [answer, _graded_cell("t", 4, [])]
    with Gradebook(db) as gb:
        _assignment(gb, {"t": 4}, answers=["ans"])
        gb.find_grade("t", "hw", "hw", "s").auto_score = 3.0
        gb.db.commit()
    info = {"notebook": "hw", "assignment": "hw", "student": "s", "db_url": db}
    findings = review.scan_notebook(nb, {})
    assert findings and findings[0].level == "tamper"
    autograde.record_notes(info, nb, findings)
    with Gradebook(db) as gb:
        grade = gb.find_grade("t", "hw", "hw", "s")
        assert grade.score == 3.0 and grade.manual_score is None and grade.needs_manual_grade
        held = review.holds(gb)
        assert [h["student"] for h in held] == ["s"] and "ctypes" in held[0]["notes"][0]
        review.lift(gb, held[0])
        assert review.holds(gb) == [] and gb.find_grade("t", "hw", "hw", "s").score == 3.0


def test_feedback_hides_hidden_tests():
    cell = _graded_cell("t", 1, [])
    cell.source = "assert f(2) == 4\n### BEGIN HIDDEN TESTS\npreview('a', 't', globals())\n### END HIDDEN TESTS"
    autograde.HideHiddenTests().preprocess_cell(cell, {}, 0)
    assert "preview" not in cell.source and "BEGIN HIDDEN" not in cell.source and "assert f(2) == 4" in cell.source


def test_late_penalty_per_started_day():
    plugin = autograde.PercentPerDayLate()
    assert plugin.late_submission_penalty("s", 10.0, 0) is None
    assert plugin.late_submission_penalty("s", 10.0, 1) == 1.0
    assert plugin.late_submission_penalty("s", 10.0, 86401) == 2.0
    assert plugin.late_submission_penalty("s", 10.0, 86400 * 30) == 10.0


def test_verdict_text_names_points():
    v = Verdict(1.5, 3.0, ["- part: 1 of 2 passed"])
    assert v.text().splitlines()[0] == "Graded outside your notebook: 1.5 of 3 points."


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_collect_keeps_only_what_its_student_owns(tmp_path):
    """`nbgrader submit --student=bob` run by someone else makes a folder that is not bob's: never collected.
    A forged, newer folder must not hide bob's real submission either."""
    users = [u for u in ("daemon", "bin", "sys") if _uid(u) is not None][:2]
    if len(users) < 2:
        pytest.skip("needs two system accounts")
    owner, other = users
    inbound = tmp_path / "exchange" / "autograd_course" / "inbound"
    inbound.mkdir(parents=True)
    real = inbound / f"{owner}+hw+2026-01-01 10:00:00.000000 UTC+abc"
    forged = inbound / f"{owner}+hw+2026-01-02 10:00:00.000000 UTC+def"
    mixed = inbound / f"{other}+hw+2026-01-01 10:00:00.000000 UTC+ghi"
    for folder, uid in ((real, owner), (forged, other), (mixed, other)):
        folder.mkdir()
        (folder / "hw.ipynb").write_text("{}")
        for path in (folder, folder / "hw.ipynb"):
            os.chown(path, _uid(uid), -1)
    os.chown(mixed / "hw.ipynb", _uid(owner), -1)  # a file planted by someone else inside
    cfg = load_config(tmp_path / "course")
    cfg.Exchange.root = str(tmp_path / "exchange")
    from nbgrader.coursedir import CourseDirectory

    collect = exchange.OwnerCheckedCollect(coursedir=CourseDirectory(config=cfg), config=cfg)
    collect.coursedir.assignment_id = "hw"
    collect.init_src()
    assert [r["filename"] for r in collect.src_records] == [real.name]
    assert exchange.owners(str(mixed)) == {owner, other}


def _uid(name):
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def test_formgrader_serves_the_course_from_make_lab(tmp_path):
    """A real Jupyter server at the top of the checkout, as `make lab` starts it: the Formgrader's API
    lists the assignments, and no stray gradebook appears at the top."""
    import json
    import secrets
    import socket
    import time
    import urllib.error
    import urllib.request

    from course_grading.selfcheck import assignment_names

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    course = ROOT / f".formgrader-test-{secrets.token_hex(4)}"  # inside the server's root, as grading/ is
    token = secrets.token_hex(16)
    env = {**os.environ, "AUTOGRAD_COURSE_GRADING_ROOT": str(course), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", f"--port={port}", "--ip=127.0.0.1", "--no-browser", "--allow-root",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/formgrader/api/assignments",
                                         headers={"Authorization": f"token {token}"})
        deadline, answer = time.monotonic() + 120, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = json.loads(response.read())
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert answer is not None, server.stderr.read().decode()[-2000:] if server.poll() is not None else "no answer"
        assert sorted(a["name"] for a in answer) == assignment_names()
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(course, ignore_errors=True)
    assert not (ROOT / "gradebook.db").exists(), "nbgrader left a gradebook at the top of the checkout"
