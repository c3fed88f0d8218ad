"""Review notes: a static scan of the cells a student wrote, for the instructor. It decides nothing.

Scores come from the trusted grader (`autograde.TrustedGrade`), which never shares a process with the
student's code, so nothing a notebook does can raise its score and nothing here is needed to stop it.
The scan reads the submitted source in the grader's process and points the instructor at code worth a
look: reaching for the interpreter or the grading machinery (`tamper`), or patterns that are sometimes
honest (`review`: comparison dunders, a library the task forbids, a computed answer where a literal is
asked for, a function returning a hard-coded value, file access, a module hook). Each finding becomes a
comment on the answer cell and a "needs manual grade" flag in the gradebook (`ReviewNotes`); the
autograded score stands. `python -m course_grading holds` lists the flagged notebooks and lifts the
flags in bulk once reviewed.

Per-cell rules come from the *source* notebook's cell metadata, `metadata.grading` of an answer cell:
`{"forbid": ["torch", "numpy"], "literal": true}`. A forbidden name matches itself and what is under it
(`torch.func` matches `torch.func.vjp`), also through the cell's own import aliases; a name that starts
with a dot matches that attribute of anything (`.backward` matches `loss.backward()`).
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

TAMPER_CALLS = {
    "get_ipython": "IPython's hooks", "exec": "exec", "eval": "eval", "compile": "compile",
    "__import__": "__import__", "globals": "globals()", "locals": "locals()", "vars": "vars()",
    "breakpoint": "breakpoint()", "setattr": "setattr on objects the tests use", "delattr": "delattr",
}
TAMPER_MODULES = {
    "sys", "builtins", "gc", "ctypes", "inspect", "importlib", "os", "subprocess", "threading", "_thread",
    "multiprocessing", "concurrent", "asyncio", "signal", "socket", "pickle", "marshal", "shutil", "pathlib",
    "io", "types", "code", "codeop", "dis", "traceback", "weakref", "atexit", "faulthandler", "tracemalloc",
    "IPython", "ipykernel", "jupyter_client", "zmq", "nbgrader", "course_grading", "drivers", "worker",
    "sysconfig", "site", "runpy", "unittest", "pytest", "fcntl", "select", "mmap", "struct", "_frozen_importlib",
}
# Dunder attributes that lead from any object to the interpreter's or the grader's insides.
DANGEROUS_DUNDERS = {
    "__dict__", "__class__", "__bases__", "__base__", "__mro__", "__subclasses__", "__globals__", "__code__",
    "__closure__", "__builtins__", "__getattribute__", "__setattr__", "__delattr__", "__traceback__", "__self__",
    "__func__", "__wrapped__", "__loader__", "__spec__", "__import__", "__reduce__", "__reduce_ex__",
    "__enter__", "__exit__", "__del__", "__init_subclass__", "__set_name__", "__class_getitem__", "__defaults__",
    "__kwdefaults__", "__annotations__", "__module__", "__file__", "__path__", "__objclass__", "__weakref__",
}
# IPython's machinery, reached through any object that holds the shell (`exit._ip`, `get_ipython()`).
SHELL_ATTRS = {"_ip", "displayhook", "display_pub", "ast_node_interactivity", "ast_transformers", "events",
               "input_transformers_post", "input_transformers_cleanup", "run_cell", "run_ast_nodes",
               "set_custom_exc", "showtraceback", "kernel", "shell"}
FRAME_ATTRS = {"tb_frame", "tb_next", "f_back", "f_locals", "f_globals", "f_builtins", "f_code", "gi_frame",
               "cr_frame", "ag_frame", "co_code", "f_trace"}
TORCH_HOOKS = {"overrides", "library", "TorchFunctionMode", "TorchDispatchMode", "_python_dispatch",
               "__torch_function__", "__torch_dispatch__"}
# A module hook is also the ordinary way to read activations (features), so it is only shown to the reviewer.
MODULE_HOOKS = {"register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
                "register_full_backward_pre_hook"}
COMPARISON_DUNDERS = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__hash__",
                      "__instancecheck__", "__subclasscheck__", "__float__", "__int__", "__index__", "__abs__"}
# Names that usually hold a module in these notebooks, even when the cell did not import them itself.
MODULE_NAMES = {"torch", "math", "np", "numpy", "F", "nn", "torchvision", "random", "dagviz", "autograd_course",
                "collections", "functools", "itertools", "json", "optim"}


@dataclass(frozen=True)
class Finding:
    cell: str
    line: int
    level: str  # "tamper" or "review"
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.cell}, line {self.line}: {self.message}"


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _torch_private(name: str) -> bool:
    """torch._C, torch.autograd.Variable._execution_engine: a private part of torch (not a dunder)."""
    parts = name.split(".")
    return parts[0] == "torch" and any(p.startswith("_") and not p.startswith("__") for p in parts[1:])


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _without_magics(source: str) -> tuple[str, bool]:
    """The cell as Python (IPython's own transformation), and whether it held magics or `!` escapes."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython is always there with nbgrader
        return source, False
    transformed = TransformerManager().transform_cell(source)
    return transformed, "get_ipython()" in transformed and "get_ipython()" not in source


def scan_source(source: str, cell: str, rules: dict | None = None) -> list[Finding]:
    """Findings for one cell written by the student."""
    rules = rules or {}
    found: list[Finding] = []

    def add(node, level, message):
        found.append(Finding(cell, getattr(node, "lineno", 0), level, message))

    code, magics = _without_magics(source)
    if magics:
        found.append(Finding(cell, 0, "tamper", "IPython magics or shell escapes (%, %%, !)"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
    except SyntaxError as err:
        return found + [Finding(cell, err.lineno or 0, "review", "the cell is not valid Python")]

    forbid = tuple(f for f in rules.get("forbid", ()) if not f.startswith("."))
    forbid_attrs = {f[1:] for f in rules.get("forbid", ()) if f.startswith(".")}
    imported: set[str] = set()
    aliases: dict[str, str] = {}  # name bound by an import of this cell -> the dotted name it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def resolved(name: str) -> str:
        head, _, rest = name.partition(".")
        full = aliases.get(head, head)
        return f"{full}.{rest}" if rest else full

    def forbidden(name: str) -> str | None:
        name = resolved(name)
        return next((f for f in forbid if name == f or name.startswith(f + ".")), None)

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            base = node.module if isinstance(node, ast.ImportFrom) else None
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                top = (base or alias.name).split(".")[0]
                imported.add((alias.asname or alias.name).split(".")[0])
                if top in TAMPER_MODULES or (getattr(node, "level", 0) or 0) > 0:
                    add(node, "tamper", f"imports {full} (interpreter or grading internals)")
                elif full.startswith("torch._") or "._" in full or any(h in full.split(".") for h in TORCH_HOOKS):
                    add(node, "tamper", f"imports {full} (torch internals or hooks)")
                elif forbidden(full) or forbidden(base or "") or forbidden(alias.name):
                    add(node, "review", f"imports {full}, which this answer must not use")
        elif isinstance(node, ast.Name):
            if node.id in TAMPER_CALLS:
                add(node, "tamper", f"uses {TAMPER_CALLS[node.id]}")
            elif node.id in DANGEROUS_DUNDERS:
                add(node, "tamper", f"uses {node.id}")
            elif node.id == "open":
                add(node, "review", "opens files")
            elif forbidden(node.id):
                add(node, "review", f"uses {node.id}, which this answer must not use")
        elif isinstance(node, ast.Attribute):
            name = _dotted(node)
            full = resolved(name) if name else ""
            if node.attr in DANGEROUS_DUNDERS:
                add(node, "tamper", f"uses the attribute {node.attr}")
            elif node.attr in FRAME_ATTRS:
                add(node, "tamper", f"uses frames or tracebacks ({node.attr})")
            elif node.attr in SHELL_ATTRS:
                add(node, "tamper", f"reaches into IPython's shell ({name or node.attr})")
            elif node.attr in TORCH_HOOKS or _torch_private(full):
                add(node, "tamper", f"uses torch internals or hooks ({name or node.attr})")
            elif node.attr in MODULE_HOOKS:
                add(node, "review", f"registers a module hook ({name or node.attr}): check it only reads")
            elif isinstance(getattr(node, "ctx", None), ast.Store):
                pass
            elif name and forbidden(name):
                add(node, "review", f"uses {name}, which this answer must not use")
            elif node.attr in forbid_attrs:
                add(node, "review", f"uses .{node.attr}, which this answer must not use")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Attribute):
                        root = _root_name(sub)
                        if root in imported or root in MODULE_NAMES:
                            add(node, "tamper", f"changes {_dotted(sub) or root + '...'}, part of a module")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
            if len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant):
                add(node, "tamper", "getattr with a computed name")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name in COMPARISON_DUNDERS:
                add(node, "review", f"defines {node.name} (an object that compares equal to anything?)")
            if node.args.args and node.name not in COMPARISON_DUNDERS:
                returns = [n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
                hard = [r for r in returns if isinstance(r.value, (ast.List, ast.Tuple, ast.Dict, ast.Set))
                        and len(getattr(r.value, "elts", getattr(r.value, "keys", []))) >= 2 and _is_literal(r.value)]
                if hard:
                    add(hard[0], "review", f"{node.name}() returns a hard-coded value")

    if rules.get("literal"):
        for stmt in tree.body:
            ok = isinstance(stmt, ast.Assign) and _is_literal(stmt.value)
            ok = ok or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
            if not ok:
                add(stmt, "review", "computes the answer instead of writing it down (a literal is asked for)")
    return sorted(set(found), key=lambda f: (f.line, f.level, f.message))


STUB = "raise NotImplementedError()"


def unanswered(source: str) -> bool:
    """Still nbgrader's stub: nothing to scan."""
    lines = [line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]
    return lines == [STUB]


def student_cells(nb) -> list[tuple[str, str, str | None]]:
    """(label, source, grade_id) of every code cell the student wrote: answer cells and added cells."""
    out = []
    added = 0
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if meta.get("solution"):
            out.append((meta.get("grade_id", "answer"), source, meta.get("grade_id")))
        elif not meta.get("locked") and not meta.get("grade"):
            added += 1
            out.append((f"added cell {added}", source, None))
    return out


def cell_rules(source_nb) -> dict[str, dict]:
    """grade_id -> scan rules, from the source notebook's `metadata.grading` of answer cells."""
    rules = {}
    for cell in source_nb["cells"]:
        meta = cell.get("metadata", {})
        gid = meta.get("nbgrader", {}).get("grade_id")
        if gid and meta.get("grading"):
            rules[gid] = dict(meta["grading"])
    return rules


def scan_notebook(nb, rules: dict[str, dict] | None = None) -> list[Finding]:
    rules = rules or {}
    found = []
    for label, source, gid in student_cells(nb):
        if not unanswered(source):
            found += scan_source(source, label, rules.get(gid) if gid else None)
    return found


# ---- the instructor's bulk review: `python -m course_grading holds` ----------------------------------
def holds(gradebook, assignment: str | None = None) -> list[dict]:
    """Submissions the scan flagged: student, assignment, notebook, autograded score, the notes."""
    from course_grading.autograde import REVIEW_MARK

    found = []
    for a in gradebook.assignments:
        if assignment and a.name != assignment:
            continue
        for sub in a.submissions:
            for nb in sub.notebooks:
                notes = [c.manual_comment for c in nb.comments if (c.manual_comment or "").startswith(REVIEW_MARK)]
                if notes and any(g.needs_manual_grade for g in nb.grades):
                    found.append({"student": sub.student.id, "assignment": a.name, "notebook": nb.name,
                                  "score": nb.score, "max_score": nb.max_score, "notes": notes, "nb": nb})
    return found


def lift(gradebook, held: dict) -> None:
    """Reviewed: clear the flags, keep the notes (marked as reviewed). Scores are not touched."""
    for grade in held["nb"].grades:
        if grade.manual_score is None:
            grade.needs_manual_grade = False
    for comment in held["nb"].comments:
        if (comment.manual_comment or "").startswith("[review] ") and "(reviewed)" not in comment.manual_comment:
            comment.manual_comment = comment.manual_comment.replace("[review] ", "[review] (reviewed) ", 1)
    gradebook.db.commit()


def holds_main(argv: list[str] | None = None) -> int:
    """List the notebooks the review scan flagged; `--lift` clears the flags of those listed."""
    import argparse
    import os
    import pathlib

    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    parser = argparse.ArgumentParser(prog="python -m course_grading holds", description=holds_main.__doc__)
    parser.add_argument("assignment", nargs="?", help="only this assignment")
    parser.add_argument("--student", action="append", default=[], help="only these students (repeat)")
    parser.add_argument("--lift", action="store_true", help="you reviewed them: clear their review flags")
    args = parser.parse_args(argv)
    checkout = pathlib.Path(__file__).resolve().parents[1]
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(checkout)).load_config()
    course = CourseDirectory(config=cfg)
    if not os.path.exists(os.path.join(course.root, "gradebook.db")):
        print(f"no gradebook in {course.root}: set AUTOGRAD_COURSE_GRADING_ROOT to your course root")
        return 2
    with Gradebook(course.db_url, course.course_id) as gb:
        found = [h for h in holds(gb, args.assignment) if not args.student or h["student"] in args.student]
        for h in found:
            print(f"{h['assignment']} / {h['student']}: {h['score']:g} of {h['max_score']:g} points (autograded, "
                  f"stands)")
            for note in h["notes"]:
                print(f"    {note[:500]}")
            if args.lift:
                lift(gb, h)
        verb = "lifted" if args.lift else "flagged for review"
        print(f"{len(found)} notebook(s) {verb}" + ("" if args.lift or not found else
                                                    "; read them in the Formgrader, then run again with --lift"))
    return 0
