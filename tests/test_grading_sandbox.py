"""The sandbox and its workers, attacked from inside: what a student's cell can and cannot reach.

Every test runs real code in a real contained worker (the namespaces backend when the tests run as
root, as CI does; bubblewrap too when it works here) and asserts on what came back.
"""

from __future__ import annotations

import os
import pathlib
import time

import numpy as np
import pytest

from course_grading import sandbox, workers
from course_grading.points import Cell, Grading

REPO = pathlib.Path(__file__).resolve().parents[1]
BACKENDS = [b for b in ("namespaces", "bwrap") if (b == "namespaces" and sandbox._namespaces_work())
            or (b == "bwrap" and sandbox._bwrap_works())]
pytestmark = pytest.mark.skipif(not BACKENDS, reason="no containment on this machine (see sandbox.choose)")


def run(env: str, source: str, backend: str, wall: float = 60.0) -> workers.Worker:
    worker = workers.Worker(env, [{"id": "cell", "source": source}], "selftest",
                            options=workers.Options(backend=backend), wall_seconds=wall)
    worker.start()
    return worker


def ask(worker: workers.Worker, name: str, *args, seconds: float = 60.0):
    reply = worker.call("call", {"name": name, "args": list(args)}, seconds=seconds)
    assert reply.ok, (reply.error, worker.diagnostics())
    return reply.value


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


PROBE = r'''
import os, socket, subprocess

def attempt(f):
    try:
        return ["ok", f()]
    except BaseException as exc:
        return ["no", type(exc).__name__]

def write(path):
    with open(path, "w") as fh:
        fh.write("x")
    return path

def connect():
    s = socket.create_connection(("127.0.0.1", 22), timeout=2)
    return "connected"

def outside():
    return {
        "checkout": os.path.exists(REPO),
        "git": os.path.exists(REPO + "/.git"),
        "sources": os.path.exists(REPO + "/notebooks/assignments"),
        "checks": os.path.exists(REPO + "/course_grading/checks"),
        "home": os.path.exists(os.path.expanduser("~root")) and bool(os.listdir(os.path.expanduser("~root"))),
        "passwd": os.path.exists("/etc/passwd"),
        "shadow": os.path.exists("/etc/shadow"),
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "uid": os.getuid(),
        "net": attempt(connect),
        "write_usr": attempt(lambda: write("/usr/x")),
        "write_root": attempt(lambda: write("/x")),
        "write_tmp": attempt(lambda: write("/tmp/x")),
        "write_python": attempt(lambda: write(os.__file__)),
        "interfaces": sorted(os.listdir("/sys/class/net")) if os.path.exists("/sys/class/net") else [],
        "environ": sorted(os.environ),
    }
'''


@pytest.mark.parametrize("env", workers.ENVS)
def test_a_worker_sees_only_what_its_job_needs(env, backend):
    worker = run(env, PROBE.replace("REPO", repr(str(REPO))), backend)
    try:
        seen = ask(worker, "outside")
    finally:
        worker.close()
    assert seen["checkout"] is False or env == "torch"  # the torch worker binds dagviz/ and autograd_course/ only
    for secret in ("git", "sources", "checks", "home", "passwd", "shadow"):
        assert seen[secret] is False, (secret, seen)
    assert len(seen["pids"]) <= 3, seen["pids"]  # its own PID namespace: itself (and its init)
    assert seen["net"][0] == "no" and seen["interfaces"] in ([], ["lo"])
    for target in ("write_usr", "write_root", "write_python"):
        assert seen[target][0] == "no", (target, seen[target])
    assert seen["write_tmp"] == ["ok", "/tmp/x"]  # a private, size-limited /tmp
    if backend == "namespaces":
        assert seen["uid"] != 0  # the unprivileged grading account
    assert not any(k.startswith(("AUTOGRAD_COURSE_GRADING", "JUPYTER", "NBGRADER")) for k in seen["environ"])


@pytest.mark.parametrize(("env", "present", "absent"), [
    ("stdlib", [], ["torch", "numpy", "dagviz", "IPython", "course_grading"]),
    ("numpy", ["numpy"], ["torch", "dagviz", "IPython", "course_grading"]),
    ("torch", ["torch", "numpy", "dagviz", "autograd_course"], ["course_grading"]),
])
def test_what_cannot_be_imported_is_not_there(env, present, absent, backend):
    # Every folder of installed packages on the machine is appended to sys.path first: absence must not
    # depend on sys.path (the torch-less run of the old design was escaped exactly this way).
    reach = ("import sys, sysconfig, glob\n"
             "sys.path += glob.glob('/usr/lib/python3*/*-packages') + glob.glob('/usr/local/lib/python3*/*-packages')"
             f" + {workers._site_folders()!r}\n")
    worker = workers.Worker(env, [{"id": "cell", "source": reach}], "selftest", options=workers.Options(backend))
    worker.start()
    try:
        reply = worker.call("probe", {"modules": present + absent})
    finally:
        worker.close()
    assert reply.ok, worker.diagnostics()
    for name in present:
        assert reply.value["modules"][name] is True, name
    for name in absent:
        assert reply.value["modules"][name] is False, name


def test_plain_data_only_comes_back(backend):
    source = '''
import numpy as np
class Yes(float):
    def __eq__(self, other):
        return True
class Weird:
    pass
def yes():
    return Yes(0.5)
def array():
    return np.arange(6).reshape(2, 3)
def nested():
    return {"a": [1, 2.5, None, True, "s"], "b": (np.float32(1.5),)}
def weird():
    return Weird()
'''
    worker = run("numpy", source, backend)
    try:
        value = ask(worker, "yes")
        assert type(value) is float and value == 0.5  # the subclass is gone: a plain float
        arr = ask(worker, "array")
        assert isinstance(arr, np.ndarray) and arr.shape == (2, 3) and arr.dtype.kind == "i"
        assert ask(worker, "nested") == {"a": [1, 2.5, None, True, "s"], "b": [np.float32(1.5)]}
        reply = worker.call("call", {"name": "weird"})
        assert not reply.ok and "unsendable" in reply.error
        assert ask(worker, "yes") == 0.5  # the worker still answers after a refused value
    finally:
        worker.close()


def test_errors_come_back_as_names_only(backend):
    worker = run("stdlib", "def f():\n    raise ValueError('the hidden input was 0.123')\n", backend)
    try:
        reply = worker.call("call", {"name": "f"})
    finally:
        worker.close()
    assert not reply.ok and reply.error == "ValueError"


def test_time_limits_kill_the_worker_and_everything_it_started(backend):
    source = '''
import subprocess, time
def spin():
    subprocess.Popen(["sleep", "300"])
    while True:
        pass
'''
    worker = run("stdlib", source, backend)
    start = time.monotonic()
    reply = worker.call("call", {"name": "spin"}, seconds=3)
    assert not reply.ok and "ran out of time" in reply.error
    assert time.monotonic() - start < 30
    assert worker.contained.proc.poll() is not None
    assert worker.call("call", {"name": "spin"}).error == reply.error  # later calls fail at once


def test_a_slow_cell_stops_the_worker_not_the_grader(backend):
    worker = run("stdlib", "while True:\n    pass\n", backend, wall=3)
    assert worker.dead and "running the notebook's cells" in worker.dead


def test_memory_is_limited(backend):
    worker = run("numpy", "import numpy as np\ndef grab():\n    return np.ones(2_000_000_000).sum()\n", backend)
    try:
        reply = worker.call("call", {"name": "grab"})
    finally:
        worker.close()
    assert not reply.ok  # MemoryError, or the worker died


def test_fork_bombs_are_contained():
    if "namespaces" not in BACKENDS:
        pytest.skip("the process limit is per account: only with the dedicated account (grader is root)")
    source = '''
import os
def bomb():
    made = 0
    try:
        for _ in range(100000):
            if os.fork() == 0:
                import time
                time.sleep(60)
                os._exit(0)
            made += 1
    except OSError:
        return made
    return made
'''
    worker = run("stdlib", source, "namespaces")
    try:
        made = ask(worker, "bomb")
    finally:
        worker.close()
    assert made < sandbox.Limits().processes


def test_oracle_counts_what_it_served():
    cells = [Cell(0, "import numpy as np\ndef jacobian(vjp, m):\n    return np.stack([vjp(np.eye(m)[i]) for i in "
                     "range(m)])\n", "a", "answer")]
    g = Grading(cells, {}, "selftest", drivers="selftest")
    rng = np.random.default_rng(0)
    mats = [rng.normal(size=(3, 4)), rng.normal(size=(2, 5))]
    try:
        oracle = g.oracle("linear", [{"A": a} for a in mats])
        worker = g.worker("numpy", "all", oracle=oracle)
        reply = worker.call("jacobian_rows", [{"m": 3}, {"m": 2}])
        assert reply.ok and all(np.allclose(j, a) for j, a in zip(reply.value, mats, strict=True))
        assert g.finish(worker, oracle) == {"counts": [{"vjp": 3}, {"vjp": 2}], "errors": 0}
    finally:
        g.close()


def test_no_containment_means_no_grading(monkeypatch):
    monkeypatch.setattr(sandbox, "_namespaces_work", lambda: False)
    monkeypatch.setattr(sandbox, "_bwrap_works", lambda: False)
    with pytest.raises(sandbox.SandboxUnavailable, match="bubblewrap"):
        sandbox.choose("auto")
    with pytest.raises(sandbox.SandboxUnavailable, match="root"):
        sandbox.choose("namespaces")
    with pytest.raises(ValueError, match="unknown containment"):
        sandbox.choose("limits")


def test_the_grader_can_be_killed_and_nothing_survives(tmp_path):
    """A worker dies with the grader (SIGKILL included): no orphan keeps running a student's code."""
    import subprocess
    import sys

    script = tmp_path / "grader.py"
    script.write_text(
        "import time\nfrom course_grading import workers\n"
        "w = workers.Worker('stdlib', [{'id': 'c', 'source': 'x = 1'}], None)\n"
        "w.start()\nprint('started' if not w.dead else w.dead, flush=True)\ntime.sleep(600)\n")
    grader = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    assert grader.stdout.readline().strip() == b"started"
    children = _descendants(grader.pid)
    grader.kill()
    grader.wait()
    time.sleep(3)
    assert len(children) >= 2 and not [pid for pid in children if pathlib.Path(f"/proc/{pid}").exists()]


def _descendants(pid: int) -> list[int]:
    parent = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, pp in parent.items() if pp == current]
        found += kids
        frontier += kids
    return found


def test_a_reply_forged_by_the_students_code_is_ignored(backend):
    """A cell that writes a reply frame to the reply pipe itself cannot shift the real replies."""
    source = '''
import json, os, struct
fd = int(os.environ["COURSE_GRADING_FDS"].split(",")[1])
def frame(data):
    os.write(fd, struct.pack(">Q", len(data)) + data)
body = json.dumps({"body": {"ok": True, "value": 999, "id": "1-guess"}, "blobs": 0}).encode()
frame(body)
def f():
    return 1
'''
    worker = run("stdlib", source, backend)
    try:
        assert worker.report and worker.report[0]["id"] == "cell"  # the real "ready", not the forged frame
        assert ask(worker, "f") == 1
        assert ask(worker, "f") == 1
    finally:
        worker.close()
