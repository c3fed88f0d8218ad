"""Starting sandboxed workers and talking to them, from the grader's side.

A `Worker` is one contained Python (`sandbox.py`) running `worker.py`: it runs a list of the
student's cells once, then answers calls to the assignment's driver functions until it is closed.
Which Python, and so which libraries exist at all, is the environment:

``stdlib``  the interpreter with its standard library and nothing else: no site-packages, so no
            torch, numpy or course packages to import, however the code looks for them;
``numpy``   the same plus NumPy (its own folder, bound alone);
``torch``   the course's environment (torch, torchvision, numpy, the course packages), without the
            grading package, the checkout or anything else outside it.

A worker that overruns its time, dies, or sends something that is not plain data is killed; the
calls it did not answer fail, and the grader gives them no points.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import os
import pathlib
import secrets
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field

from course_grading import sandbox, wire

HERE = pathlib.Path(__file__).resolve().parent
ENVS = ("stdlib", "numpy", "torch")
COURSE_PACKAGES = ("dagviz", "autograd_course")
MAX_STRAY_REPLIES = 16  # replies to skip (written by a student's code) before the one a call waits for
PASS_ENV = ("AUTOGRAD_COURSE_BACKBONE", "AUTOGRAD_COURSE_BACKBONE_SEED", "AUTOGRAD_COURSE_CACHE")


@dataclass
class Reply:
    """What a call returned: `value` when `ok`, else `error` (an exception's name, or what went wrong)."""

    ok: bool
    value: object = None
    error: str = ""


@dataclass
class Options:
    """How workers are started on this grading run."""

    backend: str = "auto"
    files: list[str] = field(default_factory=list)  # extra read-only paths (a backbone, a data file)
    env: dict[str, str] = field(default_factory=dict)


@functools.cache
def _site_folders() -> tuple[str, ...]:
    """Every folder of installed packages a contained Python could reach: the base interpreter's, the
    environment's, and the system's (Debian keeps packages in /usr/lib/python3/dist-packages)."""
    found = set()
    for prefix in {sys.base_prefix, sys.prefix}:
        paths = sysconfig.get_paths(vars={"base": prefix, "platbase": prefix})
        found.update(paths[key] for key in ("purelib", "platlib"))
    for pattern in ("/usr/lib/python3*/*-packages", "/usr/lib64/python3*/*-packages",
                    "/usr/local/lib/python3*/*-packages", "/usr/local/lib64/python3*/*-packages",
                    "/usr/share/python3*/*-packages"):
        found.update(glob.glob(pattern))
    return tuple(sorted(p for p in found if os.path.isdir(p)))


def _masked(visible: list, keep: str | None = None) -> list[str]:
    """The package folders inside what the box shows, except `keep`: each replaced by an empty folder."""
    roots = [item if isinstance(item, str) else item[1] for item in visible] + ["/usr"]
    return [p for p in _site_folders() if p != keep and any(p == r or p.startswith(r.rstrip("/") + "/") for r in roots)]


def _package_dirs(names) -> list[str]:
    dirs = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            dirs.extend(spec.submodule_search_locations)
    return dirs


def box_for(env: str, files: list[str] = (), extra_env: dict[str, str] | None = None) -> tuple[sandbox.Box, list[str]]:
    """The sandbox of one environment, and the sys.path entries the worker adds."""
    if env not in ENVS:
        raise ValueError(f"unknown worker environment {env!r}: {', '.join(ENVS)}")
    worker_file = "/grading/worker.py"  # bound away from the checkout: the box has no path into it
    ro: list = [sys.base_prefix, (str(HERE / "worker.py"), worker_file), (str(HERE / "drivers"), "/grading/drivers"),
                *files]
    variables = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
                 "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
                 "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib",
                 **{k: os.environ[k] for k in PASS_ENV if k in os.environ}, **(extra_env or {})}
    path: list[str] = []
    limits = sandbox.Limits()
    if env == "torch":
        ro += [sys.prefix, *_package_dirs(COURSE_PACKAGES)]
        argv = [sys.executable, "-I", "-B", worker_file]
        own = sysconfig.get_paths()["purelib"]  # the course environment's own packages stay
        empty = [p for p in _masked(ro, keep=own) if not own.startswith(p + "/")]
    else:
        argv = [os.path.realpath(sys.executable), "-I", "-S", "-B", worker_file]
        empty = _masked(ro)  # however the code looks for packages, the folders are empty
        limits = sandbox.Limits(memory_mb=1024, address_mb=2048)
        if env == "numpy":
            import numpy

            folder = pathlib.Path(numpy.__file__).parent
            ro += [(str(folder), "/grading/lib/numpy")]
            libs = folder.parent / "numpy.libs"
            if libs.is_dir():
                ro += [(str(libs), "/grading/lib/numpy.libs")]
            path = ["/grading/lib"]
    return sandbox.Box(argv=argv, ro=ro, empty=empty, env=variables, limits=limits), path


class Worker:
    """One sandboxed worker: `start()` runs the cells, `call()` asks a driver function."""

    def __init__(self, env: str, cells: list[dict], drivers: str | None, *, options: Options | None = None,
                 wall_seconds: float = 120.0, oracle_fd: int | None = None):
        self.env, self.cells, self.drivers = env, cells, drivers
        self.options = options or Options()
        self.wall_seconds = wall_seconds
        self.oracle_fd = oracle_fd
        self.contained: sandbox.Contained | None = None
        self.dead = ""  # why it stopped answering
        self.report: list[dict] = []
        self.driver_error = ""

    def start(self) -> list[dict]:
        backend = sandbox.choose(self.options.backend)
        box, path = box_for(self.env, self.options.files, self.options.env)
        box.limits.wall_seconds = self.wall_seconds
        requests_r, self._requests = os.pipe()
        self._replies, replies_w = os.pipe()
        fds = [requests_r, replies_w] + ([self.oracle_fd] if self.oracle_fd is not None else [])
        box.env["COURSE_GRADING_FDS"] = ",".join(map(str, fds))
        self._log = tempfile.TemporaryFile()
        try:
            self.contained = sandbox.Contained(box, backend, pass_fds=tuple(fds), stderr=self._log)
        finally:
            os.close(requests_r)
            os.close(replies_w)
        deadline = time.monotonic() + self.wall_seconds
        ident = secrets.token_hex(8)
        try:
            wire.send(self._requests, {"op": "start", "cells": self.cells, "drivers": self.drivers, "path": path,
                                       "id": ident}, deadline)
            ready = self._reply(ident, deadline)
        except (wire.TimedOut, EOFError, wire.WireError, OSError) as exc:
            self._stop(_why(exc, "running the notebook's cells"))
            return []
        self.driver_error = str(ready.get("driver_error") or "")
        self.report = [c for c in ready.get("cells", []) if isinstance(c, dict)]
        if self.driver_error:
            self._stop("the grading drivers did not load")
        return self.report

    def call(self, function: str, payload=None, seconds: float = 60.0) -> Reply:
        if self.contained is None or self.dead:
            return Reply(False, error=self.dead or "the worker is not running")
        deadline = time.monotonic() + seconds
        self._calls = getattr(self, "_calls", 0) + 1
        ident = f"{self._calls}-{secrets.token_hex(8)}"
        try:
            wire.send(self._requests, {"op": "call", "function": function, "payload": payload, "id": ident}, deadline)
            reply = self._reply(ident, deadline)
        except (wire.TimedOut, EOFError, wire.WireError, OSError) as exc:
            self._stop(_why(exc, f"answering {function}"))
            return Reply(False, error=self.dead)
        if reply.get("ok") is True:
            return Reply(True, reply.get("value"))
        return Reply(False, error=str(reply.get("error") or "failed"))

    def _reply(self, ident: str, deadline: float) -> dict:
        """The reply carrying `ident`, skipping frames a student's code wrote to the pipe itself."""
        for _ in range(MAX_STRAY_REPLIES):
            reply = wire.receive(self._replies, deadline)
            if reply.get("id") == ident:
                return reply
        raise wire.WireError("no reply to this request")

    def _stop(self, why: str) -> None:
        self.dead = why
        self.close()

    def diagnostics(self, size: int = 2000) -> str:
        """The end of what the sandbox itself wrote to stderr (for the grader's log, never for students)."""
        log = getattr(self, "_log", None)
        if log is None:
            return ""
        log.seek(0, os.SEEK_END)
        log.seek(max(0, log.tell() - size))
        return log.read().decode("utf-8", "replace")

    def close(self) -> None:
        for fd in ("_requests", "_replies"):
            if hasattr(self, fd):
                try:
                    os.close(getattr(self, fd))
                except OSError:
                    pass
                delattr(self, fd)
        if self.contained is not None:
            self.contained.kill()

    def __enter__(self) -> Worker:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _why(exc: BaseException, doing: str) -> str:
    if isinstance(exc, wire.TimedOut):
        return f"ran out of time {doing}"
    if isinstance(exc, wire.WireError):
        return f"sent something that is not plain data while {doing}"
    return f"stopped while {doing} (it crashed, exited or ran out of memory)"
