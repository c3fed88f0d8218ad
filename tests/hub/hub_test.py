"""A class on a real JupyterHub, with real Linux accounts, end to end: `make hub-test` (as root).

It builds what docs/jupyterhub/ describes, on this machine: an instructor and two students as Linux
accounts with private homes (0750, Ubuntu's default), JupyterHub started as root with its local spawner
(each user's server runs as that user), configurable-http-proxy from npm, and nbgrader's exchange in
/srv/nbgrader/exchange. Then a whole round through the exchange: the instructor releases (as
themselves, not root), the students fetch and submit through their own servers' nbgrader API, the
instructor collects, autogrades and releases feedback, the students fetch it. Along the way it proves:

1. a student cannot read or change another student's submission or feedback (every attempt by alice
   on bob's files, given their exact paths as if they had leaked, fails with a permission error);
2. a student cannot submit as someone else (`nbgrader submit --student=<bob>` by alice is never
   collected as bob's: collect keeps only what its student owns);
3. grading runs as the non-root instructor, contained by bubblewrap (the autograde log says so), and
   scores what it should.

Nothing on the machine changes for good: the test runs in a private mount namespace (the exchange,
the hub's files and the students' config live on a tmpfs there, and the course's Python environment
is made visible to the accounts there only), and the three accounts are removed at the end.
Exit status 1, with what failed, on any deviation.
"""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
INSTRUCTOR, ALICE, BOB = "acg-instructor", "acg-alice", "acg-bob"
ACCOUNTS = (INSTRUCTOR, ALICE, BOB)
ASSIGNMENT, COURSE = "tiny_autodiff", "autograd_course"
SRV = pathlib.Path("/srv")
EXCHANGE = SRV / "nbgrader" / "exchange"
STUDENT_CONFIG = SRV / "autograd-course" / "jupyter"
HUB_DIR = SRV / "hub"
STEPS: list[str] = []


class Failed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def step(text: str) -> None:
    STEPS.append(text)
    print(f"  {text}", flush=True)


def sh(*cmd: str, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise Failed(f"`{' '.join(cmd)}` failed:\n{done.stdout}{done.stderr}")
    return done


# ---- the machine: a private mount namespace, three accounts ---------------------------------------------------
def show_only(folder: str, keep: list[str]) -> None:
    """In this mount namespace, `folder` holds only the paths `keep` (bound back), on a tmpfs (0755)."""
    stage = SRV / ".stage" / secrets.token_hex(4)
    keep = [k if os.path.isdir(k) else os.path.dirname(k) for k in keep]
    keep = [k for k in keep if k.startswith(folder.rstrip("/") + "/")]
    keep = sorted({k for k in keep if not any(k.startswith(o + "/") for o in keep if o != k)})
    for m, path in enumerate(keep):
        (stage / str(m)).mkdir(parents=True)
        sh("mount", "--rbind", path, str(stage / str(m)))
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", folder)
    for m, path in enumerate(keep):
        pathlib.Path(path).mkdir(parents=True, exist_ok=True, mode=0o755)
        sh("mount", "--move", str(stage / str(m)), path)


def reachable(paths: list[str]) -> None:
    """Make each path traversable by every account: a parent without o+x (root's home, where CI keeps the
    venv) is replaced by a tmpfs holding only these paths."""
    blocked = set()
    for path in paths:
        parts = pathlib.Path(path).resolve().parts
        for n in range(2, len(parts)):
            parent = str(pathlib.Path(*parts[:n]))
            if not os.stat(parent).st_mode & 0o001:
                blocked.add(parent)
                break
    for parent in sorted(blocked):
        show_only(parent, [str(pathlib.Path(p).resolve()) for p in paths])


def create_accounts() -> None:
    for name in ACCOUNTS:
        remove_account(name)
        sh("useradd", "--create-home", "--shell", "/bin/bash", name)
        home = pathlib.Path(pwd.getpwnam(name).pw_dir)
        home.chmod(0o750)  # Ubuntu's default for new homes


def remove_account(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    time.sleep(0.5)
    subprocess.run(["userdel", "--remove", name], capture_output=True)


def as_user(user: str, *cmd: str, cwd: pathlib.Path | None = None, env: dict | None = None,
            check_ok: bool = True) -> subprocess.CompletedProcess:
    home = pwd.getpwnam(user).pw_dir
    base = {"HOME": home, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
            "PATH": f"{pathlib.Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"}
    if user != INSTRUCTOR:
        base["JUPYTER_CONFIG_PATH"] = str(STUDENT_CONFIG)
    full = ["runuser", "-u", user, "--", "env", "-i", *[f"{k}={v}" for k, v in {**base, **(env or {})}.items()],
            *cmd]
    done = subprocess.run(full, capture_output=True, text=True, cwd=cwd or home)
    if check_ok and done.returncode != 0:
        raise Failed(f"{user}: `{' '.join(cmd)}` failed:\n{done.stdout}{done.stderr}")
    return done


# ---- the instructor: a private copy of the course, nbgrader as themselves ----------------------------------
def instructor_course() -> pathlib.Path:
    course = pathlib.Path(pwd.getpwnam(INSTRUCTOR).pw_dir) / "course"
    shutil.copytree(REPO / "course_grading", course / "course_grading",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "notebooks" / "assignments" / ASSIGNMENT, course / "notebooks" / "assignments" / ASSIGNMENT)
    shutil.copy2(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    sh("chown", "-R", f"{INSTRUCTOR}:{INSTRUCTOR}", str(course))
    return course


def nbgrader(course: pathlib.Path, *args: str) -> str:
    env = {"PYTHONPATH": str(course), "AUTOGRAD_COURSE_EXCHANGE": str(EXCHANGE)}
    done = as_user(INSTRUCTOR, sys.executable, "-m", "nbgrader", *args, cwd=course, env=env)
    return done.stdout + done.stderr


# ---- JupyterHub ------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    def __init__(self, proxy: str):
        self.port, self.token = free_port(), secrets.token_hex(32)
        self.url = f"http://127.0.0.1:{self.port}"
        config = HUB_DIR / "jupyterhub_config.py"
        config.write_text(f"""
load_subconfig({str(HUB_DIR / 'class_config.py')!r})  # noqa: F821  docs/jupyterhub/jupyterhub_config.py, as shipped
c.JupyterHub.bind_url = {self.url!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{HUB_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(HUB_DIR / 'cookie_secret')!r}
c.JupyterHub.pid_file = {str(HUB_DIR / 'jupyterhub.pid')!r}
c.JupyterHub.services = [{{"name": "hub-test", "api_token": {self.token!r}}}]
c.JupyterHub.load_roles = [{{"name": "hub-test", "services": ["hub-test"],
                             "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "read:users"]}}]
""")
        env = {**os.environ, "AUTOGRAD_COURSE_ENV": sys.prefix, "AUTOGRAD_COURSE_JUPYTER_CONFIG": str(STUDENT_CONFIG),
               "AUTOGRAD_COURSE_USERS": ",".join(ACCOUNTS), "AUTOGRAD_COURSE_ADMINS": INSTRUCTOR,
               "PATH": f"{pathlib.Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
        self.log = open(HUB_DIR / "hub.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=HUB_DIR, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.api("GET", "/hub/api/", wait=90)

    def api(self, method: str, path: str, body=None, token: str | None = None, form: dict | None = None,
            wait: float = 0.0, raw: bool = False):
        data = headers = None
        headers = {"Authorization": f"token {token or self.token}"}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        deadline = time.monotonic() + wait
        while True:
            try:
                request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
                with urllib.request.urlopen(request, timeout=60) as response:
                    text = response.read().decode()
                    return text if raw else (json.loads(text) if text.strip() else None)
            except (urllib.error.URLError, ConnectionError) as exc:
                if self.proc.poll() is not None:
                    raise Failed(f"JupyterHub exited:\n{self.tail()}") from None
                if time.monotonic() > deadline:
                    detail = exc.read().decode()[-1500:] if isinstance(exc, urllib.error.HTTPError) else str(exc)
                    raise Failed(f"{method} {path}: {detail}") from None
                time.sleep(0.5)

    def start_server(self, user: str) -> str:
        """Start the user's own server (LocalProcessSpawner: it runs as the user); return a token of theirs."""
        self.api("POST", f"/hub/api/users/{user}/server")
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            model = self.api("GET", f"/hub/api/users/{user}")
            if model.get("servers", {}).get("", {}).get("ready"):
                break
            time.sleep(1)
        else:
            raise Failed(f"{user}'s server did not start:\n{self.tail()}")
        token = self.api("POST", f"/hub/api/users/{user}/tokens", {"note": "hub test", "expires_in": 3600})["token"]
        pid = self.api("GET", f"/hub/api/users/{user}").get("servers", {}).get("", {}).get("state", {}).get("pid")
        if pid:
            owner = os.stat(f"/proc/{pid}").st_uid
            check(owner == pwd.getpwnam(user).pw_uid, f"{user}'s server runs as uid {owner}, not as {user}")
        return token

    def tail(self) -> str:
        self.log.flush()
        return (HUB_DIR / "hub.log").read_text()[-3000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def nbgrader_action(hub: Hub, user: str, token: str, action: str) -> dict:
    """What the Assignments tab does: POST to the user's server's nbgrader API, through the hub's proxy."""
    answer = hub.api("POST", f"/user/{user}/assignments/{action}", token=token,
                     form={"course_id": COURSE, "assignment_id": ASSIGNMENT})
    if isinstance(answer, dict) and answer.get("success") is False:
        raise Failed(f"{user}: {action} failed: {str(answer.get('value'))[-1500:]}")
    return answer


def put_notebook(hub: Hub, user: str, token: str, nb: dict) -> None:
    hub.api("PUT", f"/user/{user}/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", token=token,
            body={"type": "notebook", "format": "json", "content": nb})


def released_notebook(course: pathlib.Path) -> dict:
    return json.loads((course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())


def answered(fetched: dict, how: str) -> dict:
    from course_grading import cheats, selfcheck

    if how == "solution":
        source = selfcheck.read_notebook(selfcheck.source_path(ASSIGNMENT))
        answers = {selfcheck.nbgrader_meta(c)["grade_id"]: selfcheck.cell_source(c) for c in source["cells"]
                   if selfcheck.nbgrader_meta(c).get("solution")}
        return cheats.build(cheats.Cheat("solution", REPO, "honest", "the solutions", answers=answers), fetched)
    return cheats.build(cheats.parse(REPO / "notebooks" / "assignments" / ASSIGNMENT / "cheats" / f"{how}.py"), fetched)


# ---- what alice tries on bob's files ------------------------------------------------------------------------
ATTACK = r'''
import json, os, sys
targets = json.loads(sys.argv[1])
results = {}
def attempt(name, f):
    try:
        f()
        results[name] = "ALLOWED"
    except PermissionError:
        results[name] = "denied"
    except FileNotFoundError:
        results[name] = "not found"
    except OSError as exc:
        results[name] = type(exc).__name__
def write(path):
    with open(path, "w") as fh:
        fh.write("{}")
attempt("list the exchange's inbound", lambda: os.listdir(targets["inbound"]))
attempt("list the exchange's feedback", lambda: os.listdir(targets["feedback_dir"]))
attempt("list bob's submission", lambda: os.listdir(targets["submission"]))
attempt("read bob's submitted notebook", lambda: open(targets["submitted_nb"]).read())
attempt("read bob's submission secret", lambda: open(targets["secret"]).read())
attempt("overwrite bob's submitted notebook", lambda: write(targets["submitted_nb"]))
attempt("delete bob's submitted notebook", lambda: os.remove(targets["submitted_nb"]))
attempt("add a file to bob's submission", lambda: write(targets["submission"] + "/extra.ipynb"))
attempt("rename bob's submission", lambda: os.rename(targets["submission"], targets["submission"] + "-x"))
attempt("rename the course's exchange folder", lambda: os.rename(targets["course"], targets["course"] + "-x"))
attempt("replace the released assignment", lambda: write(targets["released"]))
attempt("add an assignment to the exchange", lambda: os.mkdir(targets["outbound"] + "/fake"))
attempt("list bob's home", lambda: os.listdir(targets["bob_home"]))
attempt("read bob's nbgrader cache", lambda: os.listdir(targets["bob_cache"]))
attempt("list the instructor's home", lambda: os.listdir(targets["instructor_home"]))
attempt("read the gradebook", lambda: open(targets["gradebook"], "rb").read())
attempt("read bob's collected submission", lambda: open(targets["collected"]).read())
attempt("write into the exchange's feedback", lambda: write(targets["feedback_dir"] + "/forged.html"))
if targets.get("feedback_file"):
    attempt("change bob's feedback", lambda: write(targets["feedback_file"]))
    attempt("delete bob's feedback", lambda: os.remove(targets["feedback_file"]))
print(json.dumps(results))
'''


def attack(targets: dict) -> dict:
    done = as_user(ALICE, sys.executable, "-c", ATTACK, json.dumps(targets))
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> None:
    proxy = os.environ.get("HUB_PROXY") or shutil.which("configurable-http-proxy")
    check(bool(proxy) and os.access(proxy, os.X_OK),
          "configurable-http-proxy not found: `make hub-test` installs it with npm (or set HUB_PROXY)")
    step("a private mount namespace: /srv on a tmpfs; the course environment reachable by every account")
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(SRV))
    needed = [sys.prefix, sys.base_prefix, str(pathlib.Path(proxy).resolve().parents[2]),
              str(REPO / "autograd_course"), str(REPO / "dagviz")]
    reachable(needed)
    EXCHANGE.mkdir(parents=True)
    EXCHANGE.chmod(0o1777)  # the exchange root, as docs/jupyterhub says; every folder below is nbgrader's doing
    shutil.copytree(REPO / "docs" / "jupyterhub" / "etc-jupyter", STUDENT_CONFIG)
    sh("chmod", "-R", "a+rX", str(STUDENT_CONFIG.parent))
    step(f"accounts {', '.join(ACCOUNTS)} with private homes (0750)")
    create_accounts()
    course = instructor_course()
    step("instructor (not root): roster, due date, generate and release")
    nbgrader(course, "db", "student", "add", ALICE)
    nbgrader(course, "db", "student", "add", BOB)
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT, "--duedate=2099-01-01 00:00:00 UTC")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "release_assignment", ASSIGNMENT, "--force")
    notebooks = {how: answered(released_notebook(course), how) for how in ("solution", "honest_other_routes")}
    HUB_DIR.mkdir(mode=0o700)
    shutil.copy2(REPO / "docs" / "jupyterhub" / "jupyterhub_config.py", HUB_DIR / "class_config.py")
    # Students see the course environment and its packages, never the instructor's checkout (solutions,
    # hidden checks): it is replaced by its packages alone, as a class installs them from the student pack.
    show_only(str(REPO), needed)


    hub = Hub(proxy)
    try:
        step("JupyterHub with the local spawner and configurable-http-proxy; alice's and bob's servers")
        tokens = {user: hub.start_server(user) for user in (ALICE, BOB)}
        for user, how in ((ALICE, "solution"), (BOB, "honest_other_routes")):
            nbgrader_action(hub, user, tokens[user], "fetch")
            home = pathlib.Path(pwd.getpwnam(user).pw_dir)
            fetched = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            check(fetched.is_file() and fetched.stat().st_uid == pwd.getpwnam(user).pw_uid,
                  f"{user}'s fetch did not give them their own copy")
            put_notebook(hub, user, tokens[user], notebooks[how])
            nbgrader_action(hub, user, tokens[user], "submit")
        step("fetched, answered and submitted through their own servers (alice: the solutions; bob: other "
             "correct routes)")

        inbound = EXCHANGE / COURSE / "inbound"
        bob_sub = next(p for p in inbound.iterdir() if p.name.startswith(BOB + "+"))
        targets = {"inbound": str(inbound), "feedback_dir": str(EXCHANGE / COURSE / "feedback"),
                   "course": str(EXCHANGE / COURSE), "outbound": str(EXCHANGE / COURSE / "outbound"),
                   "released": str(EXCHANGE / COURSE / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
                   "submission": str(bob_sub), "submitted_nb": str(bob_sub / f"{ASSIGNMENT}.ipynb"),
                   "secret": str(bob_sub / "submission_secret.txt"),
                   "bob_home": pwd.getpwnam(BOB).pw_dir,
                   "bob_cache": str(pathlib.Path(pwd.getpwnam(BOB).pw_dir) / ".local" / "share" / "jupyter"),
                   "instructor_home": pwd.getpwnam(INSTRUCTOR).pw_dir,
                   "gradebook": str(course / "grading" / "gradebook.db"),
                   "collected": str(course / "grading" / "submitted" / BOB / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")}
        before = attack(targets)
        allowed = [what for what, result in before.items() if result == "ALLOWED"]
        check(not allowed, f"alice could: {allowed}")
        step(f"alice, with the exact paths of bob's files: {len(before)} attempts on bob's work, all refused")

        step(f"alice submits a blank notebook as bob (`nbgrader submit --student={BOB}`)")
        forged = as_user(ALICE, sys.executable, "-m", "nbgrader", "submit", ASSIGNMENT, f"--student={BOB}",
                         f"--Exchange.root={EXCHANGE}", f"--CourseDirectory.course_id={COURSE}",
                         cwd=pathlib.Path(pwd.getpwnam(ALICE).pw_dir), check_ok=False)
        claims = [p for p in inbound.iterdir() if p.name.startswith(BOB + "+") and p != bob_sub]
        check(claims and all(p.stat().st_uid == pwd.getpwnam(ALICE).pw_uid for p in claims),
              f"the forged submission should exist, owned by alice: {forged.stdout}{forged.stderr}")

        step("instructor (not root): collect, autograde, feedback")
        log = nbgrader(course, "collect", ASSIGNMENT)
        check("not collected" in log and ALICE in log, f"collect should refuse alice's forgery:\n{log}")
        collected = json.loads(pathlib.Path(targets["collected"]).read_text())
        check(collected == json.loads(bob_sub.joinpath(f"{ASSIGNMENT}.ipynb").read_text()),
              "bob's collected notebook is not the one bob submitted")
        log = nbgrader(course, "autograde", ASSIGNMENT)
        check("containment bwrap" in log, f"grading as the instructor must be contained by bubblewrap:\n{log[-2000:]}")
        scores = gradebook_scores(course)
        check(scores == {ALICE: 10.0, BOB: 10.0}, f"scores {scores}, expected 10 and 10")
        nbgrader(course, "generate_feedback", ASSIGNMENT)
        nbgrader(course, "release_feedback", ASSIGNMENT)
        for user in (ALICE, BOB):
            nbgrader_action(hub, user, tokens[user], "fetch_feedback")
            got = list((pathlib.Path(pwd.getpwnam(user).pw_dir) / ASSIGNMENT / "feedback").rglob("*.html"))
            check(len(got) == 1, f"{user} should have fetched one feedback file: {got}")
            check("Graded outside your notebook" in got[0].read_text(), f"{user}'s feedback holds no verdicts")
        step("alice and bob fetched their own feedback through their servers")
        from nbgrader.utils import notebook_hash

        secret = (bob_sub / "submission_secret.txt").read_text()
        bobs = EXCHANGE / COURSE / "feedback" / f"{notebook_hash(secret=secret, notebook_id=ASSIGNMENT)}.html"
        check(bobs.is_file(), "bob's released feedback is not where nbgrader puts it")
        after = attack({**targets, "feedback_file": str(bobs)})
        allowed = [what for what, result in after.items() if result == "ALLOWED"]
        check(not allowed, f"after grading, alice could: {allowed}")
        step(f"after grading: {len(after)} attempts on bob's submission, gradebook and feedback, all refused")
    finally:
        hub.stop()


def gradebook_scores(course: pathlib.Path) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'grading' / 'gradebook.db'}", COURSE) as gb:
        return {s.student.id: s.score for s in gb.find_assignment(ASSIGNMENT).submissions}


def main() -> int:
    if os.geteuid() != 0:
        print("hub test: skipped, it needs root (it creates Linux accounts and starts JupyterHub as root)")
        return 0
    if os.environ.get("HUB_TEST_NAMESPACE") != "1":
        env = {**os.environ, "HUB_TEST_NAMESPACE": "1"}
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "--", sys.executable,
                               os.path.abspath(__file__)], env=env).returncode
    start = time.monotonic()
    print("hub test: a class on JupyterHub with real accounts", flush=True)
    try:
        run()
    except Failed as err:
        print(f"\nFAIL {err}", file=sys.stderr)
        return 1
    finally:
        for name in ACCOUNTS:
            remove_account(name)
    print(f"hub test: OK in {time.monotonic() - start:.0f} s ({len(STEPS)} steps)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
