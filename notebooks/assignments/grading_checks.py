"""Helpers for the hidden tests of the graded assignments (trusted code, grading side only).

The grading kernel (`grading_guard.py`) imports this module before any notebook code, so every name
below was bound before a submission could patch anything, and the guard restores and checks it around
each test cell. Hidden tests use it as

    import grading_checks as _g

    def _hidden():                       # state in locals: the code under test cannot rebind it
        items = _g.Items(points=2)
        for seed in range(20):
            with items.case("a graph where one node is reached by two paths"):
                assert _g.plain(graph_nodes(root)) == expected
        return items.score()

    _hidden()

* `Items` gives per-item partial credit: a test cell earns `points * passed / total`. The score is
  published by the guard (not by the notebook's display machinery); failures print the hint of each
  failed case, never the hidden inputs or expected values.
* `plain` turns a result into plain Python values (bool, int, float, str, None, list, tuple, dict; a
  `torch.Tensor` becomes nested lists), refusing anything else: an object whose `__eq__` always says
  yes never reaches a comparison.
* `answers()` gives the source of the submission's answer cells, as the grader saw them, and
  `run_isolated` runs some of them in a fresh Python with no site-packages: no torch, no numpy, no
  state of the notebook. That is how a task that forbids a library is checked.
* `watched_call` runs a student's function under a profiler and says which forbidden functions it
  reached: a library Jacobian, a reverse-mode pass in a forward-mode answer, dagviz in a walk.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile

import torch

# Functions below look builtins up in a private copy, taken before any submission code ran.
__builtins__ = dict(vars(builtins))
_GRADER_DIR: str | None = None  # set by grading_guard when it starts the kernel
_scores: list[float] = []
_PLAIN = (bool, int, float, str, type(None))
_TENSOR = torch.Tensor
_tolist = torch.Tensor.tolist
_detach = torch.Tensor.detach
_isclose = math.isclose
_isfinite = math.isfinite
_run = subprocess.run
_dumps, _loads = json.dumps, json.loads
_tempfile = tempfile.TemporaryFile


class NotUnderAutograder(RuntimeError):
    pass


def under_autograder() -> bool:
    return _GRADER_DIR is not None


def _begin_cell() -> None:
    _scores.clear()


def _end_cell() -> float | None:
    """The score this test cell computed (the lowest, if the cell computed several)."""
    return min(_scores) if _scores else None


# ---- partial credit --------------------------------------------------------------------------
class Items:
    """Per-item partial credit for one test cell: `points * passed / total`."""

    def __init__(self, points: float, what: str = ""):
        self.points, self.what = float(points), what
        self.total, self.passed = 0, 0
        self.failed: dict[str, int] = {}

    @contextlib.contextmanager
    def case(self, hint: str):
        """One item. Any exception inside fails it (and only it); `hint` is what the student sees."""
        self.total += 1
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - the code under test may raise anything
            label = hint if isinstance(exc, AssertionError) else f"{hint} (raised {type(exc).__name__})"
            self.failed[label] = self.failed.get(label, 0) + 1
        else:
            self.passed += 1

    def score(self) -> float | None:
        if self.total == 0:
            raise AssertionError("no checks ran")
        lines = [f"{self.what + ': ' if self.what else ''}{self.passed} of {self.total} checks passed"]
        lines += [f"  failed{f' ({n}x)' if n > 1 else ''}: {hint}" for hint, n in self.failed.items()]
        summary = "\n".join(lines)
        if self.passed == 0:
            raise AssertionError(summary)
        value = self.points if self.passed == self.total else round(self.points * self.passed / self.total, 2)
        print(summary)
        if under_autograder():
            _scores.append(value)  # the guard publishes it as this cell's result
            return None
        return value


# ---- plain values ----------------------------------------------------------------------------
def plain(value, what: str = "the result"):
    """`value` as plain Python data, or TypeError. Tensors become nested lists of numbers."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:
        return kind(plain(v, what) for v in value)
    if kind is dict:
        return {plain(k, what): plain(v, what) for k, v in value.items()}
    if kind is _TENSOR:
        return plain(_tolist(_detach(value)), what)
    raise TypeError(
        f"{what} must be made of plain Python values (bool, int, float, str, None, list, tuple, dict) "
        f"or tensors, not {kind.__name__}"
    )


def close(a, b, rel: float = 1e-7, abs_: float = 1e-9) -> bool:
    """Plain values equal, floats within tolerance (ints and floats compare as numbers)."""
    if type(a) in (int, float) and type(b) in (int, float):
        return _isfinite(a) and _isfinite(b) and _isclose(a, b, rel_tol=rel, abs_tol=abs_)
    if type(a) is not type(b):
        return False
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(close(x, y, rel, abs_) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return a.keys() == b.keys() and all(close(a[k], b[k], rel, abs_) for k in a)
    return a == b


# ---- the submission's own source -------------------------------------------------------------
def answers() -> dict[str, str]:
    """grade_id -> source of every answer cell of the submission (written by the grader)."""
    if _GRADER_DIR is None:
        raise NotUnderAutograder("hidden tests run only under the course's autograder (make assignments)")
    with open(os.path.join(_GRADER_DIR, "answers.json"), encoding="utf-8") as f:
        return _loads(f.read())["answers"]


_BOOT = r"""
import json, os, sys
job = json.loads(sys.stdin.read())
out = os.fdopen(job["fd"], "w", closefd=False)
ns = {"__name__": "__main__"}
try:
    for i, src in enumerate(job["cells"]):
        exec(compile(src, "<answer cell %d>" % i, "exec"), ns)
    driver = {}
    exec(compile(job["driver"], "<check>", "exec"), driver)
    result = {"ok": driver["main"](ns, job["payload"])}
except BaseException as exc:
    result = {"error": type(exc).__name__}
out.write(json.dumps(result))
out.close()
"""


def run_isolated(cells: list[str], driver: str, payload=None, timeout: float = 60):
    """Run answer cells in a fresh Python without site-packages (no torch), then `driver`'s `main`.

    `driver` defines `main(ns, payload)`; `ns` holds what the cells defined. Returns what `main`
    returned (JSON round trip), or raises `IsolatedError` naming the exception the cells raised.
    The result comes back through an unnamed temporary file, whatever the cells print.
    """
    with _tempfile() as result:
        job = _dumps({"cells": list(cells), "driver": driver, "payload": payload, "fd": result.fileno()})
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        try:
            _run([sys.executable, "-I", "-S", "-c", _BOOT], input=job, text=True, capture_output=True,
                 timeout=timeout, pass_fds=(result.fileno(),), env=env, check=False)
        except subprocess.TimeoutExpired:
            raise IsolatedError("took too long") from None
        result.seek(0)
        text = result.read().decode("utf-8", "replace")
    try:
        answer = _loads(text)
    except ValueError:
        raise IsolatedError("produced no result") from None
    if "error" in answer:
        raise IsolatedError(f"raised {answer['error']}")
    return answer["ok"]


class IsolatedError(RuntimeError):
    """The answer cells, run on their own without PyTorch, failed."""


# ---- what the code under test calls ----------------------------------------------------------
_TORCH_DIR = os.path.dirname(torch.__file__)
_getprofile, _setprofile = sys.getprofile, sys.setprofile
#: torch functions that compute a whole Jacobian (or batch passes with vmap): a task that asks for
#: one pass per row or column must not reach them.
LIBRARY_JACOBIANS = ("jacobian", "jacrev", "jacfwd", "hessian", "vmap", "vmap_impl")
#: Every reverse-mode pass (backward, autograd.grad, torch.func.vjp/grad) goes through this.
REVERSE_MODE = ("_engine_run_backward",)
#: Forward mode: torch.func.jvp and torch.autograd.forward_ad's dual tensors.
FORWARD_MODE = ("_jvp_with_argnums", "make_dual")


def watched_call(fn, *args, names=(), packages=()):
    """`fn(*args)`, and which forbidden functions it reached: torch functions called one of `names`,
    or anything in the `packages` (module objects). A profiler watches the call; if the code under
    test removes it, that is reported too."""
    dirs = tuple(os.path.dirname(p.__file__) + os.sep for p in packages)
    names = frozenset(names)
    hits: list[str] = []

    def profiler(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code.co_name in names and code.co_filename.startswith(_TORCH_DIR):
                hits.append(code.co_name)
            elif dirs and code.co_filename.startswith(dirs):
                hits.append(code.co_filename)

    previous = _getprofile()
    _setprofile(profiler)
    try:
        result = fn(*args)
    finally:
        still = _getprofile() is profiler
        _setprofile(previous)
    if not still:
        hits.append("(the grader's profiler was removed)")
    return result, sorted(set(hits))
