"""The student's side of an oracle (see course_grading/oracle.py): ask for a product, get plain data."""

import os

try:  # in an instructor's preview
    from course_grading import worker as _wire
except ImportError:  # in the sandboxed worker, beside worker.py
    import worker as _wire


def _fd() -> int:
    fds = os.environ.get("COURSE_GRADING_FDS", "").split(",")
    if len(fds) < 3:
        raise RuntimeError("this task has no oracle")
    return int(fds[2])


def ask(case: int, op: str, *args):
    """One request to the oracle; raises ValueError with its message when it refuses."""
    fd = _fd()
    _wire.send(fd, {"case": case, "op": op, "args": list(args)})
    reply = _wire.receive(fd)
    if "error" in reply:
        raise ValueError(reply["error"])
    return reply["value"]
