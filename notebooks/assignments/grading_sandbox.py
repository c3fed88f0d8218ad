"""Containment for autograding: how a submission's kernel is started, and what it cannot do.

Standard library only: its last step runs as `python -I -S grading_sandbox.py enter SPEC` inside the
new namespaces, before the kernel exists. The level is chosen by what the machine allows:

``namespaces`` (the grader runs as root)
    `unshare` gives the kernel its own network namespace (no network at all: it talks to the grader
    over Unix sockets), PID namespace (when the kernel ends, everything it started ends) and mount
    namespace. In there `enter` remounts every file system read-only except the submission's
    scratch folders, mounts an empty file system over the assignment sources, the course root
    (gradebook, submissions, feedback) and the exchange, gives it a private /dev/shm, sets the
    limits and starts the kernel with no capabilities and `no_new_privs`, as the unprivileged
    account `autograd-grader` (created on first use) when that account can run this Python, else as
    uid 0 without any capability (which, on a read-only file system in its own namespaces, can
    neither write nor see the grader's files).
``bwrap`` (not root, bubblewrap installed)
    The same with bubblewrap: everything read-only, the home folder, sources, course root and
    exchange hidden (the checkout and the environment re-exposed read-only), no network, own PID
    namespace, same account as the grader.
``limits`` (not root, no bubblewrap)
    Only the limits, a private scratch folder and a scrubbed environment: the kernel runs as the
    grader's own account, with its network and its write access. Said in the grading log; do not
    grade untrusted code this way.

Limits at every level (`setrlimit` before the kernel starts, hard limits, so it cannot raise them):
RLIMIT_DATA (heap and anonymous memory), RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE, no core dumps and,
for the dedicated account, RLIMIT_NPROC. The wall time of a whole notebook is the grader's job
(`grading_preprocessors.SandboxedExecute` kills the kernel when it runs out).
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

GRADER_USER = "autograd-grader"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NOT_REMOUNTED = ("/proc", "/sys", "/dev")


@dataclass
class Limits:
    """Per-kernel resource limits."""

    memory_mb: int = 3072  # RLIMIT_DATA; torch itself uses about 1 GB of it
    cpu_seconds: int = 1800  # RLIMIT_CPU, a backstop behind the wall-time limit
    file_mb: int = 64  # RLIMIT_FSIZE
    open_files: int = 512  # RLIMIT_NOFILE
    processes: int = 256  # RLIMIT_NPROC (per account: only with the dedicated account)

    def rlimits(self, dedicated_account: bool) -> dict[str, int]:
        mb = 1024 * 1024
        out = {"RLIMIT_DATA": self.memory_mb * mb, "RLIMIT_CPU": self.cpu_seconds, "RLIMIT_FSIZE": self.file_mb * mb,
               "RLIMIT_NOFILE": self.open_files, "RLIMIT_CORE": 0}
        if dedicated_account:
            out["RLIMIT_NPROC"] = self.processes
        return out


@dataclass
class Plan:
    """How kernels will be started on this machine."""

    level: str  # namespaces, bwrap or limits
    uid: int | None = None  # the account the kernel runs as (namespaces); None: uid 0 without capabilities
    gid: int | None = None
    user: str | None = None
    hidden: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        who = (f"as the unprivileged account {self.user!r}" if self.uid is not None
               else "as uid 0 without capabilities")
        return {
            "namespaces": f"containment namespaces: {who}, read-only file system, sources and grades hidden, "
                          "no network, own PID namespace",
            "bwrap": "containment bwrap: read-only file system, home, sources and grades hidden, no network, "
                     "own PID namespace",
            "limits": "containment limits: resource limits only; same account as the grader, network and write "
                      "access NOT contained",
        }[self.level]


def _have(program: str) -> bool:
    return shutil.which(program) is not None


@functools.cache
def _namespaces_work() -> bool:
    """Root can still be refused namespaces (some containers); try once."""
    try:
        done = subprocess.run(["unshare", "--net", "--pid", "--fork", "--mount-proc", "true"], capture_output=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@functools.cache
def _bwrap_works() -> bool:
    """bubblewrap needs user namespaces, which some containers forbid; try once."""
    try:
        done = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "true"],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def ensure_user(name: str = GRADER_USER) -> pwd.struct_passwd:
    """The dedicated grading account: a system account without home or login, created when missing."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    if not _have("useradd"):
        raise RuntimeError(f"the grading account {name!r} does not exist and useradd is missing: create it")
    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", "/usr/sbin/nologin", "--user-group", name], check=True, capture_output=True)
    return pwd.getpwnam(name)


def needed_paths() -> list[str]:
    """What the kernel must be able to read: this Python, its packages, the course packages and builds."""
    import site

    paths = {sys.executable, os.path.realpath(sys.executable), REPO, os.path.join(REPO, "build")}
    paths.update(p for p in site.getsitepackages() if os.path.isdir(p))
    return sorted(paths)


@functools.cache
def account_can_run(uid: int, gid: int) -> bool:
    """Can the account start this Python and read what the kernel needs (not if it lives in /root)?"""
    check = "import os, sys; sys.exit(0 if all(os.access(p, os.R_OK) for p in sys.argv[1:]) else 3)"
    try:
        done = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", sys.executable,
                               "-I", "-S", "-c", check, *needed_paths()], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def choose(level: str = "auto", user: str = GRADER_USER, hidden: list[str] | None = None) -> Plan:
    """The strongest containment this machine allows, or the level asked for."""
    hidden = sorted({os.path.abspath(p) for p in (hidden or []) if p and os.path.isdir(p)})
    root = os.geteuid() == 0
    if level == "auto":
        level = ("namespaces" if root and _have("unshare") and _have("setpriv") and _namespaces_work()
                 else "bwrap" if not root and _have("bwrap") and _bwrap_works() else "limits")
    if level == "namespaces":
        if not (root and _have("unshare") and _have("setpriv") and _namespaces_work()):
            raise RuntimeError("containment 'namespaces' needs root, unshare and setpriv, and namespaces allowed")
        plan = Plan("namespaces", user=user, hidden=hidden)
        account = ensure_user(user) if user else None
        if account and account_can_run(account.pw_uid, account.pw_gid):
            plan.uid, plan.gid = account.pw_uid, account.pw_gid
        elif account:
            plan.warnings.append(
                f"the account {user!r} cannot run {sys.executable} or read the course packages (they live in a "
                "private folder): kernels run as uid 0 without capabilities instead"
            )
        return plan
    if level == "bwrap":
        if not (_have("bwrap") and _bwrap_works()):
            raise RuntimeError("containment 'bwrap' needs a working bubblewrap (apt-get install bubblewrap; "
                               "user namespaces allowed)")
        return Plan("bwrap", hidden=hidden)
    if level == "limits":
        return Plan("limits", hidden=hidden, warnings=[
            "submissions run under your own account, with network and write access: run the grader as root or "
            "install bubblewrap (apt-get install bubblewrap) to contain them"])
    raise ValueError(f"unknown containment level {level!r}: use auto, namespaces, bwrap or limits")


def kernel_command(plan: Plan, kernel_cmd: list[str], *, cwd: str, env: dict[str, str], limits: Limits,
                   enter_dir: str, writable: list[str], readonly: list[str], protected: list[str],
                   stage: str) -> list[str]:
    """The whole command line: namespaces (unshare or bwrap), then `enter`, then the kernel."""
    isolate = plan.level == "namespaces"
    spec = {
        "cwd": cwd, "env": env, "cmd": kernel_cmd, "isolate": isolate, "writable": writable, "hide": plan.hidden,
        "readonly": readonly, "protected": protected, "uid": plan.uid, "gid": plan.gid, "stage": stage,
        "home": os.path.expanduser("~") if os.path.expanduser("~") not in ("/", "") else None,
        "keep": sorted({sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)), REPO}),
        "rlimits": limits.rlimits(dedicated_account=isolate and plan.uid is not None),
        "setpriv": shutil.which("setpriv"),
    }
    enter = [sys.executable, "-I", "-S", os.path.join(enter_dir, "grading_sandbox.py"), "enter", json.dumps(spec)]
    # --pdeathsig: the kernel dies with the grader, even when the grader is killed.
    if isolate:
        return ["setpriv", "--pdeathsig", "KILL", "--", "unshare", "--net", "--pid", "--fork", "--kill-child",
                "--mount-proc", "--propagation", "private", "--", *enter]
    if plan.level == "bwrap":
        home = os.path.expanduser("~")
        args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/dev/shm"]
        if os.path.isdir(home) and home != "/":
            args += ["--tmpfs", home]
            for path in sorted({sys.prefix, sys.base_prefix, REPO}):
                if path.startswith(home + os.sep):
                    args += ["--ro-bind", path, path]
            args += ["--remount-ro", home]
        for path in plan.hidden:
            args += ["--tmpfs", path, "--remount-ro", path]
        for path in readonly:
            args += ["--ro-bind", path, path]
        for path in writable:
            args += ["--bind", path, path]
        return [*args, "--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "--chdir", cwd,
                "--", *enter]
    return enter


# ---- inside the namespaces (runs as root there, before the kernel) ---------------------------
def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")  # \040 is a space
            points.append(point)
    return points


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _hide_home(home: str, keep: list[str], stage: str) -> None:
    """An empty home folder (keys, tokens, browser data gone), except the paths the kernel needs."""
    keep = sorted({k for k in keep if _under(k, home) and k != home and os.path.exists(k)})
    for i, path in enumerate(keep):
        os.makedirs(os.path.join(stage, str(i)))
        _mount("--rbind", path, os.path.join(stage, str(i)))
    _mount("-t", "tmpfs", "-o", "mode=0755,nosuid,nodev", "tmpfs", home)
    for i, path in enumerate(keep):
        os.makedirs(path, exist_ok=True)
        _mount("--move", os.path.join(stage, str(i)), path)


def _read_only_world(spec: dict) -> None:
    """Everything read-only but the scratch folders; grader's home, sources, grades, exchange hidden."""
    writable = spec["writable"]
    if spec["home"]:
        _hide_home(spec["home"], [*spec["keep"], *writable, *spec["readonly"]], spec["stage"])
    for path in writable:
        _mount("--bind", path, path)  # its own mount: stays writable when its parent turns read-only
    for point in sorted(set(_mount_points())):
        if point in writable or any(_under(point, p) for p in NOT_REMOUNTED):
            continue
        try:
            _mount("-o", "remount,bind,ro", point)
        except subprocess.CalledProcessError:
            if point == "/":
                raise
    _mount("-t", "tmpfs", "-o", "size=64m,nosuid,nodev", "tmpfs", "/dev/shm")
    for path in spec["hide"]:
        if os.path.isdir(path) and not any(_under(w, path) for w in writable):
            _mount("-t", "tmpfs", "-o", "ro,size=16k,mode=0755,nosuid,nodev", "tmpfs", path)


def enter(spec: dict) -> None:
    """Make the file system read-only, hide, limit, drop privileges, start the kernel (never returns)."""
    cmd = spec["cmd"]
    if spec["isolate"]:
        _read_only_world(spec)
        still = [p for p in spec["protected"] if os.path.exists(p) and os.access(p, os.W_OK)]
        if still:
            raise SystemExit(f"grading_sandbox: could not make {', '.join(still)} read-only; refusing to run")
        drop = ["--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
        if spec["uid"] is not None:
            drop = [f"--reuid={spec['uid']}", f"--regid={spec['gid']}", "--clear-groups", *drop]
        cmd = [spec["setpriv"], *drop, "--", *cmd]
    for name, value in spec["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    os.chdir(spec["cwd"])
    os.execve(cmd[0], cmd, spec["env"])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "enter":
        enter(json.loads(sys.argv[2]))
    else:
        sys.exit("usage: python -I -S grading_sandbox.py enter SPEC  (the autograder runs this, not you)")
