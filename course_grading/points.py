"""Comparison and points: the part of grading that decides, in the grader's own process.

An assignment's hidden checks (`checks/<assignment>.py`) register one function per graded test cell:

    checks = Checks("tiny_autodiff")

    @checks.add("test_topo", points=1)
    def topo(g: Grading) -> Items:
        programs = make_programs(g.rng(11))               # inputs the student has not seen
        worker = g.worker("stdlib", cells=["topo", "engine"], substitute=["engine"])
        reply = worker.call("topo_orders", programs)      # the student's answers, as plain data
        items = g.items("topological_order")
        for program, got in g.each(reply, programs):
            with items.case("each node once, after the nodes it was computed from"):
                assert is_topological(program, got)       # the reference lives here, never in the worker
        return items

`Grading.worker` starts (once per environment, cell list and substitution) a sandboxed worker that runs
the chosen cells of the submission; `substitute` puts the instructor's solution in place of the named
answer cells, so a part is graded on its own and a bug in an earlier one costs only its own points.
`Items` turns cases into points (`points * passed / total`) and messages that name what failed, never
an input or an expected value.
"""

from __future__ import annotations

import contextlib
import math
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from course_grading import workers
from course_grading.oracle import Oracle

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"


class GraderError(Exception):
    """A bug in a check (not in a submission): the grader logs it and the instructor must look."""


@dataclass
class Verdict:
    """A test cell's score and what the student reads about it."""

    points: float
    max_points: float
    lines: list[str] = field(default_factory=list)
    lang: str = "en"  # the language of the submission's edition (editions.py): the text is translated on output

    def text(self, untranslated: list[str] | None = None) -> str:
        """What the student reads; `untranslated` collects the English a translation had to keep."""
        head = f"Graded outside your notebook: {_fmt(self.points)} of {_fmt(self.max_points)} points."
        text = "\n".join([head, *self.lines])
        if self.lang == "en":
            return text
        from course_grading import messages

        return messages.translate(text, self.lang, untranslated)


def _fmt(x: float) -> str:
    return f"{x:g}" if x == round(x, 4) else f"{x:.4f}"


class Items:
    """The cases of one check. Each case passes or fails; a failed case shows its hint once."""

    def __init__(self, name: str, weight: float = 1.0):
        self.name, self.weight = name, weight
        self.passed = 0
        self.total = 0
        self.failed: dict[str, int] = {}

    @contextlib.contextmanager
    def case(self, hint: str) -> Iterator[None]:
        """A case fails on any exception: the data it compares came from the student."""
        self.total += 1
        try:
            yield
        except Exception:  # noqa: BLE001 (malformed answers raise anything while being compared)
            self.failed[hint] = self.failed.get(hint, 0) + 1
        else:
            self.passed += 1

    def fail(self, hint: str, count: int = 1) -> None:
        """Cases that could not even be asked (the worker died): failed without running."""
        self.total += count
        self.failed[hint] = self.failed.get(hint, 0) + count

    def share(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def lines(self) -> list[str]:
        if not self.total:
            return [f"- {self.name}: nothing was checked"]
        status = "all passed" if not self.failed else f"{self.passed} of {self.total} passed"
        out = [f"- {self.name}: {status}"]
        out += [f"    failed ({n}x): {hint}" if n > 1 else f"    failed: {hint}" for hint, n in self.failed.items()]
        return out


def verdict(points: float, groups: list[Items], notes: list[str] = ()) -> Verdict:
    """Points for a cell made of weighted groups of items."""
    weights = sum(g.weight for g in groups) or 1.0
    share = sum(g.weight * g.share() for g in groups) / weights
    score = round(points * share, 4)
    lines = [line for g in groups for line in g.lines()] + [f"- {n}" for n in notes]
    return Verdict(score, points, lines)


# ---- comparing plain data -----------------------------------------------------------------------------
def array(value, *, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A float64 array from what a worker sent (an array, a number, nested lists); else ValueError."""
    if isinstance(value, np.ndarray):
        out = value.astype(np.float64) if value.dtype.kind != "c" else value
    elif isinstance(value, (int, float, list)) and not isinstance(value, bool):
        out = np.asarray(value, dtype=np.float64)
    else:
        raise ValueError(f"expected numbers, got {type(value).__name__}")
    if shape is not None and tuple(out.shape) != tuple(shape):
        raise ValueError("wrong shape")
    return out


def close(got, want, *, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """`got` (from a worker) matches `want` (computed here): same shape, same non-finite places, close."""
    want = np.asarray(want, dtype=np.float64)
    try:
        got = array(got, shape=want.shape)
    except (ValueError, TypeError):
        return False
    if not np.array_equal(np.isfinite(got), np.isfinite(want)):
        return False
    fin = np.isfinite(want)
    if not np.array_equal(got[~fin], want[~fin]) and not np.all(np.isnan(got[~fin]) & np.isnan(want[~fin])):
        return False
    return bool(np.allclose(got[fin], want[fin], rtol=rtol, atol=atol))


def check_close(got, want, **tolerance) -> None:
    if not close(got, want, **tolerance):
        raise AssertionError("not close")


def number(value) -> float:
    if type(value) not in (int, float):
        raise ValueError("expected a number")
    return float(value)


def is_close_number(got, want: float, rel: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    return math.isclose(number(got), want, rel_tol=rel, abs_tol=abs_tol)


# ---- the grading of one notebook ------------------------------------------------------------------------
@dataclass
class Cell:
    """A code cell of the submission, as the grader sees it."""

    index: int
    source: str
    grade_id: str | None  # nbgrader's id; None for a cell the student added
    role: str  # "answer", "test", "locked" or "added"


def strip_hidden(source: str) -> str:
    """A test cell without its hidden part (what the student's own run executed)."""
    kept, inside = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def strip_solution_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if SOLUTION_BEGIN not in line and SOLUTION_END not in line)


class Grading:
    """One submission being graded: its cells, the instructor's solutions, and the workers started so far."""

    def __init__(self, cells: list[Cell], references: dict[str, str], assignment: str,
                 drivers: str | None = None, options: workers.Options | None = None):
        self.cells = cells
        self.references = references  # answer grade_id -> the instructor's solution source
        self.assignment = assignment
        self.drivers = drivers  # the assignment's driver module, drivers/<assignment>.py
        self.options = options or workers.Options()
        self._workers: dict[tuple, workers.Worker] = {}
        self._oracles: list[Oracle] = []

    def rng(self, seed: int) -> random.Random:
        return random.Random(seed)

    def items(self, name: str, weight: float = 1.0) -> Items:
        return Items(name, weight)

    def program(self, cells: str | list[str] = "all", substitute: tuple[str, ...] | list[str] = ()) -> list[dict]:
        """The cells a worker runs: the whole notebook in order ("all"; "answers": without test cells), or only
        the named cells."""
        chosen = []
        for cell in self.cells:
            if cells == "answers" and cell.role == "test":
                continue
            if cells not in ("all", "answers") and cell.grade_id not in cells:
                continue
            source = cell.source
            if cell.role == "test":
                source = strip_hidden(source)
            if cell.grade_id in substitute:
                if cell.grade_id not in self.references:
                    raise GraderError(f"no reference solution for {cell.grade_id!r} to substitute")
                source = self.references[cell.grade_id]
            chosen.append({"id": cell.grade_id or f"cell-{cell.index}", "source": source})
        return chosen

    def worker(self, env: str, cells: str | list[str] = "all", substitute: tuple[str, ...] | list[str] = (),
               *, wall_seconds: float = 120.0, files: tuple[str, ...] = (), variables: dict | None = None,
               oracle: Oracle | None = None) -> workers.Worker:
        """A started worker running these cells (shared by the checks that ask for the same one).

        With an `oracle`, the worker gets its own worker: the oracle's socket is its alone.
        """
        key = (env, cells if isinstance(cells, str) else tuple(cells), tuple(substitute), tuple(files),
               tuple(sorted((variables or {}).items())), id(oracle) if oracle else None)
        if key not in self._workers:
            options = workers.Options(self.options.backend, [*self.options.files, *files],
                                      {**self.options.env, **(variables or {})})
            started = workers.Worker(env, self.program(cells, substitute), self.drivers, options=options,
                                     wall_seconds=wall_seconds, oracle_fd=oracle.fd if oracle else None)
            started.start()
            if oracle:
                oracle.release()  # the worker holds its end now: when it stops, the oracle sees the end
            self._workers[key] = started
        return self._workers[key]

    def oracle(self, name: str, cases: list, seconds: float = 600.0) -> Oracle:
        """Start `ORACLES[name]` of this assignment's checks on `cases`, in a process of its own."""
        started = Oracle(self.assignment, name, cases, seconds)
        self._oracles.append(started)
        return started

    def finish(self, worker: workers.Worker, oracle: Oracle) -> dict:
        """Stop a worker that used an oracle, then read what the oracle served."""
        worker.close()
        return oracle.counts()

    def each(self, reply: workers.Reply, cases: list) -> Iterator[tuple[object, object]]:
        """Pair each case with the worker's answer for it (None when there is none)."""
        values = reply.value if reply.ok and isinstance(reply.value, list) and len(reply.value) == len(cases) else None
        for n, case in enumerate(cases):
            yield case, (values[n] if values is not None else None)

    def close(self) -> None:
        for started in self._workers.values():
            started.close()
        self._workers.clear()
        for oracle in self._oracles:
            if oracle.proc.poll() is None:
                oracle.proc.kill()
                oracle.proc.wait()
        self._oracles.clear()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """PyTorch on one thread while a check computes its references (restored after): their tensors are small,
    and on a busy machine threads that wait for each other made them 20 to 100 times slower."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


CheckFunction = Callable[[Grading], "list[Items] | Items | Verdict"]


@dataclass
class Check:
    grade_id: str
    points: float
    function: CheckFunction

    def run(self, g: Grading) -> Verdict:
        with one_thread():
            result = self.function(g)
        if isinstance(result, Verdict):
            return result
        groups = [result] if isinstance(result, Items) else list(result)
        return verdict(self.points, groups)


class Checks:
    """The hidden checks of one assignment, by test cell."""

    def __init__(self, assignment: str, feedback_env: str | None = "torch"):
        self.assignment = assignment
        self.feedback_env = feedback_env  # where the whole notebook runs once, for what answer cells print
        self.by_cell: dict[str, Check] = {}

    def add(self, grade_id: str, points: float) -> Callable[[CheckFunction], CheckFunction]:
        def register(function: CheckFunction) -> CheckFunction:
            if grade_id in self.by_cell:
                raise GraderError(f"two checks for {grade_id!r}")
            self.by_cell[grade_id] = Check(grade_id, points, function)
            return function

        return register
