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
* `no_autograd` watches code that must differentiate by hand: every torch call it makes (a
  `TorchFunctionMode`) and every Python or C function it reaches (a profiler, in the threads it starts
  too). It lists each use of automatic differentiation, reverse or forward mode, however the function was
  imported or captured, and any operation run with gradients switched back on; it counts the work done
  (elements produced), so a gradient computed by finite differences, one forward pass per input element,
  shows up as costing far more than a backward pass (and so does taking the values out of torch to do it
  elsewhere: `.left`). `watch_function` puts it around every call of a custom
  `autograd.Function`'s forward, setup_context and backward, and counts them.
* `Hint` is an assertion whose message is safe to show (it names no hidden value): `Items` prints it
  after the item's hint.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import json
import math
import os
import subprocess
import sys
import tempfile
import threading

import torch
from torch.overrides import TorchFunctionMode

# Functions below look builtins up in a private copy, taken before any submission code ran.
__builtins__ = dict(vars(builtins))
_GRADER_DIR: str | None = None  # set by grading_guard when it starts the kernel


def _score_store():
    """This cell's scores, reachable only through the three functions (the guard restores functions;
    a list bound to a module name could be swapped for a lookalike that reports full marks)."""
    scores: list[float] = []
    return scores.clear, scores.append, lambda: min(scores) if scores else None


_clear_scores, _add_score, _lowest_score = _score_store()
_PLAIN = (bool, int, float, str, type(None))
_TENSOR = torch.Tensor
_tolist = torch.Tensor.tolist
_detach = torch.Tensor.detach
_reshape = torch.Tensor.reshape
_isclose = math.isclose
_isfinite = math.isfinite
_run = subprocess.run
_dumps, _loads = json.dumps, json.loads
_tempfile = tempfile.TemporaryFile


class NotUnderAutograder(RuntimeError):
    pass


class Hint(AssertionError):
    """A failed check whose message names no hidden input or expected value: `Items` shows it."""


def under_autograder() -> bool:
    return _GRADER_DIR is not None


def _begin_cell() -> None:
    _clear_scores()


def _end_cell() -> float | None:
    """The score this test cell computed (the lowest, if the cell computed several)."""
    return _lowest_score()


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
            if isinstance(exc, Hint):
                label = f"{hint}: {exc}"
            elif isinstance(exc, AssertionError):
                label = hint
            else:
                label = f"{hint} (raised {type(exc).__name__})"
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
            _add_score(value)  # the guard publishes it as this cell's result
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


# ---- code that must differentiate by hand --------------------------------------------------------
#: Names of the functions that differentiate automatically: reverse mode (backward, autograd.grad and the
#: engine under them), forward mode (dual numbers), torch.func and torch.autograd.functional. Matched on
#: the torch call itself, on Python functions of the torch package and on C functions, so renaming an
#: import or capturing the function before the test changes nothing.
AUTOGRAD = frozenset({
    "grad", "backward", "_engine_run_backward", "run_backward", "vjp", "jvp", "jacrev", "jacfwd", "jacobian",
    "hessian", "hvp", "vhp", "vmap", "vmap_impl", "grad_and_value", "linearize", "make_dual", "_make_dual",
    "unpack_dual", "_unpack_dual", "_vjp_with_argnums", "_jvp_with_argnums", "_grad_and_value_impl",
})
_grad_enabled = torch.is_grad_enabled
_numel = torch.Tensor.numel
_getattr_static = inspect.getattr_static
_thread_getprofile, _thread_setprofile = threading.getprofile, threading.setprofile
_Function = torch.autograd.Function
_STATIC = staticmethod


_LEAVE_TORCH = frozenset({"numpy", "tolist", "__array__", "item", "__float__", "__int__", "__index__", "__bool__"})


class _Watch(TorchFunctionMode):
    """Sees every torch call of the code it wraps (on this thread)."""

    def __init__(self, may_record: bool):
        super().__init__()
        self.may_record = may_record
        self.found: list[str] = []
        self.work = 0
        self.left = 0  # elements taken out of torch (to numpy, lists, Python numbers), where no one counts work

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "") or ""
        if name in _LEAVE_TORCH and args:
            self.left += _elements(args[0])
        if name in AUTOGRAD:
            self.found.append(f"calls {name}")
        elif not self.may_record and name != "_set_grad_enabled" and _grad_enabled():
            self.found.append(f"runs {name} with gradients switched on (it records a graph)")
        result = func(*args, **(kwargs or {}))
        self.work += _elements(result)
        return result


def _elements(value) -> int:
    if isinstance(value, _TENSOR):
        return int(_numel(value))
    if type(value) in (tuple, list):
        return sum(_elements(v) for v in value)
    return 0


@contextlib.contextmanager
def no_autograd(may_record: bool | None = None):
    """Watch the code inside for automatic differentiation; yields the watch: `.found` (what it used, empty
    if nothing), `.work` (elements its torch calls produced) and `.left` (elements it took out of torch, to
    numpy, lists or Python numbers, where its work is not counted).

    `may_record`: whether operations may run with gradients switched on (default: if they are on when the
    block is entered, as in a backward that must itself be differentiable). Switching them on inside, to
    record a graph and differentiate it, is found either way."""
    watch = _Watch(_grad_enabled() if may_record is None else may_record)
    found = watch.found

    def profiler(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code.co_name in AUTOGRAD and code.co_filename.startswith(_TORCH_DIR):
                found.append(f"calls {code.co_name}")
        elif event == "c_call" and (getattr(arg, "__name__", "") or "") in AUTOGRAD:
            found.append(f"calls {arg.__name__}")

    previous, previous_threads = _getprofile(), _thread_getprofile()
    _setprofile(profiler)
    _thread_setprofile(profiler)  # threads the code starts are watched too
    try:
        with watch:
            yield watch
    finally:
        still = _getprofile() is profiler and _thread_getprofile() is profiler
        _setprofile(previous)
        _thread_setprofile(previous_threads)
        if not still:
            found.append("removes the grader's profiler")


def check_function_class(cls, name: str) -> None:
    """`cls` is a custom autograd Function that autograd will really call: Hint otherwise."""
    if not (isinstance(cls, type) and issubclass(cls, _Function)):
        raise Hint(f"{name} must be a class derived from torch.autograd.Function")
    if type(cls) is not type(_Function):
        raise Hint(f"{name} must not change the metaclass of torch.autograd.Function")
    if _getattr_static(cls, "apply") is not _getattr_static(_Function, "apply"):
        raise Hint(f"{name} must not replace apply: define forward, setup_context and backward")
    if _getattr_static(cls, "forward") is _getattr_static(_Function, "forward"):
        raise Hint(f"{name} has no forward")


def own_node(output, cls, name: str) -> None:
    """The output's grad_fn is the node of `cls` itself (XBackward), made by `cls.apply`."""
    node = output.grad_fn if isinstance(output, _TENSOR) else None
    if node is None or getattr(type(node), "_forward_cls", None) is not cls:
        raise Hint(f"the result must come from {name}.apply, whose node ({name}Backward) computes the gradient")


@contextlib.contextmanager
def watch_function(cls, name: str):
    """While active, every call of the custom Function's forward, setup_context and backward (or vjp) is
    counted and watched by `no_autograd`. Yields a dict: calls per method, `found` and `work` (backward)."""
    check_function_class(cls, name)
    report = {"forward": 0, "setup_context": 0, "backward": 0, "found": [], "work": 0}
    backward = "vjp" if _getattr_static(cls, "vjp") is not _getattr_static(_Function, "vjp") else "backward"
    saved = {}
    for method, key in (("forward", "forward"), ("setup_context", "setup_context"), (backward, "backward")):
        raw = _getattr_static(cls, method)
        if raw is _getattr_static(_Function, method):
            continue  # not defined (setup_context in the older style): nothing of the student's to watch
        if type(raw) is not _STATIC:
            raise Hint(f"{name}.{method} must be a @staticmethod")
        saved[method] = (method in vars(cls), raw)
        setattr(cls, method, _STATIC(_watched_method(raw.__func__, key, report)))
    try:
        yield report
    finally:
        for method, (own, raw) in saved.items():
            if own:
                setattr(cls, method, raw)
            else:
                delattr(cls, method)


def _watched_method(inner, key: str, report: dict):
    def watched(*args, **kwargs):
        report[key] += 1
        with no_autograd() as watch:
            try:
                return inner(*args, **kwargs)
            finally:
                report["found"] += [f"{key} {what}" for what in watch.found]
                if key == "backward":
                    report["work"] += watch.work

    return watched


def floats(value, what: str = "the result") -> list[float]:
    """The numbers of exactly a torch.Tensor (no subclass, no lookalike), flattened, as Python floats."""
    if type(value) is not _TENSOR:
        raise Hint(f"{what} must be a torch.Tensor, not {type(value).__name__}")
    return [float(v) for v in _tolist(_reshape(_detach(value), (-1,)))]


def require(condition, message: str) -> None:
    """Hint(message) unless `condition`: for checks whose failure the student should read about."""
    if not condition:
        raise Hint(message)


def require_own(report: dict, name: str, passes: int | None = None) -> None:
    """After `watch_function`: the Function's backward ran (`passes` times, if given) and nothing of it
    (forward, setup_context, backward) used automatic differentiation."""
    require(report["backward"] > 0, f"{name}.backward never ran: the gradient must come from it")
    if passes is not None:
        require(report["backward"] == passes, f"one backward pass must call {name}.backward exactly once")
    if report["found"]:
        raise Hint(f"{name}'s {report['found'][0]}: compute the gradient yourself, with tensor operations")
