"""The kernel the autograder runs a submission in: IPython's kernel with a guard around test cells.

Trusted code. `grading_sandbox.py` starts it (inside the sandbox, as the grading user) instead of
`python -m ipykernel_launcher`:

    python grading_guard.py --tests TESTS.json --grader-dir DIR -f CONNECTION_FILE [kernel options]

TESTS.json lists the sha256 of every test cell's source (the grader takes the test cells from the
gradebook; nothing a student submits changes that list). Test cells run in the same process as the
student's code, so an answer cell could hook IPython (AST or input transformers, events, a custom
exception handler, the display formatter), patch `torch`, `math` or `builtins`, or leave a thread,
a signal handler or a torch mode running that does it later. The guard therefore

1. records the pristine state before the notebook's first cell runs: every callable, class and
   module reachable from the trusted modules' and classes' dicts, IPython's hooks, `sys`'s hooks,
   signal handlers and threads;
2. before every test cell puts that state back (what answer cells changed is undone), sets PyTorch's
   global modes (grad mode, inference mode, anomaly mode, saved-tensor hooks, torch function and
   dispatch modes) to their defaults, and refuses to run the test while a thread the submission
   started is alive;
3. after every test cell compares the state again: a test during which the code under test changed
   it fails with `GradingIntegrityError`;
4. publishes the partial score a test computed with `grading_checks.Items` itself, as the cell's
   result, so no formatter or display hook of the submission can forge it.

Monkeypatching replaces callables, classes and modules, so those are what is watched; plain data
that libraries change in normal operation (counters, caches, option values) is not.

What it cannot stop: code that reaches the guard itself (through `gc`, `ctypes`, frames, the kernel
object) can switch all of this off. The static scan (`grading_scan.py`), which runs in the grader's
own process on the submitted source, flags such code for review.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import os
import signal
import sys
import threading
import types
import warnings

# Modules whose attributes tests rely on. Every loaded module under these names is recorded.
TRUSTED_PREFIXES = (
    "builtins", "sys", "signal", "gc", "_thread", "abc", "weakref", "importlib",
    "math", "cmath", "random", "json", "collections", "functools", "itertools", "operator",
    "copy", "contextlib", "warnings", "types", "numbers", "statistics", "subprocess", "os", "posixpath",
    "io", "re", "time", "asyncio", "threading", "traceback", "linecache", "inspect", "ast", "hashlib",
    "numpy", "torch", "torchvision", "sklearn", "dagviz", "autograd_course", "grading_checks",
    "IPython", "ipykernel", "traitlets", "jupyter_client", "comm", "zmq", "tornado",
)
# Imported here, before any notebook code, so that they are part of the recorded state.
# More can be asked for per assignment (`metadata.grading.preload` of the source notebook).
PRELOAD = (
    "math", "random", "json", "collections", "functools", "itertools", "copy", "contextlib", "subprocess",
    "torch", "torch.nn", "torch.nn.functional", "torch.func", "torch.autograd", "torch.autograd.functional",
    "torch.autograd.forward_ad", "torch.optim", "dagviz", "grading_checks",
)
# IPython shell traits that are hooks (not counters such as execution_count).
SHELL_HOOK_TRAITS = (
    "ast_transformers", "input_transformers_post", "input_transformer_manager", "display_formatter",
    "displayhook", "display_pub", "display_trap", "builtin_trap", "compile", "events", "data_pub",
    "payload_manager", "exiter", "custom_exceptions",
)
TIMERS = (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)
# The guard's own code looks builtins up in a private copy: a submission that patches `builtins`
# (or keeps re-patching it from a thread) does not change how the guard compares and restores.
__builtins__ = dict(vars(builtins))
_get_interval, _set_interval = sys.getswitchinterval, sys.setswitchinterval
_IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: C types that cannot be patched anyway
_MISSING = object()


class GradingIntegrityError(RuntimeError):
    """A test cell ran while (or after) the submission tampered with what tests rely on."""


def _trusted(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in TRUSTED_PREFIXES)


def _recorded_module(name: str) -> bool:
    """Trusted public modules (torch._dynamo and friends are left to the scan: it flags `torch._`)."""
    return _trusted(name) and not any(part.startswith("_") for part in name.split(".")[1:])


def _watched(value: object) -> bool:
    return callable(value) or isinstance(value, types.ModuleType) or hasattr(type(value), "__get__")


def _watched_items(mapping) -> dict:
    return {k: v for k, v in list(mapping.items()) if _watched(v)}


def _instance_hooks(obj) -> dict:
    """Instance attributes that shadow a method of the class (how run_cell or showtraceback get
    replaced), and the custom exception handler."""
    cls = type(obj)
    return {k: v for k, v in vars(obj).items() if _watched(v) and (hasattr(cls, k) or k == "CustomTB")}


_LIBRARY_DIRS = tuple(sorted({os.path.join(sys.prefix, ""), os.path.join(sys.base_prefix, ""),
                               os.path.join(os.path.dirname(os.__file__), "")}))


def _library_code(value: object) -> bool:
    """Is `value` a function (or property, method) whose code is in an installed library's file?
    A submission's functions live in its cells; C functions and classes never qualify."""
    value = getattr(value, "__func__", value)
    if isinstance(value, property):
        value = value.fget
    code = getattr(value, "__code__", None)
    if not isinstance(code, types.CodeType):
        return False
    return code.co_filename.startswith(_LIBRARY_DIRS) and os.path.isfile(code.co_filename)


def _same_role(new: object, old: object) -> bool:
    """A library's lazy rebinding keeps the name (it wraps or redefines the same function); a swap for
    some other library function (torch.allclose = some_loss) does not."""
    def name(v):
        v = v.fget if isinstance(v, property) else v
        return getattr(v, "__name__", None)

    if isinstance(new, property) and isinstance(old, property):
        return True  # a registry replacing one library property by another (torch.compiler's CacheInfo)
    return getattr(new, "__wrapped__", None) is old or (name(new) is not None and name(new) == name(old))


def _same_items(a, b) -> bool:
    a, b = list(a), list(b)
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def torch_modes() -> dict[str, object]:
    """PyTorch's global modes, which live in C and which a test's reference computation depends on."""
    import torch

    ag = torch._C._autograd  # noqa: SLF001
    return {
        "grad mode": torch.is_grad_enabled(),
        "inference mode": torch.is_inference_mode_enabled(),
        "anomaly mode": torch.is_anomaly_enabled(),
        "forward-mode AD": torch._C._is_fwd_grad_enabled(),  # noqa: SLF001
        "saved-tensor hooks": ag._top_saved_tensors_default_hooks(False) is not None,  # noqa: SLF001
        "saved tensors enabled": ag._saved_tensors_hooks_is_enabled(),  # noqa: SLF001
        "torch function modes": torch._C._len_torch_function_stack(),  # noqa: SLF001
        "torch dispatch modes": torch._C._len_torch_dispatch_stack(),  # noqa: SLF001
    }


#: Test cells run in PyTorch's default modes, whatever the notebook's other cells left on.
DEFAULT_MODES = {"grad mode": True, "inference mode": False, "anomaly mode": False, "forward-mode AD": True,
                 "saved-tensor hooks": False, "saved tensors enabled": True, "torch function modes": 0,
                 "torch dispatch modes": 0}


class Guard:
    """Records the pristine state once; restores and compares it around test cells."""

    def __init__(self, shell, kernel):
        self.shell, self.kernel = shell, kernel
        self.recorded = False

    # ---- recording ----------------------------------------------------------------------------
    def record(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # merely looking at deprecated attributes warns
            self._record()

    def _record(self) -> None:
        import gc


        self.modules: dict[str, tuple[types.ModuleType, dict]] = {}
        self.classes: dict[type, dict] = {}
        for name, mod in list(sys.modules.items()):
            if isinstance(mod, types.ModuleType) and _recorded_module(name):
                members = _watched_items(vars(mod))
                self.modules[name] = (mod, members)
                for value in members.values():
                    if (
                        isinstance(value, type)
                        and not value.__flags__ & _IMMUTABLE_TYPE
                        and _trusted(getattr(value, "__module__", None) or "")
                    ):
                        self.classes.setdefault(value, _watched_items(vars(value)))
        sh = self.shell
        itm = sh.input_transformer_manager
        self.hook_lists = {
            "IPython ast_transformers": (sh.ast_transformers, list(sh.ast_transformers)),
            "IPython input_transformers_post": (sh.input_transformers_post, list(sh.input_transformers_post)),
            "IPython input transformers": (itm.cleanup_transforms, list(itm.cleanup_transforms)),
            "IPython line transforms": (itm.line_transforms, list(itm.line_transforms)),
            "IPython token transformers": (itm.token_transformers, list(itm.token_transformers)),
            "sys.meta_path": (sys.meta_path, list(sys.meta_path)),
            "sys.path_hooks": (sys.path_hooks, list(sys.path_hooks)),
            "gc.callbacks": (gc.callbacks, list(gc.callbacks)),
        }
        self.events = {k: list(v) for k, v in sh.events.callbacks.items()}
        self.formatters = {
            key: (f, dict(f.type_printers), dict(f.deferred_printers), dict(f.singleton_printers), f.enabled)
            for key, f in sh.display_formatter.formatters.items()
        }
        self.traits = {k: sh._trait_values.get(k, _MISSING) for k in SHELL_HOOK_TRAITS}  # noqa: SLF001
        self.custom_exceptions = sh.custom_exceptions
        self.instances = {"shell": (sh, _instance_hooks(sh)), "kernel": (self.kernel, _instance_hooks(self.kernel))}
        self.sys_hooks = {k: getattr(sys, k) for k in ("displayhook", "excepthook", "stdout", "stderr", "stdin")}
        self.tracers = (sys.gettrace(), sys.getprofile(), threading._trace_hook, threading._profile_hook)  # noqa: SLF001
        self.signals = {
            s: signal.getsignal(s) for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)
        }
        self.threads = {t.ident for t in threading.enumerate()}
        self.recorded = True

    # ---- comparing ----------------------------------------------------------------------------
    def differences(self) -> list[str]:
        """Names of what differs from the recorded state."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._differences()

    def _differences(self) -> list[str]:

        self._accept_library_changes()
        found = []
        for name, (mod, members) in self.modules.items():
            if sys.modules.get(name) is not mod:
                found.append(f"sys.modules[{name!r}]")
            now = vars(mod)
            found += [f"{name}.{k}" for k, v in members.items() if now.get(k, _MISSING) is not v]
        for cls, members in self.classes.items():
            now = vars(cls)
            where = f"{cls.__module__}.{cls.__qualname__}"
            found += [f"{where}.{k}" for k, v in members.items() if now.get(k, _MISSING) is not v]
            found += [f"{where}.{k} (added)" for k in now.keys() - members.keys()
                      if _watched(now[k]) and not _library_code(now[k])]
        for label, (live, then) in self.hook_lists.items():
            if not _same_items(live, then):
                found.append(label)
        sh = self.shell
        if {k: list(v) for k, v in sh.events.callbacks.items()} != self.events:
            found.append("IPython event callbacks")
        for key, (fmt, tp, dp, sp, enabled) in self.formatters.items():
            if (sh.display_formatter.formatters.get(key) is not fmt or fmt.type_printers != tp
                    or fmt.deferred_printers != dp or fmt.singleton_printers != sp or fmt.enabled != enabled):
                found.append(f"IPython display formatter {key}")
        found += [f"IPython shell.{k}" for k, v in self.traits.items() if sh._trait_values.get(k, _MISSING) is not v]  # noqa: SLF001
        if sh.custom_exceptions != self.custom_exceptions:
            found.append("IPython custom exception handler")
        for label, (obj, then) in self.instances.items():
            now = _instance_hooks(obj)
            found += [f"IPython {label}.{k}" for k in now.keys() | then.keys() if now.get(k) is not then.get(k)]
        found += [f"sys.{k}" for k, v in self.sys_hooks.items() if getattr(sys, k) is not v]
        if (sys.gettrace(), sys.getprofile(), threading._trace_hook, threading._profile_hook) != self.tracers:  # noqa: SLF001
            found.append("trace or profile function")
        found += [f"signal handler {signal.Signals(s).name}" for s, h in self.signals.items()
                  if signal.getsignal(s) is not h]
        if any(signal.getitimer(t)[0] for t in TIMERS):
            found.append("interval timer")
        found += [f"torch {k}" for k, v in torch_modes().items() if v != DEFAULT_MODES[k]]
        return found

    def foreign_threads(self) -> list[str]:
        return [t.name for t in threading.enumerate() if t.ident not in self.threads and t.is_alive()]

    # ---- restoring ----------------------------------------------------------------------------
    def _accept_library_changes(self) -> None:
        """Libraries rebind their own functions lazily (torch wraps some when torch._dynamo is first
        imported): a new value whose code lives in an installed library file becomes the record."""
        for table, live_of in ((self.modules, lambda key: vars(self.modules[key][0])),
                               (self.classes, lambda key: vars(key))):
            for key, entry in table.items():
                members = entry[1] if table is self.modules else entry
                now = live_of(key)
                for name, value in list(members.items()):
                    new = now.get(name, _MISSING)
                    if new is not value and new is not _MISSING and _library_code(new) and _same_role(new, value):
                        members[name] = new
        for cls, members in self.classes.items():
            now = vars(cls)
            for name in now.keys() - members.keys():
                if _watched(now[name]) and _library_code(now[name]):
                    members[name] = now[name]

    def restore(self) -> None:

        self._accept_library_changes()
        for name, (mod, members) in self.modules.items():
            sys.modules[name] = mod
            now = vars(mod)
            for key, value in members.items():
                if now.get(key, _MISSING) is not value:
                    now[key] = value
        for cls, members in self.classes.items():
            now = vars(cls)
            for key in [k for k in now.keys() - members.keys() if _watched(now[k]) and not _library_code(now[k])]:
                _quietly(delattr, cls, key)
            for key, value in members.items():
                if now.get(key, _MISSING) is not value:
                    _quietly(setattr, cls, key, value)
        for live, then in self.hook_lists.values():
            live[:] = then
        sh = self.shell
        sh.events.callbacks.clear()
        sh.events.callbacks.update({k: list(v) for k, v in self.events.items()})
        for key, value in self.traits.items():
            if value is not _MISSING:
                sh._trait_values[key] = value  # noqa: SLF001
        for key, (fmt, tp, dp, sp, enabled) in self.formatters.items():
            sh.display_formatter.formatters[key] = fmt
            for live, then in ((fmt.type_printers, tp), (fmt.deferred_printers, dp), (fmt.singleton_printers, sp)):
                live.clear()
                live.update(then)
            fmt.enabled = enabled
        for obj, then in self.instances.values():
            now = vars(obj)
            for key in _instance_hooks(obj).keys() - then.keys():
                del now[key]  # an instance attribute shadowing a method: run_cell, showtraceback ...
            now.update(then)
        sh.custom_exceptions = self.custom_exceptions
        sh.user_ns["__builtins__"] = self.modules["builtins"][0]
        for key, value in self.sys_hooks.items():
            setattr(sys, key, value)
        trace, profile, thread_trace, thread_profile = self.tracers
        sys.settrace(trace)
        sys.setprofile(profile)
        threading.settrace(thread_trace)
        threading.setprofile(thread_profile)
        for timer in TIMERS:
            signal.setitimer(timer, 0)
        for sig, handler in self.signals.items():
            if handler is not None and signal.getsignal(sig) is not handler:
                _quietly(signal.signal, sig, handler)
        self._default_modes()

    def _default_modes(self) -> None:
        import torch

        ag = torch._C._autograd  # noqa: SLF001
        while torch._C._len_torch_function_stack():  # noqa: SLF001
            torch._C._pop_torch_function_stack()  # noqa: SLF001
        while torch._C._len_torch_dispatch_stack():  # noqa: SLF001
            torch._C._pop_torch_dispatch_stack()  # noqa: SLF001
        while ag._top_saved_tensors_default_hooks(False) is not None:  # noqa: SLF001
            ag._pop_saved_tensors_default_hooks()  # noqa: SLF001
        ag._saved_tensors_hooks_enable()  # noqa: SLF001
        torch._C._set_grad_enabled(True)  # noqa: SLF001
        torch._C._set_fwd_grad_enabled(True)  # noqa: SLF001
        torch.set_anomaly_enabled(False)
        if torch.is_inference_mode_enabled():
            # left on by an entered, never exited inference_mode(): switch it off for this cell only
            self.inference_off = torch._C._InferenceMode(False)  # noqa: SLF001


def _quietly(fn, *args) -> None:
    try:
        fn(*args)
    except (AttributeError, TypeError, ValueError, OSError, RuntimeError):
        pass


@contextlib.contextmanager
def _alone():
    """Other Python threads do not get the GIL while the guard works (it never blocks or does I/O)."""
    interval = _get_interval()
    _set_interval(1000.0)
    try:
        yield
    finally:
        _set_interval(interval)


def sha256(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def main(argv: list[str]) -> None:
    import argparse
    import importlib

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--tests", required=True)
    parser.add_argument("--grader-dir", required=True)
    parser.add_argument("--preload", default="", help="more modules to record, comma-separated")
    args, rest = parser.parse_known_args(argv)
    with open(args.tests, encoding="utf-8") as f:
        tests = frozenset(json.load(f)["tests"])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation notes of imports are not the submission's output
        for name in (*PRELOAD, *filter(None, args.preload.split(","))):
            try:
                importlib.import_module(name)
            except ImportError:
                pass
    import grading_checks

    grading_checks._GRADER_DIR = args.grader_dir  # noqa: SLF001

    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.kernelapp import IPKernelApp

    class GuardedKernel(IPythonKernel):
        """IPythonKernel whose test cells run in the recorded, pristine state."""

        async def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False,
                             **kwargs):
            guard = self.__dict__.get("_grading_guard")
            if guard is None:
                guard = Guard(self.shell, self)
                guard.record()  # before the notebook's first cell: nothing of the submission has run
                self.__dict__["_grading_guard"] = guard
            run = super().do_execute
            if sha256(code) not in tests:
                return await run(code, silent, store_history, user_expressions, allow_stdin, **kwargs)
            with _alone():
                guard.restore()
                threads = guard.foreign_threads()
            if threads:
                return self._integrity_error(
                    f"threads started by the submission are still running ({', '.join(threads)}); "
                    "tests cannot run safely next to them"
                )
            grading_checks._begin_cell()  # noqa: SLF001
            reply = await run(code, silent, store_history, user_expressions, allow_stdin, **kwargs)
            with _alone():
                changed = guard.differences() + [f"thread {t}" for t in guard.foreign_threads()]
                guard.restore()
                guard.__dict__.pop("inference_off", None)
            score = grading_checks._end_cell()  # noqa: SLF001
            if changed:
                shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
                return self._integrity_error(f"the code under test changed what the tests rely on: {shown}")
            if score is not None and reply.get("status") == "ok":
                content = {"execution_count": self.shell.execution_count, "metadata": {},
                           "data": {"text/plain": repr(float(score))}}
                self.session.send(self.iopub_socket, "execute_result", content, parent=self.get_parent("shell"),
                                  ident=self._topic("execute_result"))
            return reply

        def _integrity_error(self, message: str) -> dict:
            ename = GradingIntegrityError.__name__
            self.shell._showtraceback(GradingIntegrityError, message, [f"{ename}: {message}"])  # noqa: SLF001
            return {"status": "error", "ename": ename, "evalue": message, "traceback": [f"{ename}: {message}"],
                    "execution_count": self.shell.execution_count, "user_expressions": {}, "payload": []}

    IPKernelApp.launch_instance(argv=rest, kernel_class=GuardedKernel)


if __name__ == "__main__":
    main(sys.argv[1:])
