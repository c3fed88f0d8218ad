"""The grading machinery of notebooks/assignments: scan, guard, checks, cheat corpus, sandbox, config.

Fast unit tests, except `test_sandboxed_kernel_*` which start one real contained kernel each. The whole
pipeline on every assignment is `make assignments`; a whole term is `make instructor-e2e`.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
HERE = ROOT / "notebooks" / "assignments"
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the nbgrader source folder

import grading_cheats  # noqa: E402
import grading_checks  # noqa: E402
import grading_guard  # noqa: E402
import grading_preprocessors  # noqa: E402
import grading_sandbox  # noqa: E402
import grading_scan  # noqa: E402
import student_pack  # noqa: E402

sys.dont_write_bytecode = False
NAMES = sorted(p.parent.name for p in HERE.glob("*/*.ipynb") if p.stem == p.parent.name)
_ROOT = tempfile.TemporaryDirectory(prefix="course-root-")


def load_config(root=None):
    from traitlets.config.loader import PyFileConfigLoader

    os.environ["AUTOGRAD_COURSE_GRADING_ROOT"] = str(root or _ROOT.name)
    try:
        return PyFileConfigLoader("nbgrader_config.py", path=str(HERE)).load_config()
    finally:
        del os.environ["AUTOGRAD_COURSE_GRADING_ROOT"]


def source(name):
    return nbformat.read(HERE / name / f"{name}.ipynb", as_version=4)


def student_version(name):
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    cfg = load_config()
    nb, resources = source(name), {}
    for pre in (ClearSolutions(config=cfg), ClearOutput(config=cfg), ClearHiddenTests(config=cfg)):
        nb, resources = pre.preprocess(nb, resources)
    return nb


# ---- the scan -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "level", "words"),
    [
        ("get_ipython().ast_transformers.append(x)", "tamper", "IPython"),
        ("import builtins\nbuiltins.all = lambda *a: True", "tamper", "builtins"),
        ("import torch\ntorch.allclose = lambda *a, **k: True", "tamper", "torch.allclose"),
        ("torch.Tensor.tolist = f", "tamper", "torch.Tensor.tolist"),
        ("x = ().__class__.__bases__[0].__subclasses__()", "tamper", "__class__"),
        ("exec('print(1)')", "tamper", "exec"),
        ("getattr(torch, 'all' + 'close')", "tamper", "getattr"),
        ("try:\n    1 / 0\nexcept Exception as e:\n    f = e.__traceback__.tb_frame.f_back", "tamper", "frames"),
        ("%load_ext foo", "tamper", "magics"),
        ("!ls", "tamper", "magics"),
        ("from torch.overrides import TorchFunctionMode", "tamper", "torch"),
        ("torch._C._set_grad_enabled(False)", "tamper", "torch internals"),
        ("import threading", "tamper", "threading"),
        ("with open('x') as f:\n    pass", "review", "opens files"),
        ("class Y:\n    def __eq__(self, other):\n        return True", "review", "__eq__"),
        ("def f(t):\n    return [1, 2, 3]", "review", "hard-coded"),
    ],
)
def test_scan_finds(code, level, words):
    found = grading_scan.scan_source(code, "cell")
    assert any(f.level == level and words in f.message for f in found), found


def test_scan_rules_from_the_source_notebook():
    rules = {"forbid": ["torch", "dagviz"], "literal": True}
    found = grading_scan.scan_source("import torch\nx = torch.zeros(2)", "cell", rules)
    assert {f.level for f in found} == {"review"}
    assert any("must not use" in f.message for f in found) and any("literal" in f.message for f in found)
    assert grading_scan.scan_source("predictions = {'a': (True, False, None)}", "cell", rules) == []


def test_scan_leaves_ordinary_code_alone():
    code = (
        "import math\nfrom collections import deque\n\n\nclass Value:\n    def __init__(self, data):\n"
        "        super().__init__()\n        self.data = float(data)\n\n    def __add__(self, other):\n"
        "        return Value(self.data + other.data)\n\n    __radd__ = __add__\n\n\n"
        "def walk(t):\n    seen, queue = set(), deque([t])\n    return [type(x).__name__ for x in queue]\n"
    )
    assert grading_scan.scan_source(code, "cell") == []


@pytest.mark.parametrize("name", NAMES)
def test_solutions_and_stubs_pass_the_scan(name):
    rules = grading_scan.cell_rules(source(name))
    assert grading_scan.scan_notebook(source(name), rules) == []
    assert grading_scan.scan_notebook(student_version(name), rules) == []


# ---- the cheat corpus -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_assignment_has_a_cheat_of_every_class(name):
    cheats = grading_cheats.load(HERE / name)
    assert {c.cls for c in cheats} >= set(grading_cheats.CLASSES), f"{name}: missing classes"
    student = student_version(name)
    points = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in source(name).cells
              if c.metadata.get("nbgrader", {}).get("grade")}
    rules = grading_scan.cell_rules(source(name))
    for cheat in cheats:
        assert set(cheat.honest) <= set(points), f"{cheat.path}: honest names a cell that is not a test"
        built = grading_cheats.build(cheat, student)
        assert len(built["cells"]) == len(student.cells) + len(cheat.added)
        found = grading_scan.scan_notebook(built, rules)
        level = max((grading_cheats.LEVELS.index(f.level) for f in found), default=0)
        assert level >= grading_cheats.LEVELS.index(cheat.flag), f"{cheat.name}: the scan should flag {cheat.flag}"
        if cheat.cls == grading_cheats.HONEST:  # a correct answer written differently: never held by the scan
            assert level <= grading_cheats.LEVELS.index(cheat.flag), f"{cheat.name}: honest, but flagged: {found}"
        assert cheat.limit(points) >= 0.2 * sum(points.values())


def test_cheat_files_are_checked(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("# class: bribery\n# what: x\n# %% answer a\npass\n")
    with pytest.raises(grading_cheats.CheatError, match="class"):
        grading_cheats.parse(bad)
    bad.write_text("# class: hooks\n# what: x\nprint(1)\n")
    with pytest.raises(grading_cheats.CheatError, match="before the first"):
        grading_cheats.parse(bad)
    bad.write_text("# class: honest\n# what: x\n# flag: tamper\n# %% answer a\npass\n")
    with pytest.raises(grading_cheats.CheatError, match="honest answer"):
        grading_cheats.parse(bad)
    ok = tmp_path / "ok.py"
    ok.write_text("# class: hooks\n# what: x\n# honest: test_b\n# %% answer nope\npass\n")
    cheat = grading_cheats.parse(ok)
    assert cheat.limit({"test_a": 1, "test_b": 6}) == 6 and cheat.limit({"test_a": 5, "test_b": 0}) == 1
    with pytest.raises(grading_cheats.CheatError, match="no cell"):
        grading_cheats.build(cheat, student_version(NAMES[0]))


# ---- helpers of the hidden tests ------------------------------------------------------------------
def test_plain_refuses_lookalikes():
    import torch

    class YesTuple(tuple):
        def __eq__(self, other):
            return True

    assert grading_checks.plain({"a": [1, 2.5, None, "x", (True,)]}) == {"a": [1, 2.5, None, "x", (True,)]}
    assert grading_checks.plain(torch.tensor([[1.0, 2.0]])) == [[1.0, 2.0]]
    for fake in (YesTuple((1,)), torch.zeros(1).as_subclass(type("T", (torch.Tensor,), {})), object()):
        with pytest.raises(TypeError, match="plain Python values"):
            grading_checks.plain(fake)
    assert grading_checks.close([1.0, {"k": 2}], [1.0 + 1e-12, {"k": 2.0}])
    assert not grading_checks.close(1.0, float("nan")) and not grading_checks.close([1], (1,))


def test_items_give_partial_credit(capsys):
    items = grading_checks.Items(3, "demo")
    for k in range(4):
        with items.case("even numbers only"):
            assert k % 2 == 0
    with items.case("no crash"):
        raise ValueError("hidden value 42")
    assert items.score() == 1.2
    out = capsys.readouterr().out
    assert "2 of 5 checks passed" in out and "(raised ValueError)" in out and "42" not in out
    none = grading_checks.Items(1)
    with none.case("hint"):
        raise AssertionError("secret")
    with pytest.raises(AssertionError, match="0 of 1") as err:
        none.score()
    assert "secret" not in str(err.value)


def test_run_isolated_has_no_torch():
    driver = "def main(ns, payload):\n    return [ns['f'](x) for x in payload]"
    assert grading_checks.run_isolated(["def f(x):\n    return x * 2"], driver, [1, 2.5]) == [2, 5.0]
    with pytest.raises(grading_checks.IsolatedError, match="ModuleNotFoundError"):
        grading_checks.run_isolated(["import torch"], driver, [])
    with pytest.raises(grading_checks.IsolatedError, match="too long"):
        grading_checks.run_isolated(["while True:\n    pass"], driver, [], timeout=2)


def test_watched_call_names_what_was_reached():
    import torch

    import dagviz

    x = torch.randn(3, requires_grad=True)
    y = (x * 2).sum()
    _, hits = grading_checks.watched_call(torch.autograd.grad, y, x, names=grading_checks.REVERSE_MODE)
    assert hits == ["_engine_run_backward"]
    jacobian = torch.func.jacrev(torch.sin)
    _, hits = grading_checks.watched_call(jacobian, x.detach(), names=grading_checks.LIBRARY_JACOBIANS)
    assert hits
    _, hits = grading_checks.watched_call(dagviz.trace, y, packages=[dagviz])
    assert hits
    _, hits = grading_checks.watched_call(lambda: sys.setprofile(None))
    assert hits == ["(the grader's profiler was removed)"]



@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:FutureWarning")  # torch.func's first import
def test_no_autograd_finds_every_kind_of_automatic_differentiation():
    import torch
    from torch.func import vjp as renamed

    x = torch.randn(4, dtype=torch.float64)
    with torch.no_grad(), grading_checks.no_autograd(may_record=False) as watch:
        y = torch.tanh(x) * 2
    assert watch.found == [] and watch.work >= 8 and watch.left == 0
    for delegate in (
        lambda: renamed(torch.tanh, x)[1](torch.ones(4, dtype=torch.float64)),
        lambda: torch.func.jvp(torch.tanh, (x,), (torch.ones(4, dtype=torch.float64),)),
    ):
        with grading_checks.no_autograd(may_record=False) as watch:
            delegate()
        assert watch.found, "a renamed torch.func call must be found"
    with torch.no_grad(), grading_checks.no_autograd(may_record=False) as watch:
        with torch.enable_grad():
            torch.tanh(x.clone().requires_grad_(True))
    assert any("gradients switched on" in f for f in watch.found)
    with torch.no_grad(), grading_checks.no_autograd(may_record=False) as watch:
        y.numpy(), y.tolist(), y[0].item()
    assert watch.left == 4 + 4 + 1


def test_watch_function_counts_the_passes_and_finds_delegation():
    import torch

    class Honest(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    class Delegating(Honest):
        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            with torch.enable_grad():
                x = out.log().detach().requires_grad_(True)
                return torch.autograd.grad(x.exp(), x, g)

    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    with grading_checks.watch_function(Honest, "Honest") as report:
        y = Honest.apply(x)
        grading_checks.own_node(y, Honest, "Honest")
        y.sum().backward()
    grading_checks.require_own(report, "Honest", passes=1)
    assert report["forward"] == 1 and Honest.forward.__name__ == "forward"  # the methods are put back
    with grading_checks.watch_function(Delegating, "Delegating") as report:
        Delegating.apply(x).sum().backward()
    with pytest.raises(grading_checks.Hint, match="compute the gradient yourself"):
        grading_checks.require_own(report, "Delegating")
    with pytest.raises(grading_checks.Hint, match="derived from torch.autograd.Function"):
        grading_checks.check_function_class(object, "Nope")

# ---- the guard ------------------------------------------------------------------------------------
@pytest.fixture
def guard():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    g = grading_guard.Guard(shell, type("Kernel", (), {})())
    g.record()
    yield g
    g.restore()


def test_guard_restores_patches_and_hooks(guard):
    import builtins
    import math

    import torch

    shell = guard.shell
    original_allclose, original_all = torch.allclose, builtins.all
    torch.allclose = lambda *a, **k: True
    builtins.all = lambda *a: True
    torch.Tensor.tolist = lambda self: [1]
    math.isclose = lambda *a, **k: True
    shell.ast_transformers.append(object())
    shell.set_custom_exc((Exception,), lambda *a, **k: None)
    shell.run_cell = lambda *a, **k: None
    shell.display_formatter.formatters["text/plain"].for_type(float, lambda o, p, c: p.text("1"))
    torch.set_grad_enabled(False)
    found = guard.differences()
    for name in ("torch.allclose", "builtins.all", "torch.Tensor.tolist (added)", "math.isclose",
                 "IPython ast_transformers", "IPython shell.run_cell", "IPython custom exception handler",
                 "IPython display formatter text/plain", "torch grad mode"):
        assert any(name in f for f in found), (name, found)
    guard.restore()
    assert guard.differences() == []
    assert torch.allclose is original_allclose and builtins.all is original_all and torch.is_grad_enabled()
    assert torch.Tensor.tolist(torch.ones(2)) == [1.0, 1.0]


def test_guard_accepts_a_librarys_own_lazy_rebinding(guard):
    import json as json_module

    original = json_module.dumps

    def wrapper(*args, **kwargs):  # defined in a test file: not library code
        return original(*args, **kwargs)

    json_module.dumps = wrapper
    assert "json.dumps" in guard.differences()
    guard.restore()
    assert json_module.dumps is original
    # What torch does when torch._dynamo is first imported: rebind a function to a library wrapper of it.
    library_wrapper = json_module.JSONEncoder.encode  # a function from an installed library's file
    json_module.encode = library_wrapper
    assert grading_guard._library_code(library_wrapper)
    assert not grading_guard._library_code(wrapper) and not grading_guard._library_code(len)
    assert grading_guard._same_role(library_wrapper, json_module.JSONEncoder.encode)
    assert not grading_guard._same_role(library_wrapper, json_module.JSONDecoder.decode)
    del json_module.encode


def test_guard_sees_threads_and_torch_modes(guard):
    import threading

    import torch

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="patcher")
    thread.start()
    try:
        assert guard.foreign_threads() == ["patcher"]
    finally:
        stop.set()
        thread.join()
    mode = torch.inference_mode()
    mode.__enter__()
    hooks = torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t)
    hooks.__enter__()
    assert {"torch inference mode", "torch saved-tensor hooks"} <= set(guard.differences())
    guard.restore()
    assert not torch.is_inference_mode_enabled() and "torch saved-tensor hooks" not in guard.differences()
    guard.__dict__.pop("inference_off")  # the guard popped the hooks; the inference_mode stays the test's
    mode.__exit__(None, None, None)


# ---- preprocessors --------------------------------------------------------------------------------
def _grade_cell(outputs, source="assert True", points=2):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata = {"nbgrader": {"grade": True, "grade_id": "t", "points": points, "solution": False,
                                  "locked": True, "schema_version": 3}}
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def test_test_outputs_are_normalized():
    from nbgrader.utils import determine_grade

    pre = grading_preprocessors.NormalizeTestOutputs()
    warned = _grade_cell([{"output_type": "stream", "name": "stderr", "text": "UserWarning: soon deprecated"}])
    assert determine_grade(warned) == (0, 2)
    pre.preprocess_cell(warned, {}, 0)
    assert determine_grade(warned) == (2, 2) and "not counted" in warned.outputs[0].text
    forged = _grade_cell([
        {"output_type": "execute_result", "data": {"text/plain": "2.0"}, "metadata": {}, "execution_count": 1},
        {"output_type": "execute_result", "data": {"text/plain": "0.5"}, "metadata": {}, "execution_count": 1},
    ])
    pre.preprocess_cell(forged, {}, 0)
    assert determine_grade(forged) == (0.5, 2)
    bogus = _grade_cell([{"output_type": "execute_result", "data": {"text/plain": "'yes'"}, "metadata": {},
                          "execution_count": 1}])
    pre.preprocess_cell(bogus, {}, 0)
    assert determine_grade(bogus) == (0, 2)


def test_feedback_hides_hidden_tests():
    secret = "assert f(123) == 15129  # the expected value"
    cell = _grade_cell(
        [{"output_type": "error", "ename": "AssertionError", "evalue": "hint", "traceback": ["line", secret]}],
        source=f"assert f(2) == 4\n### BEGIN HIDDEN TESTS\n{secret}\n### END HIDDEN TESTS",
    )
    grading_preprocessors.HideHiddenTests().preprocess_cell(cell, {}, 0)
    assert secret not in cell.source and "BEGIN HIDDEN" not in cell.source and "assert f(2) == 4" in cell.source
    assert cell.outputs[0].traceback == ["AssertionError: hint"]


def test_late_penalty_per_started_day():
    plugin = grading_preprocessors.PercentPerDayLate()
    assert plugin.late_submission_penalty("s", 10.0, 0) is None
    assert plugin.late_submission_penalty("s", 10.0, 1) == 1.0
    assert plugin.late_submission_penalty("s", 10.0, 86401) == 2.0
    assert plugin.late_submission_penalty("s", 10.0, 86400 * 30) == 10.0


# ---- configuration --------------------------------------------------------------------------------
def test_course_root_is_configurable_and_never_under_build(tmp_path):
    cfg = load_config(tmp_path / "term1")
    assert cfg.CourseDirectory.root == str((tmp_path / "term1").resolve())
    assert cfg.CsvExportPlugin.to == str((tmp_path / "term1" / "grades.csv").resolve())
    assert str((tmp_path / "term1").resolve()) in cfg.SandboxedExecute.hidden_paths
    for inside in (ROOT / "build" / "nbgrader", ROOT / "release" / "x"):
        with pytest.raises(ValueError, match="make clean"):
            load_config(inside)
    clean = subprocess.run(["make", "-s", "-n", "clean"], cwd=ROOT, capture_output=True, text=True).stdout
    removed = [line for line in clean.splitlines() if line.startswith("rm ")]
    assert removed == ["rm -rf build release .pytest_cache .ruff_cache"], clean


def test_formgrader_finds_the_course_from_the_top_of_the_checkout(tmp_path):
    """`make lab` serves the checkout: nbgrader must read the same config there, course root inside."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension
    from traitlets.config.loader import PyFileConfigLoader

    existed = (ROOT / "grading").exists()
    try:
        top = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()  # what `make lab` reads
        ext = FormgradeExtension(config=top)
        ext.root_dir = str(ROOT)  # JupyterLab's root: `make lab` runs it at the top of the checkout
        ext.coursedir = CourseDirectory(config=top)
        assert not ext.url_prefix.startswith(".."), "the Formgrader needs the course root inside JupyterLab's root"
        assert top.CourseDirectory.source_directory == str(HERE)
        top.Exchange.root = str(tmp_path)  # the hub's exchange does not exist here
        api = NbGraderAPI(coursedir=CourseDirectory(config=top), config=top)
        assert sorted(api.get_source_assignments()) == NAMES, "the Formgrader lists exactly the assignments"
    finally:
        if not existed:  # the default course root, made by loading the config
            shutil.rmtree(ROOT / "grading", ignore_errors=True)
    assert top.CourseDirectory.root == str(ROOT / "grading")
    assert [getattr(p, "__name__", p) for p in top.Autograde.autograde_preprocessors][0] == "SandboxedExecute"


def test_sandbox_plan_and_command(tmp_path):
    limits = grading_sandbox.Limits(memory_mb=100)
    assert limits.rlimits(dedicated_account=False)["RLIMIT_DATA"] == 100 * 1024 * 1024
    assert "RLIMIT_NPROC" in limits.rlimits(dedicated_account=True)
    plan = grading_sandbox.choose("limits", hidden=[str(tmp_path)])
    assert plan.level == "limits" and plan.warnings and "NOT contained" in plan.describe()
    cmd = grading_sandbox.kernel_command(plan, ["python", "-m", "k"], cwd=str(tmp_path), env={}, limits=limits,
                                         enter_dir=str(HERE), writable=[], readonly=[], protected=[], stage="")
    spec = json.loads(cmd[-1])
    assert cmd[:3] == [sys.executable, "-I", "-S"] and spec["cmd"] == ["python", "-m", "k"] and not spec["isolate"]
    with pytest.raises(ValueError, match="unknown containment"):
        grading_sandbox.choose("chroot")


def _run_sandboxed(code: str, tmp_path, **config):
    cfg = load_config(tmp_path / "root")
    ep = grading_preprocessors.SandboxedExecute(config=cfg, timeout=60, **config)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in code.split("\n# --\n")])
    (tmp_path / "work").mkdir()
    nb, _ = ep.preprocess(nb, {"metadata": {"path": str(tmp_path / "work")}})
    return [[o.get("text", "") or f"{o.get('ename')}: {o.get('evalue')}" for o in c.outputs] for c in nb.cells]


PROBE = """
import os, socket
result = {{}}
for path in {targets!r}:
    try:
        open(path, "a").close()
        result[path] = "WROTE"
    except OSError as err:
        result[path] = type(err).__name__
try:
    socket.create_connection(("192.0.2.1", 80), timeout=2)
    result["network"] = "OPEN"
except OSError as err:
    result["network"] = "closed"
result["sources"] = os.listdir({sources!r})
result["home"] = os.listdir({home!r}) if os.path.isdir({home!r}) else []
result["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print(result)
# --
x = bytearray(8 * 1024**3)"""


def _targets(tmp_path):
    return [str(ROOT / "README.md"), str(ROOT / "build" / "x"), str(pathlib.Path(sys.prefix) / "x"), str(HERE / "x"),
            str(tmp_path / "root" / "gradebook.db")]


@pytest.mark.skipif(os.geteuid() != 0, reason="namespaces need root; see the README for what is enforced without")
@pytest.mark.parametrize("level", ["namespaces", "bwrap"])
def test_sandboxed_kernel_is_contained(tmp_path, level):
    if level == "bwrap" and not grading_sandbox._have("bwrap"):
        pytest.skip("bubblewrap is not installed")
    targets = _targets(tmp_path)
    home = os.path.expanduser("~")
    outputs = _run_sandboxed(PROBE.format(targets=targets, sources=str(HERE), home=home), tmp_path, containment=level)
    result = eval(outputs[0][0])  # noqa: S307 - our own dict literal
    assert all(result[t] != "WROTE" for t in targets), result
    assert result["network"] == "closed" and result["sources"] == [], result
    kept = {pathlib.Path(p).relative_to(home).parts[0] for p in (sys.prefix, sys.base_prefix, str(ROOT))
            if p.startswith(home.rstrip("/") + "/")}
    assert set(result["home"]) <= kept, "the grader's home folder is hidden but for what the kernel needs"
    assert max(result["processes"]) < 10, "a PID namespace of its own"
    assert outputs[1] == ["MemoryError: "]


def test_sandboxed_kernel_with_limits_only(tmp_path):
    """What a non-root grader without bubblewrap gets: the limits, and nothing else (the log says so)."""
    outputs = _run_sandboxed("import os\nprint(os.getcwd())\n# --\nx = bytearray(8 * 1024**3)", tmp_path,
                             containment="limits")
    assert outputs[0][0].strip().endswith("/work") and outputs[1] == ["MemoryError: "]


@pytest.mark.skipif(os.geteuid() != 0, reason="namespaces need root")
def test_sandboxed_kernel_wall_time(tmp_path):
    outputs = _run_sandboxed("import time\ntime.sleep(60)\n# --\nprint('never')", tmp_path, wall_time=5)
    assert "KernelDied" in outputs[0][-1] and "wall-time" in outputs[0][-1]
    assert outputs[1] == ["NotRun: the notebook ran out of its 5 s wall-time limit; this cell did not run"]


# ---- JupyterHub ---------------------------------------------------------------------------------
def test_jupyterhub_setup_loads_and_builds_like_make():
    from traitlets.config.loader import PyFileConfigLoader

    hub = ROOT / "docs" / "jupyterhub"
    cfg = PyFileConfigLoader("jupyterhub_config.py", path=str(hub)).load_config()
    assert cfg.Spawner.environment["AUTOGRAD_COURSE_CACHE"] == "/opt/autograd-course/cache"
    students = PyFileConfigLoader("nbgrader_config.py", path=str(hub / "etc-jupyter")).load_config()
    assert students.Exchange.root == "/srv/nbgrader/exchange"
    assert students.CourseDirectory.course_id == "autograd_course"
    dockerfile = (hub / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for step in ('pip install --quiet -c constraints.txt -e ".[course,dev]"', "-m autograd_course backbone"):
        assert step in makefile and step in dockerfile, step


# ---- the student pack ---------------------------------------------------------------------------
def test_student_pack_holds_no_solution_and_its_leak_check_catches_them(tmp_path):
    pack = student_pack.build(tmp_path / "out")
    assert student_pack.leak_check(pack) == []
    assert (tmp_path / "out" / "autograd-course.zip").is_file()
    released = sorted(p.parent.name for p in (pack / "notebooks" / "assignments").glob("*/*.ipynb"))
    assert released == NAMES
    assert not list(pack.rglob("cheats")) and not list(pack.rglob("grading_*.py"))
    disabled = json.loads((pack / "jupyter-config" / "labconfig" / "page_config.json").read_text())
    assert set(disabled["disabledExtensions"]) == set(student_pack.INSTRUCTOR_PANELS)
    # plant leaks: a source notebook, the cheat corpus, a solution copied into a lesson
    name = NAMES[0]
    shutil.copy(HERE / name / f"{name}.ipynb", pack / "notebooks" / "assignments" / name / f"{name}.ipynb")
    shutil.copytree(HERE / name / "cheats", pack / "cheats")
    lesson = sorted((pack / "notebooks").glob("[0-9]*.ipynb"))[0]
    nb = nbformat.read(lesson, as_version=4)
    answer = next(c for c in source("tiny_autodiff").cells if c.metadata["nbgrader"].get("grade_id") == "engine")
    nb.cells.append(nbformat.v4.new_code_cell("\n".join(
        line for line in answer.source.split("\n") if "### " not in line)))
    nbformat.write(nb, lesson)
    problems = "\n".join(student_pack.leak_check(pack))
    assert "marker" in problems and "instructor-only file" in problems
    assert f"{lesson.relative_to(pack)}: copies" in problems


def test_formgrader_serves_the_course_from_make_lab(tmp_path):
    """A real Jupyter server at the top of the checkout, as `make lab` starts it: the Formgrader's API
    lists the assignments, and no stray gradebook appears at the top."""
    import secrets
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    course = ROOT / f".formgrader-test-{secrets.token_hex(4)}"  # inside the server's root, as grading/ is
    token = secrets.token_hex(16)
    env = {**os.environ, "AUTOGRAD_COURSE_GRADING_ROOT": str(course), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", f"--port={port}", "--ip=127.0.0.1", "--no-browser", "--allow-root",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/formgrader/api/assignments",
                                         headers={"Authorization": f"token {token}"})
        deadline, answer = time.monotonic() + 120, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = json.loads(response.read())
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert answer is not None, server.stderr.read().decode()[-2000:] if server.poll() is not None else "no answer"
        assert sorted(a["name"] for a in answer) == NAMES
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(course, ignore_errors=True)
    assert not (ROOT / "gradebook.db").exists(), "nbgrader left a gradebook at the top of the checkout"
