"""docs/architecture.md is the rule for who imports whom: its tables, checked against the code."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("dagviz", "autograd_course")
# Private autograd attributes: only dagviz/_torch.py may touch them (CONTRIBUTING's promise).
PRIVATE = re.compile(r"^(_saved_.*|_raw_saved_.*|_base|variable)$")


def rules() -> dict[str, dict[str, tuple[set[str], set[str]]]]:
    """package -> module -> (package modules it may import, other packages it may import)."""
    out: dict[str, dict[str, tuple[set[str], set[str]]]] = {}
    package = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (\w+)$", line)
        if heading:
            package = heading.group(1)
            out[package] = {}
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if package is None or len(cells) != 4 or not cells[0].startswith("`"):
            continue
        names = [{n for n in re.findall(r"`(\w+)`", c)} for c in cells[2:3]]
        others = {n.strip() for n in cells[3].split(",") if n.strip()}
        out[package][cells[0].strip("`")] = (names[0], others)
    return out


def imports(path: Path, package: str) -> tuple[set[str], set[str]]:
    """(modules of `package`, other non-standard packages) that `path` imports, anywhere in it."""
    own: set[str] = set()
    others: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            if node.module:
                own.add(node.module.split(".")[0])
            else:
                own.update(a.name for a in node.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                top, _, rest = (name or "").partition(".")
                if top == package:
                    own.add(rest.split(".")[0] if rest else "__init__")
                elif top and top not in sys.stdlib_module_names and top != "__future__":
                    others.add(top)
    return own, others


def test_the_tables_cover_both_packages_and_every_module():
    table = rules()
    assert set(table) == set(PACKAGES)
    for package in PACKAGES:
        modules = {p.stem for p in (ROOT / package).glob("*.py")}
        assert set(table[package]) == modules, f"docs/architecture.md: rows for {package} differ from its files"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_imports_only_what_its_row_allows(package):
    table = rules()[package]
    problems = []
    for path in sorted((ROOT / package).glob("*.py")):
        own, others = imports(path, package)
        allowed_own, allowed_others = table[path.stem]
        if own - allowed_own:
            problems.append(f"{package}.{path.stem} imports {sorted(own - allowed_own)} of {package}")
        if others - allowed_others:
            problems.append(f"{package}.{path.stem} imports {sorted(others - allowed_others)}")
    assert not problems, "not allowed by docs/architecture.md:\n" + "\n".join(problems)


@pytest.mark.parametrize("package", PACKAGES)
def test_the_allowed_imports_have_no_circle(package):
    table = rules()[package]
    done: set[str] = set()
    for start in table:  # depth-first search for a path back to a module on the stack
        stack = [(start, iter(sorted(table[start][0])))]
        on_path = [start]
        while stack:
            module, deps = stack[-1]
            dep = next(deps, None)
            if dep is None:
                stack.pop()
                on_path.pop()
                done.add(module)
                continue
            assert dep in table, f"{module}'s row names {dep}, which has no row"
            assert dep not in on_path, "import circle: " + " -> ".join([*on_path, dep])
            if dep not in done:
                stack.append((dep, iter(sorted(table[dep][0]))))
                on_path.append(dep)


def test_only_torch_module_touches_private_autograd_attributes():
    found = []
    for path in sorted((ROOT / "dagviz").glob("*.py")):
        if path.name == "_torch.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and PRIVATE.match(node.attr):
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert not found, "private autograd attributes outside dagviz/_torch.py: " + ", ".join(found)
