"""An instructor's preview: a hidden test cell's check, run against the kernel it is called from.

The source notebooks' hidden test parts call this, so an instructor running a source notebook sees
each cell's score as it is being written. It is only a preview: it runs the drivers in this very
kernel (no sandbox, no substitution of reference answers, every environment's rules ignored).
Real grades come from `nbgrader autograde` (see autograde.py), where the student's code runs in
sandboxed workers and never in the process that scores it. Students never see this module: their
notebooks have no hidden parts and their pack has no `course_grading`.
"""

from __future__ import annotations

import importlib
import os

from course_grading import messages, wire, worker
from course_grading.autograde import load_checks
from course_grading.editions import edition
from course_grading.points import Grading
from course_grading.workers import Reply


class _InKernel:
    """Answers driver calls from a live namespace, through the same plain-data encoding."""

    def __init__(self, drivers, namespace: dict, oracle_fd: int | None = None):
        self.drivers, self.namespace, self.oracle_fd = drivers, namespace, oracle_fd
        self.report: list[dict] = []
        self.dead = ""

    def call(self, function: str, payload=None, seconds: float = 60.0) -> Reply:
        saved = os.environ.get("COURSE_GRADING_FDS")
        if self.oracle_fd is not None:
            os.environ["COURSE_GRADING_FDS"] = f"-1,-1,{self.oracle_fd}"
        try:
            value = getattr(self.drivers, function)(self.namespace, payload)
            blobs: list[bytes] = []
            return Reply(True, wire.decode(worker.encode(value, blobs), blobs))
        except Exception as exc:  # noqa: BLE001
            return Reply(False, error=type(exc).__name__)
        finally:
            if saved is None:
                os.environ.pop("COURSE_GRADING_FDS", None)
            else:
                os.environ["COURSE_GRADING_FDS"] = saved

    def close(self) -> None:
        pass


class _PreviewGrading(Grading):
    def __init__(self, assignment: str, namespace: dict):
        super().__init__([], {}, assignment, drivers=assignment)
        self._drivers = importlib.import_module(f"course_grading.drivers.{assignment}")
        self._namespace = namespace

    def worker(self, env, cells="all", substitute=(), *, oracle=None, **_):
        return _InKernel(self._drivers, self._namespace, oracle.fd if oracle else None)

    def finish(self, worker, oracle):
        return oracle.counts()


def preview(assignment: str, grade_id: str, namespace: dict) -> float:
    """Run the check of `grade_id` on this kernel's definitions; print and return the points.

    `assignment` may be an edition in another language (`tiny_autodiff_zh`): the English assignment's check
    runs, and its messages are printed in the edition's language."""
    check = load_checks(assignment).by_cell[grade_id]
    grading = _PreviewGrading(edition(assignment).checks, namespace)
    try:
        result = check.run(grading)
    finally:
        grading.close()
    result.lang = edition(assignment).lang
    print(messages.translate("[preview in this kernel; the autograder runs the same check on sandboxed workers]",
                             result.lang))
    print(result.text())
    return result.points
