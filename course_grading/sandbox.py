"""Containment: start a process that sees only what it is given.

A sandboxed process gets a file system built from nothing: an empty root with, bound read-only,
the system's programs and libraries (`/usr`), the Python it runs and the few paths its job needs;
a private `/tmp`, `/proc` and `/dev`; no network; its own PID, IPC and host-name namespaces; hard
resource limits. The checkout, its `.git`, the course root (gradebook, other students' work), the
exchange and every home folder are simply not there, so no code inside can read them, whatever it
tries.

Two backends build the same box:

``namespaces`` (the grader is root)
    `unshare` makes the namespaces; `enter` (this file, run with `python -I -S`) builds the root on
    a tmpfs, `chroot`s into it and drops to the unprivileged account `autograd-grader` (created on
    first use) with no capabilities and `no_new_privs`.
``bwrap`` (the grader is not root: an instructor's own account)
    bubblewrap builds the root in a user namespace; the process keeps the grader's uid but has no
    capabilities, and cannot make user namespaces of its own. Home folders may be 0750: the box
    binds only the paths the grader itself can read.

`choose("auto")` takes the one the machine allows and refuses, with what to install or which flag to
pass, when neither works. Nothing falls back to running uncontained.

Standard library only: `enter` runs before anything else exists in the new root.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

GRADER_USER = "autograd-grader"
DEVICES = ("null", "zero", "full", "random", "urandom")
MERGED = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # symlinks into /usr on merged-/usr systems


class SandboxUnavailable(RuntimeError):
    """No containment this machine allows; the message says what to install or which flag to pass."""


@dataclass
class Limits:
    """Hard resource limits (setrlimit), set before the contained program starts."""

    wall_seconds: float = 60.0  # enforced by the caller (kill), not an rlimit
    cpu_seconds: int = 600
    memory_mb: int = 3072  # RLIMIT_DATA: heap and anonymous maps (torch reserves large address space)
    address_mb: int | None = None  # RLIMIT_AS, where the program needs no large mappings (plain Python)
    file_mb: int = 16
    open_files: int = 256
    processes: int = 512  # RLIMIT_NPROC; threads count too

    def rlimits(self) -> dict[str, int]:
        mb = 1024 * 1024
        out = {"RLIMIT_CPU": self.cpu_seconds, "RLIMIT_DATA": self.memory_mb * mb, "RLIMIT_FSIZE": self.file_mb * mb,
               "RLIMIT_NOFILE": self.open_files, "RLIMIT_CORE": 0, "RLIMIT_NPROC": self.processes}
        if self.address_mb:
            out["RLIMIT_AS"] = self.address_mb * mb
        return out


@dataclass
class Box:
    """What the contained program sees: read-only binds, writable binds, and how it starts."""

    argv: list[str]
    ro: list[str | tuple[str, str]] = field(default_factory=list)  # host paths bound read-only (at another place)
    rw: list[str] = field(default_factory=list)  # host folders bound writable at the same place
    empty: list[str] = field(default_factory=list)  # folders (inside a bind) replaced by an empty read-only one
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/tmp"
    tmp_mb: int = 256
    limits: Limits = field(default_factory=Limits)


# ---- choosing --------------------------------------------------------------------------------
@functools.cache
def _bwrap_works() -> bool:
    if shutil.which("bwrap") is None:
        return False
    try:
        done = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@functools.cache
def _namespaces_work() -> bool:
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("setpriv") and shutil.which("mount")):
        return False
    try:
        done = subprocess.run(["unshare", "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child",
                               "--propagation", "private", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def choose(level: str = "auto") -> str:
    """The backend to use: `namespaces` as root, `bwrap` otherwise; never anything weaker."""
    if level not in ("auto", "namespaces", "bwrap"):
        raise ValueError(f"unknown containment {level!r}: use auto, namespaces or bwrap")
    if level in ("auto", "namespaces") and _namespaces_work():
        return "namespaces"
    if level == "namespaces":
        raise SandboxUnavailable(
            "containment 'namespaces' needs root, the util-linux programs unshare, setpriv and mount, and "
            "namespaces allowed (some containers forbid them); run as root, or pass --containment bwrap")
    if _bwrap_works():
        return "bwrap"
    if shutil.which("bwrap") is None:
        hint = ("install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install "
                "bubblewrap), or grade as root")
    else:
        hint = ("bubblewrap is installed but cannot create a user namespace here: allow unprivileged user "
                "namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 an AppArmor profile for "
                "bwrap, or sysctl kernel.apparmor_restrict_unprivileged_userns=0), or grade as root")
    raise SandboxUnavailable(f"no containment available for grading: {hint}. Submissions are never run uncontained.")


def ensure_user(name: str = GRADER_USER) -> tuple[int, int]:
    """The unprivileged account the namespaces backend runs as: a system account, created when missing."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        if shutil.which("useradd") is None:
            raise SandboxUnavailable(f"the grading account {name!r} does not exist and useradd is missing: "
                                     "create a system account with that name") from None
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", "--user-group", name], check=True, capture_output=True)
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


# ---- starting ----------------------------------------------------------------------------------
def _system_paths() -> tuple[list[str], list[str]]:
    """(folders to bind, top-level names that are symlinks into them) for the system's programs."""
    binds, links = ["/usr"], []
    for name in MERGED:
        path = "/" + name
        if os.path.islink(path):
            links.append(name)
        elif os.path.isdir(path):
            binds.append(path)
    for path in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.exists(path):
            binds.append(path)
    return binds, links


def _pairs(paths) -> list[tuple[str, str]]:
    """(host path, path in the box) for the paths that exist, parents before children."""
    pairs = {}
    for item in paths:
        src, dst = (item, item) if isinstance(item, str) else item
        if os.path.exists(src):
            pairs[os.path.abspath(dst)] = os.path.abspath(src)
    return sorted(((src, dst) for dst, src in pairs.items()), key=lambda pair: pair[1])


def command(box: Box, backend: str, stage: str) -> list[str]:
    """The full command line that starts `box.argv` contained by `backend`."""
    system, links = _system_paths()
    ro = _pairs([*system, *box.ro])
    rw = _pairs(box.rw)
    if backend == "bwrap":
        args = ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", "--tmpfs", "/"]
        for name in links:
            args += ["--symlink", os.readlink("/" + name), "/" + name]
        for src, dst in ro:
            args += ["--ro-bind", src, dst]
        for path in box.empty:
            args += ["--perms", "0555", "--tmpfs", path]
        for src, dst in rw:
            args += ["--bind", src, dst]
        args += ["--proc", "/proc", "--dev", "/dev", "--size", str(box.tmp_mb << 20), "--tmpfs", "/tmp",
                 "--size", str(64 << 20), "--tmpfs", "/dev/shm", "--remount-ro", "/", "--chdir", box.cwd,
                 "--", *box.argv]
        return args
    uid, gid = ensure_user()
    spec = {"stage": stage, "ro": ro, "rw": rw, "empty": box.empty, "links": {n: os.readlink("/" + n) for n in links},
            "cwd": box.cwd, "tmp_mb": box.tmp_mb, "uid": uid, "gid": gid, "argv": box.argv,
            "setpriv": shutil.which("setpriv"), "rlimits": box.limits.rlimits()}
    enter = [os.path.realpath(sys.executable), "-I", "-S", os.path.abspath(__file__), "enter", json.dumps(spec)]
    return ["setpriv", "--pdeathsig", "KILL", "--", "unshare", "--mount", "--net", "--pid", "--ipc", "--uts",
            "--fork", "--kill-child", "--propagation", "private", "--", *enter]


def _limit(rlimits: dict[str, int]) -> None:
    for name, value in rlimits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


class Contained:
    """A running contained process: `proc` is the Popen; `kill()` ends it and everything it started."""

    def __init__(self, box: Box, backend: str, *, pass_fds: tuple[int, ...] = (), stderr=None):
        self.stage = tempfile.mkdtemp(prefix="cg-root-")
        os.chmod(self.stage, 0o755)
        argv = command(box, backend, self.stage)
        rlimits = box.limits.rlimits()
        if backend == "namespaces":
            rlimits = {}  # set by `enter`, after the root is built (mount needs its own process limits)
        else:
            rlimits.pop("RLIMIT_NPROC")  # per uid: the instructor's own processes count too; the PID namespace
        self.proc = subprocess.Popen(argv, env=box.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=stderr if stderr is not None else subprocess.DEVNULL, pass_fds=pass_fds,
                                     start_new_session=True, preexec_fn=lambda: _limit(rlimits), close_fds=True)

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.rmdir(self.stage)
        except OSError:
            pass


# ---- inside the namespaces (root in a private mount namespace, before the program) ---------------
def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _place(root: str, path: str, src: str | None = None) -> str:
    """Create the mount point for `path` under `root` (a folder, or an empty file for a file)."""
    target = root + path
    if os.path.isdir(src or path):
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if not os.path.exists(target):
            open(target, "w").close()
    return target


def enter(spec: dict) -> None:
    """Build the root, chroot into it, limit, drop to the grading account, start the program."""
    root = spec["stage"]
    _mount("-t", "tmpfs", "-o", "mode=0755,size=16m,nosuid,nodev", "tmpfs", root)
    for name, target in spec["links"].items():
        os.symlink(target, os.path.join(root, name))
    for src, dst in spec["ro"]:
        target = _place(root, dst, src)
        _mount("--rbind", src, target)
        _mount("-o", "remount,bind,ro,nosuid,nodev", target)
    for path in spec["empty"]:
        _mount("-t", "tmpfs", "-o", "ro,mode=0555,size=4k,nosuid,nodev", "tmpfs", _place(root, path))
    for src, dst in spec["rw"]:
        target = _place(root, dst, src)
        _mount("--bind", src, target)
        _mount("-o", "remount,bind,nosuid,nodev", target)
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("-t", "proc", "-o", "nosuid,nodev,noexec", "proc", root + "/proc")
    os.makedirs(root + "/dev", exist_ok=True)
    _mount("-t", "tmpfs", "-o", "mode=0755,size=64k,nosuid", "tmpfs", root + "/dev")
    for name in DEVICES:
        open(root + "/dev/" + name, "w").close()
        _mount("--bind", "/dev/" + name, root + "/dev/" + name)
    for folder, mb in (("/tmp", spec["tmp_mb"]), ("/dev/shm", 64)):
        os.makedirs(root + folder, exist_ok=True)
        _mount("-t", "tmpfs", "-o", f"mode=1777,size={mb}m,nosuid,nodev", "tmpfs", root + folder)
    _mount("-o", "remount,bind,ro", root + "/dev")
    _mount("-o", "remount,ro,bind", root)
    os.chroot(root)
    os.chdir(spec["cwd"])
    _limit(spec["rlimits"])
    # --pdeathsig again: changing the uid clears it, and the program must die with `unshare` (and so with
    # the grader, whose death kills `unshare`).
    drop = [spec["setpriv"], f"--reuid={spec['uid']}", f"--regid={spec['gid']}", "--clear-groups",
            "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--pdeathsig", "KILL", "--"]
    os.execv(drop[0], [*drop, *spec["argv"]])


def describe(backend: str) -> str:
    who = f"as the unprivileged account {GRADER_USER!r}" if backend == "namespaces" else "as the grader's account"
    return (f"containment {backend}: {who}, no capabilities, an empty root with only the paths the job needs "
            "(read-only), no network, own PID namespace, resource limits")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "enter":
        enter(json.loads(sys.argv[2]))
    else:
        sys.exit("usage: python -I -S sandbox.py enter SPEC  (the grader runs this, not you)")
