"""The course's nbgrader extension points, named in `nbgrader_config.py`.

Autograding (`c.Autograde.autograde_preprocessors`):

* `SandboxedExecute` replaces nbgrader's `Execute`: each submission runs in a kernel started by
  `grading_sandbox` (unprivileged account, no network, sources and gradebook hidden, memory/CPU/file
  limits) and guarded by `grading_guard` (test cells run in the pristine state), with a wall-time
  limit for the whole notebook. A kernel that dies or runs out of time fails the cells it did not run.
* `NormalizeTestOutputs`: a warning on stderr in a test cell no longer zeroes a correct answer, and
  only the last result of a test cell (the partial score the guard publishes) counts.
* `ScanAnswers` runs `grading_scan` on the cells the student wrote and records its findings in the
  gradebook: a comment on the answer cell, "needs manual grade" on the notebook's test cells, and
  for `tamper` findings a manual score of 0 until an instructor has looked.

Feedback (`c.GenerateFeedback.preprocessors`): `HideHiddenTests` removes hidden-test source from the
feedback and cuts any traceback that would quote it.

Late submissions (`c.AssignLatePenalties.plugin_class`): `PercentPerDayLate`.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import shutil
import signal
import sys
import tempfile
import threading

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Any, Bool, Float, Integer, List, Unicode

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import grading_guard  # noqa: E402
import grading_sandbox  # noqa: E402
import grading_scan  # noqa: E402

HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
SCAN_MARK = "[scan]"
KERNEL_FILES = ("grading_guard.py", "grading_checks.py", "grading_sandbox.py")
PASS_ENV = ("PYTHONHASHSEED", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "AUTOGRAD_COURSE_BACKBONE",
            "AUTOGRAD_COURSE_BACKBONE_SEED", "AUTOGRAD_COURSE_CACHE", "TORCH_HOME", "NBGRADER_EXECUTION")


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def source_notebook(config, assignment: str, notebook: str):
    """The instructor's source notebook of a submission (cell rules, preloads), or an empty one."""
    cd = CourseDirectory(config=config)
    path = pathlib.Path(cd.format_path(cd.source_directory, ".", assignment)) / f"{notebook}.ipynb"
    return nbformat.read(path, as_version=4) if path.is_file() else nbformat.v4.new_notebook()


def test_cell_sources(nb) -> list[str]:
    """Sources of the code cells that are graded tests (restored from the gradebook by nbgrader)."""
    return [_source(c) for c in nb.cells if c.cell_type == "code" and utils.is_grade(c) and not utils.is_solution(c)]


# ---- execution --------------------------------------------------------------------------------
class SandboxKernelManager(AsyncKernelManager):
    """Starts the guarded kernel through `grading_sandbox.kernel_command`."""

    sandbox = Any(None, help="set by SandboxedExecute: the plan, the folders and the limits")

    def format_kernel_cmd(self, extra_arguments=None):
        s = self.sandbox
        kernel = [sys.executable, str(s["grader"] / "grading_guard.py"), "--tests", str(s["grader"] / "tests.json"),
                  "--grader-dir", str(s["grader"]), "--preload", ",".join(s["preload"]),
                  "-f", os.path.realpath(self.connection_file),
                  *(extra_arguments or [])]
        return grading_sandbox.kernel_command(
            s["plan"], kernel, cwd=str(s["work"]), env=s["env"], limits=s["limits"], enter_dir=str(s["grader"]),
            writable=[str(s["work"]), str(s["home"]), str(s["kernel"])], readonly=[str(s["grader"])],
            protected=[*grading_sandbox.needed_paths(), *s["plan"].hidden], stage=str(s["stage"]),
        )

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        plan = self.sandbox["plan"]
        if plan.uid is not None:
            os.chown(self.connection_file, plan.uid, plan.gid)
        kw["env"] = {"PATH": self.sandbox["env"]["PATH"], "LANG": "C.UTF-8"}
        kw["cwd"] = str(self.sandbox["work"])
        await super()._async_launch_kernel(kernel_cmd, **kw)


class SandboxedExecute(Execute):
    """nbgrader's Execute, with every submission contained and the whole notebook time-limited."""

    containment = Unicode("auto", help="auto, user (root), bwrap or limits; see grading_sandbox").tag(config=True)
    grader_user = Unicode(grading_sandbox.GRADER_USER, help="account that runs submissions (as root)").tag(config=True)
    wall_time = Integer(900, help="seconds for a whole notebook; later cells fail when it runs out").tag(config=True)
    memory_mb = Integer(3072, help="RLIMIT_DATA of the kernel, in MiB").tag(config=True)
    cpu_seconds = Integer(1800, help="RLIMIT_CPU of the kernel").tag(config=True)
    hidden_paths = List(Unicode(), help="folders the kernel must not see (sources, course root, exchange)").tag(
        config=True
    )
    keep_scratch = Bool(False, help="keep each submission's scratch folder (debugging)").tag(config=True)

    def preprocess(self, nb, resources):
        plan = grading_sandbox.choose(self.containment, self.grader_user, self.hidden_paths)
        self.log.info("%s", plan.describe())
        for warning in plan.warnings:
            self.log.warning("containment: %s", warning)
        base = pathlib.Path(tempfile.mkdtemp(prefix="autograd-grading-"))
        try:
            self._prepare(base, plan, nb, resources)
            self._stopped, self._limit = None, self.wall_time  # (preprocess re-reads the config: keep it)
            timer = threading.Timer(self._limit, self._out_of_time)
            timer.daemon = True
            timer.start()
            try:
                return super().preprocess(nb, resources)
            finally:
                timer.cancel()
        finally:
            if not self.keep_scratch:
                shutil.rmtree(base, ignore_errors=True)

    def _prepare(self, base: pathlib.Path, plan, nb, resources) -> None:
        base.chmod(0o755)
        dirs = {name: base / name for name in ("grader", "work", "home", "kernel", "stage")}
        for path in dirs.values():
            path.mkdir()
        source = pathlib.Path(resources.get("metadata", {}).get("path") or ".")
        for item in source.iterdir() if source.is_dir() else []:
            if item.is_file() and item.suffix != ".ipynb":
                shutil.copy2(item, dirs["work"] / item.name)
        for name in KERNEL_FILES:
            shutil.copy2(HERE / name, dirs["grader"] / name)
        answers = {}
        added = []
        for _, src, gid in grading_scan.student_cells(nb):
            if gid:
                answers[gid] = src
            else:
                added.append(src)
        tests = sorted({grading_guard.sha256(src) for src in test_cell_sources(nb)})
        (dirs["grader"] / "tests.json").write_text(json.dumps({"tests": tests}))
        (dirs["grader"] / "answers.json").write_text(json.dumps({"answers": answers, "added": added}))
        for path in dirs["grader"].iterdir():
            path.chmod(0o444)
        dirs["grader"].chmod(0o555)
        for name in ("work", "home", "kernel"):
            dirs[name].chmod(0o700)
            if plan.uid is not None:
                for path in [dirs[name], *dirs[name].rglob("*")]:
                    os.chown(path, plan.uid, plan.gid)
        home = dirs["home"]
        env = {
            "PATH": os.pathsep.join([str(pathlib.Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(home), "TMPDIR": str(home), "IPYTHONDIR": str(home / ".ipython"),
            "MPLCONFIGDIR": str(home / ".matplotlib"), "XDG_CACHE_HOME": str(home / ".cache"),
            "JUPYTER_RUNTIME_DIR": str(home / ".runtime"), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            **{k: os.environ[k] for k in PASS_ENV if k in os.environ},
        }
        if plan.level != "bwrap":  # under bwrap the kernel's parent is bwrap's init, pid 1: ipykernel would quit
            env["JPY_PARENT_PID"] = str(os.getpid())
        limits = grading_sandbox.Limits(memory_mb=self.memory_mb, cpu_seconds=self.cpu_seconds)
        info = resources.get("nbgrader", {})
        meta = source_notebook(self.config, info.get("assignment", ""), info.get("notebook", "")).metadata
        preload = list(meta.get("grading", {}).get("preload", []))
        self._sandbox = {"plan": plan, "env": env, "limits": limits, "preload": preload, **dirs}
        resources.setdefault("metadata", {})["path"] = str(dirs["work"])

    def create_kernel_manager(self):
        self.kernel_manager_class = SandboxKernelManager
        km = super().create_kernel_manager()
        km.sandbox = self._sandbox
        km.transport = "ipc"  # Unix sockets: they work across the kernel's private network namespace
        km.ip = str(self._sandbox["kernel"] / "ipc")
        km.connection_file = str(self._sandbox["kernel"] / "connection.json")
        return km

    def _out_of_time(self) -> None:
        self._stopped = f"the notebook ran out of its {self._limit} s wall-time limit"
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None:
            for kill in (lambda: os.killpg(process.pid, signal.SIGKILL), process.kill):
                try:
                    kill()
                except (OSError, ProcessLookupError):
                    pass

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped:
            cell.outputs = [_error("NotRun", f"{self._stopped}; this cell did not run")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stopped = self._stopped or "the kernel died (out of memory, crashed, or was killed)"
            cell.outputs = [*cell.get("outputs", []), _error("KernelDied", self._stopped)]
            return cell, resources
        except CellTimeoutError:  # e.g. no output arrived in time: the submission starves the kernel
            cell.outputs = [*cell.get("outputs", []), _error("CellTimeoutError", "the cell did not finish in time")]
            return cell, resources


class NormalizeTestOutputs(NbGraderPreprocessor):
    """In test cells: stderr is shown but not a failure; only a valid last result counts."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        outputs = []
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                out = NotebookNode(output_type="stream", name="stdout", text=f"[stderr, not counted] {out.text}")
            elif out.output_type == "execute_result" and out is not results[-1]:
                continue
            elif out.output_type == "execute_result":
                try:
                    value = float(out.get("data", {}).get("text/plain", "x"))
                except ValueError:
                    value = math.nan
                points = float(cell.metadata.nbgrader["points"])
                if not 0 < value <= points:
                    out = _error("InvalidResult", "a test cell may only end with its partial score")
            outputs.append(out)
        cell.outputs = outputs
        return cell, resources


# ---- the scan ---------------------------------------------------------------------------------
class ScanAnswers(NbGraderPreprocessor):
    """Scan the cells the student wrote; record findings in the gradebook (after SaveAutoGrades)."""

    hold_on_tamper = Bool(True, help="hold the notebook's score at 0 until reviewed when code reaches for "
                                     "the grading machinery").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        rules = grading_scan.cell_rules(source_notebook(self.config, info["assignment"], info["notebook"]))
        findings = grading_scan.scan_notebook(nb, rules)
        for finding in findings:
            self.log.warning("REVIEW %s / %s: %s", info["student"], info["assignment"], finding)
        self._record(nb, info, findings)
        resources["grading_scan"] = [str(f) for f in findings]
        return nb, resources

    def _record(self, nb, info, findings) -> None:
        answer_ids = [gid for _, _, gid in grading_scan.student_cells(nb) if gid]
        grade_ids = [c.metadata.nbgrader["grade_id"] for c in nb.cells if utils.is_grade(c)]
        held = self.hold_on_tamper and any(f.level == "tamper" for f in findings)
        by_cell: dict[str, list[str]] = {}
        for f in findings:
            target = f.cell if f.cell in answer_ids else (answer_ids[0] if answer_ids else None)
            if target:
                by_cell.setdefault(target, []).append(str(f))
        with Gradebook(info["db_url"]) as gb:
            args = (info["notebook"], info["assignment"], info["student"])
            was_held = False
            for gid in answer_ids:
                try:
                    comment = gb.find_comment(gid, *args)
                except MissingEntry:
                    continue
                old = comment.manual_comment or ""
                was_held = was_held or (old.startswith(SCAN_MARK) and "held" in old)
                if gid in by_cell:
                    head = "notebook held at 0 until reviewed" if held else "flagged for review"
                    comment.manual_comment = f"{SCAN_MARK} {head}: " + "; ".join(by_cell[gid])
                elif old.startswith(SCAN_MARK):
                    comment.manual_comment = None
            for gid in grade_ids:
                grade = gb.find_grade(gid, *args)
                if findings:
                    grade.needs_manual_grade = True
                if held:
                    grade.manual_score = 0
                elif was_held and grade.manual_score == 0:
                    grade.manual_score = None
                    grade.needs_manual_grade = bool(findings)
            gb.db.commit()


# ---- feedback ---------------------------------------------------------------------------------
class HideHiddenTests(NbGraderPreprocessor):
    """Feedback shows test cells without their hidden part, and no traceback that quotes it."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        kept, secret, inside = [], [], False
        for line in _source(cell).split("\n"):
            if HIDDEN_BEGIN in line:
                inside = True
                kept.append(line[: len(line) - len(line.lstrip())] + "# (hidden checks run by the grader: not shown)")
            elif HIDDEN_END in line:
                inside = False
            elif inside:
                secret.append(line.strip())
            else:
                kept.append(line)
        cell.source = "\n".join(kept)
        secret = [s for s in secret if len(s) >= 6]
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                text = "\n".join(out.get("traceback", []))
                if secret and any(s in text for s in secret) or HIDDEN_BEGIN in text:
                    out.traceback = [f"{out.ename}: {out.evalue}"]
        return cell, resources


# ---- late submissions -------------------------------------------------------------------------
class PercentPerDayLate(LateSubmissionPlugin):
    """Lose `percent_per_day` of the notebook's score per started day late (at most all of it)."""

    percent_per_day = Float(10.0, help="percent of the score lost per started day late").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        if total_seconds_late <= 0:
            return None
        days = math.ceil(total_seconds_late / 86400)
        return min(score, score * self.percent_per_day * days / 100)

