"""Reading what a worker sends: plain data only, checked on the way in.

JSON gives only dicts, lists, strings, numbers, booleans and None, so nothing that arrives can carry
behaviour (an object whose `__eq__` always agrees, a tensor subclass with its own `allclose`). Arrays
arrive as NumPy `.npy` bytes and are loaded with `allow_pickle=False`; only numeric and boolean
dtypes are accepted.
"""

from __future__ import annotations

import io
import json
import os
import select
import struct
import time

import numpy as np

from course_grading import worker

NUMERIC_KINDS = "biufc"


class WireError(ValueError):
    """A message that is not plain data of the agreed shape."""


class TimedOut(TimeoutError):
    """The worker did not answer in time."""


def _read_exact(fd: int, size: int, deadline: float) -> bytes:
    parts, got = [], 0
    while got < size:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimedOut("no answer in time")
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            raise EOFError("the worker closed its pipe")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def read_frame(fd: int, deadline: float, limit: int = worker.MAX_FRAME) -> bytes:
    (size,) = struct.unpack(">Q", _read_exact(fd, 8, deadline))
    if size > limit:
        raise WireError(f"a message of {size} bytes is over the limit of {limit}")
    return _read_exact(fd, size, deadline)


def decode(obj, blobs: list[bytes]):
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if type(obj) is list:
        return [decode(v, blobs) for v in obj]
    if type(obj) is dict:
        if set(obj) == {"__array__"}:
            index = obj["__array__"]
            if type(index) is not int or not 0 <= index < len(blobs):
                raise WireError("an array reference points nowhere")
            try:
                array = np.load(io.BytesIO(blobs[index]), allow_pickle=False)
            except (ValueError, OSError, EOFError) as exc:
                raise WireError(f"not an .npy array: {exc}") from None
            if array.dtype.kind not in NUMERIC_KINDS:
                raise WireError(f"arrays must be numeric, not {array.dtype}")
            return array
        return {str(k): decode(v, blobs) for k, v in obj.items()}
    raise WireError(f"unexpected {type(obj).__name__}")


def receive(fd: int, deadline: float, limit: int = worker.MAX_FRAME) -> dict:
    """One message from a worker, or TimedOut / EOFError / WireError."""
    try:
        head = json.loads(read_frame(fd, deadline, limit))
        count = head["blobs"]
        if type(count) is not int or not 0 <= count <= 10_000:
            raise WireError("bad blob count")
        blobs = [read_frame(fd, deadline, limit) for _ in range(count)]
        message = decode(head["body"], blobs)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise WireError(f"malformed message: {type(exc).__name__}") from None
    if type(message) is not dict:
        raise WireError("a message must be a JSON object")
    return message


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([], [fd], [], left)[1]:
            raise TimedOut("the worker does not read what is sent to it")
        try:
            view = view[os.write(fd, view[: 1 << 16]):]
        except BlockingIOError:
            continue


def send(fd: int, message: dict, deadline: float | None = None) -> None:
    """Send a message; with a deadline, a worker that stops reading cannot block the grader."""
    blobs: list[bytes] = []
    body = worker.encode(message, blobs)
    frames = [json.dumps({"body": body, "blobs": len(blobs)}).encode(), *blobs]
    data = b"".join(struct.pack(">Q", len(frame)) + frame for frame in frames)
    if deadline is None:
        deadline = time.monotonic() + 3600
    os.set_blocking(fd, False)
    try:
        _write_all(fd, data, deadline)
    finally:
        os.set_blocking(fd, True)
