"""The trusted grader's messages in the language of an assignment's edition (see editions.py).

The checks modules write their messages in English: item names, case hints, notes. For a submission of
another edition (`tiny_autodiff_zh`), each line of a verdict is translated when it is written into the
notebook (`Verdict.text()`), from the catalog `messages_<lang>.txt` beside this file. English submissions are
never touched.

The catalog holds pairs: an English message, then `= ` and its translation on the next line. A message that a
check builds from values (an f-string such as f"{key} is wrong with {_conv_hint(case)}") is a template with
`{}` where the values go: the English `{} is wrong with {}` matches the finished text, its parts are
translated in turn (when the catalog has them; a number or a name stays as it is), and the translation puts
them where its own `{}` (or `{0}`, `{1}` to reorder them) stand. A line is split into its indentation, its
`- ` bullet and the message, and the message is looked up whole first, then against the templates, the
most specific (longest fixed text) first. Whatever has no translation stays English.

`hint_patterns()` reads the checks modules with `ast` and lists every message a check can produce, as literal
text or templates; tests/test_grading_messages.py requires a translation of each, and
`python -m course_grading messages [LANG]` lists those that are missing.
"""

from __future__ import annotations

import ast
import functools
import pathlib
import re
import sys
from dataclasses import dataclass, field

HERE = pathlib.Path(__file__).resolve().parent
CHECKS = HERE / "checks"
PLACEHOLDER = "{}"


class CatalogError(ValueError):
    pass


@dataclass
class Template:
    english: str
    translation: str
    regex: re.Pattern
    fixed: int  # characters of fixed text: the most specific template wins


@dataclass
class Catalog:
    lang: str
    exact: dict[str, str] = field(default_factory=dict)
    templates: list[Template] = field(default_factory=list)

    def has(self, english: str) -> bool:
        return english in self.exact or any(t.english == english for t in self.templates)


def catalog_path(lang: str) -> pathlib.Path:
    return HERE / f"messages_{lang}.txt"


def parse(text: str, lang: str, where: str = "catalog") -> Catalog:
    """Read a catalog: `English` on one line, `= translation` on the next; `#` comments and blank lines between."""
    cat = Catalog(lang)
    english: str | None = None
    seen: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if english is None:
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("= "):
                raise CatalogError(f"{where}:{number}: a translation without the English line before it")
            english = line
            continue
        if not line.startswith("= "):
            raise CatalogError(f"{where}:{number}: the line after {english!r} must be its translation, starting '= '")
        translation = line[2:]
        if english in seen:
            raise CatalogError(f"{where}:{number}: {english!r} is translated twice (first at line {seen[english]})")
        seen[english] = number
        _add(cat, english, translation, f"{where}:{number}")
        english = None
    if english is not None:
        raise CatalogError(f"{where}: {english!r} has no translation line")
    cat.templates.sort(key=lambda t: -t.fixed)
    return cat


def _add(cat: Catalog, english: str, translation: str, where: str) -> None:
    holes = english.count(PLACEHOLDER)
    if not holes:
        cat.exact[english] = translation
        return
    try:
        filled = translation.format(*[f"<{n}>" for n in range(holes)])
    except (IndexError, KeyError, ValueError) as exc:
        raise CatalogError(f"{where}: the translation must use the template's {holes} {{}} (or {{0}}...): {exc}") \
            from None
    if any(f"<{n}>" not in filled for n in range(holes)):
        raise CatalogError(f"{where}: the translation of {english!r} drops one of its {holes} values")
    parts = english.split(PLACEHOLDER)
    regex = re.compile("(.+)".join(re.escape(p) for p in parts), re.S)
    cat.templates.append(Template(english, translation, regex, len(english) - holes * len(PLACEHOLDER)))


@functools.cache
def catalog(lang: str) -> Catalog:
    path = catalog_path(lang)
    if not path.is_file():
        raise LookupError(f"no grader messages for {lang!r}: write {path.name} beside {__name__}")
    return parse(path.read_text(encoding="utf-8"), lang, path.name)


def is_prose(text: str) -> bool:
    """Words that a reader reads (two in a row), not a name, a number or an exception's name."""
    return re.search(r"[A-Za-z]{2,}[,:;]? +\(?[A-Za-z]{2,}", text) is not None


def translate_message(text: str, cat: Catalog, missing: list[str] | None = None, depth: int = 0) -> str:
    """One message: whole, else by a template that matches it, its values translated in turn.

    Templates are tried from the most specific (longest fixed text); the first whose values all translate wins,
    so that a template inside another one ("{} (your function raised {})" around "... SGD's ({})") is found.
    A value without a translation is kept (a number, a name); `missing` collects the prose that was kept."""
    if text in cat.exact:
        return cat.exact[text]
    fallback: tuple[str, list[str]] | None = None
    if depth < 6:
        for t in cat.templates:
            if t.english in FRAME:
                continue
            m = t.regex.fullmatch(text)
            if not m:
                continue
            left: list[str] = []
            out = t.translation.format(*[translate_message(v, cat, left, depth + 1) for v in m.groups()])
            if not left:
                return out
            fallback = fallback or (out, left)
    if fallback is not None:
        if missing is not None:
            missing += fallback[1]
        return fallback[0]
    if missing is not None and is_prose(text):
        missing.append(text)
    return text


_LINE = re.compile(r"^(\s*)(- )?(.*)$", re.S)


# How points.py lays out a verdict: tried first on each line, in this order, and never inside a message. Counts
# are digits and points numbers, so an item name that holds ": " or " of " cannot be mistaken for the frame.
FRAME = {
    "Graded outside your notebook: {} of {} points.": r"Graded outside your notebook: ([0-9.]+) of ([0-9.]+) points\.",
    "{}: all passed": r"(.+): all passed",
    "{}: {} of {} passed": r"(.+): ([0-9]+) of ([0-9]+) passed",
    "{}: nothing was checked": r"(.+): nothing was checked",
    "failed ({}x): {}": r"failed \(([0-9]+)x\): (.+)",
    "failed: {}": r"failed: (.+)",
}
_FRAME = {english: re.compile(pattern, re.S) for english, pattern in FRAME.items()}


def translate_line(line: str, cat: Catalog, missing: list[str] | None = None) -> str:
    indent, bullet, message = _LINE.match(line).groups()
    if not message:
        return line
    templates = {t.english: t for t in cat.templates}
    for english, regex in _FRAME.items():
        m = regex.fullmatch(message)
        if m and english in templates:
            values = [translate_message(v, cat, missing) for v in m.groups()]
            return indent + (bullet or "") + templates[english].translation.format(*values)
    return indent + (bullet or "") + translate_message(message, cat, missing)


def translate(text: str, lang: str, missing: list[str] | None = None) -> str:
    """A verdict's text (several lines) in `lang`; English is returned as it is."""
    if lang == "en":
        return text
    cat = catalog(lang)
    return "\n".join(translate_line(line, cat, missing) for line in text.split("\n"))


# ---- what a check can say: read from the checks modules -------------------------------------------------------
# A pattern is a str (literal) or a tuple (fixed, values): fixed texts around len(values) holes, each hole a
# frozenset of patterns (what the f-string can put there; empty when the grader cannot know, such as a number).
Pattern = "str | tuple"
HINT_METHODS = {"case": 0, "fail": 0, "items": 0}  # items.case(hint), items.fail(hint), g.items(name)
HINT_FUNCTIONS = {"Items": 0}  # Items(name)
NOTE_FUNCTIONS = {"verdict": 2}  # verdict(points, groups, notes): notes is a list of messages


def english(pattern) -> str:
    """The catalog's English for a pattern: the literal, or the template with {} for each value."""
    return pattern if isinstance(pattern, str) else PLACEHOLDER.join(pattern[0])


def _concat(a, b):
    fa, va = (([a], ()) if isinstance(a, str) else a)
    fb, vb = (([b], ()) if isinstance(b, str) else b)
    fixed = [*fa[:-1], fa[-1] + fb[0], *fb[1:]]
    return fixed[0] if len(fixed) == 1 else (tuple(fixed), (*va, *vb))


class _Module:
    """Abstract values of one checks module: what strings an expression can be."""

    LIMIT = 400  # values per expression: a guard against combinatorial blow-up

    def __init__(self, path: pathlib.Path):
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.functions = {n.name: n for n in self.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.active: set[int] = set()
        self.unresolved: list[str] = []

    # -- scopes
    def scope_of(self, node: ast.AST) -> ast.AST:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return node
        return self.tree

    def bindings(self, name: str, scope: ast.AST) -> list[tuple[str, ast.AST, object]]:
        """Where `name` gets a value in `scope` (not in nested functions): ('assign', value, target path) ..."""
        out = []
        for node in ast.walk(scope):
            if node is not scope and self.scope_of(node) is not scope and not isinstance(node, ast.comprehension):
                continue
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    out += [("value", node.value, p) for p in _paths(target, name)]
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                out += [("value", node.value, p) for p in _paths(node.target, name)]
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
                out.append(("augment", node, ()))
            elif isinstance(node, (ast.For, ast.comprehension)):
                out += [("iterate", node.iter, p) for p in _paths(node.target, name)]
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                out += [("unknown", node.context_expr, p) for p in _paths(node.optional_vars, name)]
        return out

    # -- values
    def values(self, node: ast.AST, scope: ast.AST | None = None) -> set:
        """The patterns an expression can evaluate to (strings, templates, or containers: ('seq', ...))."""
        scope = scope if scope is not None else self.scope_of(node)
        key = id(node)
        if key in self.active:  # recursion (x = x + "..."; recursive functions): stop here
            return set()
        self.active.add(key)
        try:
            out = self._values(node, scope)
        finally:
            self.active.discard(key)
        if len(out) > self.LIMIT:
            raise RecursionError(f"{self.path.name}:{node.lineno}: too many possible messages")
        return out

    def _values(self, node, scope) -> set:
        if isinstance(node, ast.Constant):
            return {node.value} if isinstance(node.value, str) else set()
        if isinstance(node, ast.JoinedStr):
            result = {""}
            for part in node.values:
                if isinstance(part, ast.Constant):
                    result = {_concat(r, part.value) for r in result}
                else:
                    hole = frozenset(v for v in self.values(part.value, scope) if _is_text(v))
                    result = {_concat(r, (("", ""), (hole,))) for r in result}
            return result
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.values(node.left, scope), self.values(node.right, scope)
            if left and right and all(map(_is_text, left | right)):
                return {_concat(a, b) for a in left for b in right}
            if all(isinstance(v, tuple) and v[0] == "seq" for v in left | right) and left and right:
                return {("seq", tuple(a[1]) + tuple(b[1])) for a in left for b in right}
            return set()
        if isinstance(node, ast.IfExp):
            return self.values(node.body, scope) | self.values(node.orelse, scope)
        if isinstance(node, ast.BoolOp):
            return set().union(*(self.values(v, scope) for v in node.values))
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            elements = []
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    elements += [x for seq in self.values(e.value, scope) if _is_seq(seq) for x in seq[1]]
                else:
                    elements.append(frozenset(self.values(e, scope)))
            return {("seq", tuple(elements))}
        if isinstance(node, ast.Dict):
            return {("seq", tuple(frozenset(self.values(v, scope)) for v in node.values)),
                    ("keys", tuple(frozenset(self.values(k, scope)) for k in node.keys if k is not None))}
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return {("seq", (frozenset(self.values(node.elt, scope)),))}
        if isinstance(node, ast.Subscript):
            index = node.slice.value if isinstance(node.slice, ast.Constant) else None
            out = set()
            for seq in self.values(node.value, scope):
                if _is_seq(seq) and seq[0] == "seq":
                    elements = seq[1]
                    picked = ([elements[index]] if isinstance(index, int) and -len(elements) <= index < len(elements)
                              else elements)
                    out |= set().union(*picked) if picked else set()
            return out
        if isinstance(node, ast.Name):
            return self.name_values(node.id, scope)
        if isinstance(node, ast.Call):
            return self.call_values(node, scope)
        return set()

    def name_values(self, name: str, scope: ast.AST) -> set:
        out = set()
        found = False
        for kind, value, path in self.bindings(name, scope):
            found = True
            if kind == "value":
                out |= _take(self.values(value, scope), path)
            elif kind == "iterate":
                out |= _take(self.iterated(value, scope), path)
            elif kind == "augment" and isinstance(value.op, ast.Add):
                before = {v for v in self.name_values_before(name, scope, value) if _is_text(v)}
                added = self.values(value.value, scope)
                out |= {_concat(a, b) for a in before for b in added if _is_text(b)}
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and name in _params(scope):
            found = True
            out |= self.argument_values(scope, name)
        if not found and scope is not self.tree:
            out |= self.name_values(name, self.scope_of(scope))
        return out

    def name_values_before(self, name: str, scope: ast.AST, augment: ast.AugAssign) -> set:
        out = set()
        for kind, value, path in self.bindings(name, scope):
            if kind == "value":
                out |= _take(self.values(value, scope), path)
            elif kind == "iterate":
                out |= _take(self.iterated(value, scope), path)
        return out

    def iterated(self, node: ast.AST, scope: ast.AST) -> set:
        """What iterating over `node` gives, element by element."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("zip", "enumerate"):
            if node.func.id == "enumerate":
                return {("seq", (frozenset(), frozenset(self.iterated(node.args[0], scope))))}
            return {("seq", tuple(frozenset(self.iterated(a, scope)) for a in node.args))}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "items":
            out = set()
            for d in self.values(node.func.value, scope):
                if _is_seq(d) and d[0] == "seq":
                    out.add(("seq", (frozenset(), frozenset(set().union(*d[1]) if d[1] else set()))))
            return out
        out = set()
        for seq in self.values(node, scope):
            if _is_seq(seq):
                out |= set().union(*seq[1]) if seq[1] else set()
        return out

    def argument_values(self, function, name: str) -> set:
        """What the calls in this module pass as parameter `name` of `function`."""
        if isinstance(function, ast.Lambda) or function.name not in self.functions:
            return set()
        params = _params(function)
        position = params.index(name)
        out = set()
        for call in ast.walk(self.tree):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == function.name:
                args = [a for a in call.args if not isinstance(a, ast.Starred)]
                if position < len(args):
                    out |= self.values(args[position], self.scope_of(call))
                for kw in call.keywords:
                    if kw.arg == name:
                        out |= self.values(kw.value, self.scope_of(call))
        return out

    def call_values(self, call: ast.Call, scope) -> set:
        if isinstance(call.func, ast.Name) and call.func.id in self.functions:
            function = self.functions[call.func.id]
            out = set()
            for node in ast.walk(function):
                if isinstance(node, ast.Return) and node.value is not None and self.scope_of(node) is function:
                    out |= self.values(node.value, function)
            return out
        if isinstance(call.func, ast.Attribute) and call.func.attr in ("items", "values") and not call.args:
            return set()
        return set()

    # -- the messages
    def hint_sites(self) -> list[ast.AST]:
        sites = []
        for call in ast.walk(self.tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in HINT_METHODS and call.args:
                if func.attr == "items" and not (isinstance(func.value, ast.Name) and func.value.id == "g"):
                    continue  # dict.items(), not Grading.items(name)
                sites.append(call.args[HINT_METHODS[func.attr]])
            elif isinstance(func, ast.Name) and func.id in HINT_FUNCTIONS and call.args:
                sites.append(call.args[HINT_FUNCTIONS[func.id]])
            elif isinstance(func, ast.Name) and func.id in NOTE_FUNCTIONS and len(call.args) > NOTE_FUNCTIONS[func.id]:
                sites.append(("notes", call.args[NOTE_FUNCTIONS[func.id]]))
        return sites

    def notes(self, node: ast.AST) -> set:
        """The messages appended to a list of notes (`notes.append(...)`), or its literal elements."""
        scope = self.scope_of(node)
        out = set()
        if isinstance(node, ast.Name):
            for call in ast.walk(scope):
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "append"
                        and isinstance(call.func.value, ast.Name) and call.func.value.id == node.id and call.args):
                    out |= self.values(call.args[0], scope)
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.id in _params(scope):
                out |= self.iterated(node, scope)
        else:
            out |= self.iterated(node, scope)
        return out

    def messages(self) -> list[tuple[object, str]]:
        found: list[tuple[object, str]] = []
        for site in self.hint_sites():
            if isinstance(site, tuple):
                node = site[1]
                values = self.notes(node)
            else:
                node = site
                values = self.values(node)
            texts = {v for v in values if _is_text(v)}
            where = f"{self.path.name}:{node.lineno}"
            if not texts and not (isinstance(site, tuple)):
                self.unresolved.append(f"{where}: {ast.unparse(node)}")
            found += [(v, where) for v in sorted(texts, key=repr) if v not in {f for f, _ in found}]
        return found


def _is_text(v) -> bool:
    return isinstance(v, str) or (isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], tuple))


def _is_seq(v) -> bool:
    return isinstance(v, tuple) and len(v) == 2 and v[0] in ("seq", "keys")


def _params(function) -> list[str]:
    a = function.args
    return [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]


def _paths(target: ast.AST, name: str, prefix: tuple = ()) -> list[tuple]:
    """Index paths at which `name` sits in an assignment target: x -> [()], (a, (b, x)) -> [(1, 1)]."""
    if isinstance(target, ast.Name):
        return [prefix] if target.id == name else []
    if isinstance(target, (ast.Tuple, ast.List)):
        return [p for i, e in enumerate(target.elts) for p in _paths(e, name, (*prefix, i))]
    return []


def _take(values: set, path: tuple) -> set:
    """The parts at `path` of tuple values (what unpacking binds)."""
    out = values
    for i in path:
        nxt = set()
        for v in out:
            if _is_seq(v) and v[0] == "seq" and i < len(v[1]):
                nxt |= v[1][i]
        out = nxt
    return out


def instances(pattern, cat: Catalog | None = None, limit: int = 64) -> list[tuple[str, str | None]]:
    """Texts a pattern stands for, each with its translation as the pattern's own structure gives it (None when
    the catalog translates it some other way, or without a catalog). Each value a hole can hold appears in at
    least one text (the other holes keep their first value); a hole whose value the reader cannot know (a
    number, an exception's name) gets 7."""
    if isinstance(pattern, str):
        return [(pattern, None)]
    fixed, holes = pattern
    template = next((t for t in cat.templates if t.english == english(pattern)), None) if cat else None
    choices = [[x for inner in sorted(hole, key=repr) for x in instances(inner, cat, limit)] or [("7", "7")]
               for hole in holes]
    first = [c[0] for c in choices]
    variants = [first] + [[*first[:k], alt, *first[k + 1:]] for k, c in enumerate(choices) for alt in c[1:]]
    out: list[tuple[str, str | None]] = []
    for picked in variants[:limit]:
        text = fixed[0] + "".join(v + f for (v, _), f in zip(picked, fixed[1:], strict=True))
        expected = None
        if template is not None:
            parts = [zh if zh is not None else translate_message(v, cat) for v, zh in picked]
            expected = template.translation.format(*parts)
        if text not in [t for t, _ in out]:
            out.append((text, expected))
    return out


def gaps(pattern, cat: Catalog) -> list[str]:
    """What goes wrong when the messages a pattern stands for are translated (empty: each fully translated, and
    read the way the check builds it)."""
    out: list[str] = []
    for text, expected in instances(pattern, cat):
        untranslated: list[str] = []
        got = translate_message(text, cat, untranslated)
        if got == text and not cat.has(text) and not untranslated:
            untranslated.append(text)  # a name or a single word must be in the catalog too (if only as itself)
        if expected is not None and got != expected and not untranslated:
            untranslated.append(f"{text} (read as {got!r}; the check builds {expected!r}: make the catalog "
                                "unambiguous, e.g. whole messages instead of a template inside a template)")
        out += [u for u in untranslated if u not in out]
    return out


def hint_patterns(paths: list[pathlib.Path] | None = None) -> tuple[list[tuple[object, str]], list[str]]:
    """([(message pattern, where a check uses it)], [hint expressions the reader could not follow])."""
    paths = paths if paths is not None else sorted(p for p in CHECKS.glob("*.py") if not p.name.startswith("_"))
    found: list[tuple[object, str]] = []
    unresolved: list[str] = []
    for path in paths:
        module = _Module(path)
        seen = {pattern for pattern, _ in found}
        found += [(pattern, where) for pattern, where in module.messages() if pattern not in seen]
        unresolved += module.unresolved
    return found, unresolved


def missing(lang: str, paths: list[pathlib.Path] | None = None) -> list[tuple[str, str, list[str]]]:
    """(English or template, where, what stays English) for every message the catalog does not fully translate."""
    found, _ = hint_patterns(paths)
    cat = catalog(lang)
    out = []
    for pattern, where in found:
        left = gaps(pattern, cat)
        if left:
            out.append((english(pattern), where, left))
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m course_grading messages [LANG]`: the checks' messages that the catalog does not translate."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = argv[0] if argv else "zh"
    found, unresolved = hint_patterns()
    gaps = missing(lang)
    for text, where, left in gaps:
        print(f"{where}: {text}")
        for part in left:
            if part != text:
                print(f"    untranslated part: {part}")
    for line in unresolved:
        print(f"cannot tell what this hint says: {line}")
    print(f"{len(found)} messages in course_grading/checks/, {len(gaps)} without a translation in "
          f"{catalog_path(lang).name}")
    return 1 if gaps or unresolved else 0
