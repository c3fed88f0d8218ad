"""The only grading code that runs beside a student's: it runs their cells and calls their functions.

It runs inside the sandbox (see `sandbox.py`), standard library only, in one of three Pythons:
`stdlib` (no site-packages at all), `numpy` (the standard library and NumPy) or `torch` (the course's
environment). It decides nothing: it receives inputs, calls what the student wrote through the
assignment's driver functions (`course_grading/drivers/<assignment>.py`), and sends back plain data.
Everything it sends is treated by the grader as the student's answer, so code that tampers with this
file or with the drivers only changes its own answers.

Protocol, over two pipes the grader passes (their descriptors in COURSE_GRADING_FDS): each
message is a frame of JSON, then one frame per array it refers to (`{"__array__": k}`, NumPy's `.npy`
format). First `start` (the cells to run, the driver module), answered by `ready` (per cell: did it
run, the name of the exception if not, what it printed); then any number of `call`s, each answered
by the function's value or the name of the exception it raised (never the message, which could
carry inputs back into a feedback file), with the call's id echoed (the grader ignores a reply with any
other id, such as one a student's cell wrote to the pipe itself).
"""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import traceback

MAX_FRAME = 512 << 20
MAX_DEPTH = 64
CAPTURE = 4000  # characters of output kept per cell


# ---- framing (the grader uses these two as well) ------------------------------------------------
def write_frame(fd: int, data: bytes) -> None:
    view = memoryview(struct.pack(">Q", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def read_frame(fd: int, limit: int = MAX_FRAME) -> bytes:
    head = _read_exact(fd, 8)
    (size,) = struct.unpack(">Q", head)
    if size > limit:
        raise ValueError(f"frame of {size} bytes is over the limit of {limit}")
    return _read_exact(fd, size)


def _read_exact(fd: int, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


# ---- plain data ------------------------------------------------------------------------------------
def encode(value, blobs: list[bytes], depth: int = 0):
    """A JSON-able copy of `value`; arrays and tensors become `.npy` blobs. Anything else is refused."""
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, (list, tuple)):
        return [encode(v, blobs, depth + 1) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("dictionary keys must be str")
            out[str(key)] = encode(item, blobs, depth + 1)
        return out
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.dtype in (torch.bfloat16, torch.float16):
            value = value.float()
        value = value.resolve_conj().resolve_neg().numpy()
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(value), allow_pickle=False)
        blobs.append(buffer.getvalue())
        return {"__array__": len(blobs) - 1}
    for plain in (int, float, str):  # a subclass (one that compares equal to anything, say): its plain value
        if isinstance(value, plain):
            return plain(value)
    raise TypeError(f"cannot send a {type(value).__name__} to the grader (plain data and arrays only)")


def decode(obj, blobs: list[bytes]):
    """Inverse of `encode` inside the worker (the grader decodes with its own checks in `wire.py`)."""
    if isinstance(obj, list):
        return [decode(v, blobs) for v in obj]
    if isinstance(obj, dict):
        if set(obj) == {"__array__"}:
            import numpy as np

            return np.load(io.BytesIO(blobs[obj["__array__"]]), allow_pickle=False)
        return {k: decode(v, blobs) for k, v in obj.items()}
    return obj


def send(fd: int, message: dict) -> None:
    blobs: list[bytes] = []
    body = encode(message, blobs)
    write_frame(fd, json.dumps({"body": body, "blobs": len(blobs)}).encode())
    for blob in blobs:
        write_frame(fd, blob)


def receive(fd: int) -> dict:
    head = json.loads(read_frame(fd))
    blobs = [read_frame(fd) for _ in range(head["blobs"])]
    return decode(head["body"], blobs)


# ---- running the student's code ------------------------------------------------------------------------
class _Capture(io.StringIO):
    """sys.stdout/sys.stderr during a cell: keeps the first CAPTURE characters."""

    def write(self, text):
        if self.tell() < CAPTURE:
            super().write(str(text)[: CAPTURE - self.tell()])
        return len(text)


def _display(*objects, **_):
    for obj in objects:
        print(repr(obj))


def run_cells(cells: list[dict], namespace: dict) -> list[dict]:
    report = []
    for cell in cells:
        capture = _Capture()
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = capture
        error = None
        try:
            code = compile(cell["source"], f"<cell {cell['id']}>", "exec")
            exec(code, namespace)
        except BaseException as exc:  # noqa: BLE001 (a student's cell may raise anything, SystemExit included)
            error = type(exc).__name__
            print(f"{error} (the grader ran this cell; see your own run for the message)", file=capture)
        finally:
            sys.stdout, sys.stderr = saved
        report.append({"id": cell["id"], "ok": error is None, "error": error, "stdout": capture.getvalue()})
    return report


def oracle_fd() -> int | None:
    """The socket to the assignment's oracle, when the task has one (drivers use it)."""
    fds = os.environ.get("COURSE_GRADING_FDS", "").split(",")
    return int(fds[2]) if len(fds) > 2 else None


def serve() -> None:
    requests, replies = (int(fd) for fd in os.environ["COURSE_GRADING_FDS"].split(",")[:2])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the drivers, bound beside this file
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # what the student writes to the raw file descriptors goes nowhere
    os.dup2(null, 2)
    start = receive(requests)
    sys.path.extend(start.get("path", []))
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__", "__builtins__": __builtins__, "display": _display}
    try:
        drivers = __import__(f"drivers.{start['drivers']}", fromlist=["_"]) if start.get("drivers") else None
    except BaseException as exc:  # noqa: BLE001
        send(replies, {"op": "ready", "cells": [], "id": start.get("id"),
                       "driver_error": "".join(traceback.format_exception_only(exc))})
        return
    report = run_cells(start["cells"], namespace)
    send(replies, {"op": "ready", "cells": report, "id": start.get("id")})
    while True:
        try:
            request = receive(requests)
        except EOFError:
            return
        function = getattr(drivers, str(request.get("function")), None)
        capture = _Capture()
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = capture
        try:
            value = function(namespace, request.get("payload"))
            reply = {"ok": True, "value": value, "id": request.get("id")}
        except BaseException as exc:  # noqa: BLE001
            reply = {"ok": False, "error": type(exc).__name__, "id": request.get("id")}
        finally:
            sys.stdout, sys.stderr = saved
        try:
            send(replies, reply)
        except (TypeError, ValueError) as exc:
            send(replies, {"ok": False, "error": f"unsendable value: {exc}", "id": request.get("id")})


if __name__ == "__main__":
    serve()
