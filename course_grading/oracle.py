"""Oracles: a function held in another process, which serves products of it and counts them.

A task such as "build the Jacobian from vector-Jacobian products only" cannot be checked by watching
the student's process: code there can hide what it does. So the student's process never holds the
function. A check starts an oracle (`Grading.oracle(...)`), a process of its own that builds the
function from the check module's `ORACLES[name](cases)`, and hands the worker one end of a socket.
The driver in the worker offers the student callables such as `vjp(v)`; each call is a request over
the socket, answered with plain data and counted here. The counts go to the grader on a pipe the
worker never sees, so the number of passes a student's code made is a fact, not a claim.

Requests are `{"case": k, "op": name, "args": [...]}` (arrays as `.npy` blobs, checked by `wire`);
each reply is `{"value": ...}` or `{"error": "..."}` for an op the function does not offer or
arguments of the wrong shape. The oracle stops when the worker closes its end, or after its time.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import time

from course_grading import wire

MAX_REQUESTS = 100_000
MAX_REQUEST_BYTES = 64 << 20


class Oracle:
    """The grader's handle: `fd` goes to the worker; `counts()` ends the oracle and says what it served."""

    def __init__(self, assignment: str, name: str, cases: list, seconds: float = 600.0):
        ours, theirs = socket.socketpair()
        report_r, report_w = os.pipe()
        spec = json.dumps({"assignment": assignment, "name": name, "seconds": seconds})
        self._cases = cases
        self.proc = subprocess.Popen([sys.executable, "-m", "course_grading.oracle", spec],
                                     env={**os.environ, "COURSE_GRADING_ORACLE": f"{theirs.fileno()},{report_w}"},
                                     pass_fds=(theirs.fileno(), report_w), stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        os.close(report_w)
        self.proc.stdin.write(json.dumps(_plain(cases)).encode())  # the cases never pass through the worker
        self.proc.stdin.close()
        self._socket, self._report = ours, report_r
        self.fd = ours.fileno()

    def release(self) -> None:
        """The grader's copy of the worker's end: close it once the worker has it."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def counts(self, timeout: float = 60.0) -> dict:
        """{"counts": [{op: n} per case], "errors": n}; ends the oracle."""
        self.release()
        deadline = time.monotonic() + timeout
        try:
            report = json.loads(wire.read_frame(self._report, deadline, limit=1 << 20))
        except (wire.TimedOut, EOFError, wire.WireError, ValueError):
            report = {"counts": [{} for _ in self._cases], "errors": -1}
        finally:
            os.close(self._report)
            self.proc.kill()
            self.proc.wait()
        return report


def _plain(obj):
    """Cases as JSON (arrays as nested lists): they go to the oracle's stdin, not through the worker."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "tolist"):
        return {"__list__": obj.tolist()}
    return obj


def _unplain(obj):
    import numpy as np

    if isinstance(obj, dict):
        if set(obj) == {"__list__"}:
            return np.array(obj["__list__"], dtype=np.float64)
        return {k: _unplain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unplain(v) for v in obj]
    return obj


def serve(spec: dict) -> None:
    conn_fd, report_fd = (int(x) for x in os.environ["COURSE_GRADING_ORACLE"].split(","))
    cases = _unplain(json.loads(sys.stdin.read()))
    module = importlib.import_module(f"course_grading.checks.{spec['assignment']}")
    if "torch" in sys.modules:  # one thread, as in the checks (points.one_thread): a busy machine starves two
        sys.modules["torch"].set_num_threads(1)
    functions = [module.ORACLES[spec["name"]](case) for case in cases]
    counts = [{} for _ in functions]
    errors = 0
    deadline = time.monotonic() + spec["seconds"]
    for _ in range(MAX_REQUESTS):
        try:
            request = wire.receive(conn_fd, deadline, limit=MAX_REQUEST_BYTES)
        except (EOFError, wire.TimedOut, wire.WireError, OSError):
            break
        try:
            case, op = request["case"], request["op"]
            function = functions[case]
            if op not in function.ops:
                raise ValueError(f"this oracle does not serve {op!r}")
            value = getattr(function, op)(*request.get("args", []))
            counts[case][op] = counts[case].get(op, 0) + 1
            reply = {"value": value}
        except Exception as exc:  # noqa: BLE001 (bad requests are the student's; answer and go on)
            errors += 1
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            wire.send(conn_fd, reply, deadline)
        except (OSError, wire.TimedOut):
            break
    report = json.dumps({"counts": counts, "errors": errors}).encode()
    from course_grading import worker

    worker.write_frame(report_fd, report)


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
