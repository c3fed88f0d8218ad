"""Translated lessons and assignments, generated from the English notebooks and a translation catalog.

The catalog of a lesson is one Markdown file, i18n/<lang>/<lesson>.md, with one block per cell:

    <!-- cell ID en:HASH -->            a Markdown cell: the block is its translated Markdown
    <!-- cell ID en:HASH code -->       a code cell: the block is its code, in a ```python fence

ID is the English cell's id, HASH a short hash of the English source the block translates. Beside
the catalogs, i18n/<lang>/en-sources/<lesson>.json records that English source for every HASH (this
tool writes it), so that when the English changes, the translator sees what changed.

A cell finds its block by id and hash; failing that, by hash in every catalog (a cell reordered,
given a new id or moved to another lesson keeps its translation); a block whose id matches but whose
hash does not is stale; a cell both changed and moved finds the most similar unused block, also stale.
A translated code cell may differ from the English only in its comments (compared token by token);
the build refuses anything else. Outputs are copied from the English notebook, so the translated
notebook passes nbval exactly like the English one.

Assignments work the same way: the catalog of notebooks/assignments/<name>/<name>.ipynb is
i18n/<lang>/assignments/<name>.md, and the build writes notebooks/assignments/<name>_<lang>/<name>_<lang>.ipynb,
an nbgrader source notebook of its own (course_grading/editions.py grades it with <name>'s hidden checks).
Solutions and hidden tests never enter a catalog: a block holds its cell with every `BEGIN SOLUTION` /
`BEGIN HIDDEN TESTS` region emptied (marker lines kept), its hash is taken of that, and the build puts the
English regions back verbatim, the hidden part's `preview("<name>", ...)` calling `preview("<name>_<lang>", ...)`.
Cell metadata (nbgrader's grade ids, points, locks) is the English one; the notebook's metadata too, plus
`"i18n": {"lang": ..., "english": ...}`.

Commands (LESSON is a lesson number such as 01, a notebook name, or an assignment's name):
    status                         one line per lesson and assignment: translated, stale, missing, moved
    check                          fails on anything missing, stale, obsolete, invalid or not rebuilt
    stale [LESSON...]              what changed in the English of each stale block, and the block
    missing [LESSON...]            the English of every cell without a translation
    stub LESSON...                 append a block (the English text, flagged todo) for every missing cell
    accept LESSON [CELL...|--all]  mark updated blocks as translating the current English
    carry [LESSON...]              rewrite stale code blocks as the new English code, translated comments kept
    sync [--prune]                 move blocks to the lesson, id and order their cells have now
    build [LESSON...]              write notebooks/<lang>/<lesson>.ipynb
"""

from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import io
import json
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
HASH_LEN = 8
HEADER = re.compile(rf"^<!-- cell (?P<id>[\w-]+) en:(?P<hash>[0-9a-f]{{{HASH_LEN}}})(?P<flags>(?: [a-z]+)*) -->$", re.A)
FLAGS = {"code", "todo"}
FUZZY_MIN = 0.6  # how similar a changed-and-moved cell must be to an unused block to inherit it (as stale)

# What a generated notebook says about itself and about gaps, per language.
TEXT = {
    "zh": {
        "banner": (
            "> **中文版**：本课由英文原版 [`{stem}.ipynb`](../{stem}.ipynb) 和译文 `i18n/zh/{stem}.md` 生成，"
            "请勿直接修改本文件（译文的更新方法见 `i18n/README.md`）。"
            "代码、输出和 PyTorch 的报错信息保留英文，方便搜索；术语对照见[英汉术语表](../../docs/glossary.md)。"
        ),
        "stale": "> ⚠️ **译文待更新**：英文原文已修改，下面的译文可能已经过时。\n\n",
        "missing": "> ⚠️ **尚未翻译**：下面是英文原文。\n\n",
        "assignment_banner": (
            "<!-- 由 tools/i18n.py 从 notebooks/assignments/{stem}/{stem}.ipynb 和 i18n/zh/assignments/{stem}.md "
            "生成：要修改，请改这两个文件，不要直接改本文件（见 i18n/README.md）。 -->\n"
            "> **中文版**：这是作业 `{stem}` 的中文版。两个版本的题目、代码、测试单元格和分值完全相同，"
            "评分时运行同一套隐藏检查；只有说明文字、代码注释和评分反馈是中文。做其中一个即可（以老师的要求为准）。"
            "代码、函数名和报错信息保留英文，方便搜索；术语对照见[英汉术语表](../../../docs/glossary.md)。"
        ),
    },
}
PREAMBLE = (
    "<!-- Translation catalog of notebooks/{stem}.ipynb: `python tools/i18n.py build` turns it into "
    "notebooks/{lang}/{stem}.ipynb. Each block starts at its `cell` header line; keep that line as it is and "
    "edit the text under it (in code blocks, only the comments). Updating a stale block: i18n/README.md. -->"
)
ASSIGNMENT_PREAMBLE = (
    "<!-- Translation catalog of notebooks/assignments/{stem}/{stem}.ipynb: `python tools/i18n.py build {stem}` "
    "turns it into notebooks/assignments/{stem}_{lang}/{stem}_{lang}.ipynb, the assignment's {lang} edition. Each "
    "block starts at its `cell` header line; keep that line as it is and edit the text under it (in code blocks, "
    "only the comments; keep the BEGIN/END SOLUTION and HIDDEN TESTS lines: the build puts the English solutions "
    "and hidden tests between them). Updating a stale block: i18n/README.md. -->"
)
# nbgrader's markers: what lies between them (solutions, hidden tests) is copied from the English, never translated.
SECRET_REGIONS = (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
MARKERS = tuple(m for pair in SECRET_REGIONS for m in pair)


# ---- hashing, and the comment-only rule for code cells ---------------------------------------------


def normalize(source: str) -> str:
    """The source as hashed and compared: blanks at the ends of lines and of the cell do not count."""
    return "\n".join(line.rstrip() for line in source.strip("\n").split("\n")).strip("\n")


def short_hash(source: str) -> str:
    return hashlib.sha1(normalize(source).encode("utf-8")).hexdigest()[:HASH_LEN]


def _is_magic(line: str) -> bool:
    return line.lstrip().startswith(("%", "!"))


def _tokenize(source: str) -> tuple[list[str], list[tokenize.TokenInfo]] | None:
    """The lines of a code cell and its Python tokens; an IPython magic line reads as one name.

    None if the cell is not Python that the tokenizer reads (a cell magic, unfinished code).
    """
    lines = normalize(source).split("\n")
    if lines[0].startswith("%%"):
        return None
    python = "\n".join(f"_magic_line_{i}" if _is_magic(line) else line for i, line in enumerate(lines)) + "\n"
    try:
        return lines, list(tokenize.generate_tokens(io.StringIO(python).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


def has_comment(source: str) -> bool:
    """Whether a code cell has anything to translate, that is, a comment."""
    parsed = _tokenize(source)
    return parsed is not None and any(t.type == tokenize.COMMENT for t in parsed[1])


def comment_only_difference(english: str, translated: str) -> str | None:
    """None if `translated` differs from `english` only in comments; otherwise why not, for the translator.

    First the tokens (comments and blank lines aside) must be equal, so no name, number, string or
    operator changed; then each line of code must be spelled the same, spacing included.
    """
    a, b = _tokenize(english), _tokenize(translated)
    if a is None or b is None:
        if normalize(english) == normalize(translated):
            return None
        return "this cell is not plain Python, so it must stay exactly as in English"

    def code(parsed):
        lines, toks = parsed
        out = []
        for t in toks:
            if t.type in (tokenize.COMMENT, tokenize.NL) or not t.string:
                continue  # comments, blank lines, and the empty NEWLINE/DEDENT/ENDMARKER at the end
            if t.type == tokenize.NAME and t.string.startswith("_magic_line_"):
                out.append((tokenize.OP, lines[int(t.string.rsplit("_", 1)[1])].strip(), t.start[0]))
            else:
                out.append((t.type, t.string, t.start[0]))
        return out

    ta, tb = code(a), code(b)
    for x, y in zip(ta, tb, strict=False):
        if x[:2] != y[:2]:
            return f"line {y[2]} has {y[1]!r} where English line {x[2]} has {x[1]!r}"
    if len(ta) != len(tb):
        return "the translation has more code than English" if len(tb) > len(ta) else "the translation lacks code"

    def stripped_lines(parsed):
        lines, toks = parsed
        lines = list(lines)
        for t in reversed(toks):
            if t.type == tokenize.COMMENT:
                row, col = t.start
                lines[row - 1] = lines[row - 1][:col]
        return [line.rstrip() for line in lines if line.strip()]

    la, lb = stripped_lines(a), stripped_lines(b)
    for x, y in zip(la, lb, strict=False):
        if x != y:
            return f"code line {y.strip()!r} is spelled {x.strip()!r} in English (spacing counts too)"
    if len(la) != len(lb):
        return "the translation splits or joins lines of code"
    return None


def _comments(source: str) -> list[tokenize.TokenInfo] | None:
    parsed = _tokenize(source)
    return None if parsed is None else [t for t in parsed[1] if t.type == tokenize.COMMENT]


def carry_comments(old_english: str, translated: str, new_english: str) -> tuple[str, list[str]] | None:
    """The new English code with the translations of its comments that were already translated.

    The translation's comments are paired, in order, with those of the English it translated; every
    comment of the new English whose text is among those gets its translation. Returns the new block
    and the comments still in English, or None when the pairing is impossible (the translator added
    or removed comment lines).
    """
    old, tr, new = _comments(old_english), _comments(translated), _comments(new_english)
    if old is None or tr is None or new is None or len(old) != len(tr):
        return None
    table: dict[str, str] = {}
    for a, b in zip(old, tr, strict=True):
        table.setdefault(a.string, b.string)
    lines = normalize(new_english).split("\n")
    untranslated = []
    for t in reversed(new):
        (row, col), (_, end) = t.start, t.end
        if t.string in table:
            lines[row - 1] = lines[row - 1][:col] + table[t.string] + lines[row - 1][end:]
        else:
            untranslated.insert(0, t.string)
    return "\n".join(lines), untranslated


# ---- assignments: solutions and hidden tests stay out of the catalogs ---------------------------------------


def split_secret(source: str) -> tuple[str, list[list[str]]]:
    """(the cell with each solution and hidden-test region emptied, the regions' lines), markers kept."""
    public: list[str] = []
    regions: list[list[str]] = []
    inside: list[str] | None = None
    end = ""
    for line in source.split("\n"):
        if inside is None:
            public.append(line)
            begin = next(((b, e) for b, e in SECRET_REGIONS if b in line), None)
            if begin:
                inside, end = [], begin[1]
        elif end in line:
            regions.append(inside)
            public.append(line)
            inside = None
        else:
            inside.append(line)
    if inside is not None:
        raise CatalogError(f"a region opened and never closed (no {end!r})")
    return "\n".join(public), regions


def marker_lines(source: str) -> list[str]:
    return [line.rstrip() for line in source.split("\n") if any(m in line for m in MARKERS)]


def splice_secret(public: str, regions: list[list[str]]) -> str:
    """The public view (a translated block) with the English regions put back after their BEGIN lines."""
    out: list[str] = []
    k = 0
    for line in public.split("\n"):
        out.append(line)
        if any(b in line for b, _ in SECRET_REGIONS):
            out += regions[k]
            k += 1
    return "\n".join(out)


def has_translatable_comment(source: str) -> bool:
    """A comment other than nbgrader's marker lines: something to translate in an assignment's code cell."""
    comments = _comments(source)
    return bool(comments) and any(not any(m in t.string for m in MARKERS) for t in comments)


def call_edition(source: str, assignment: str, edition: str) -> str:
    """Hidden tests call `preview("<assignment>", ...)`: the edition's call `preview("<edition>", ...)` instead."""
    return re.sub(rf"(\bpreview\(\s*)(['\"]){re.escape(assignment)}\2", rf"\g<1>\g<2>{edition}\g<2>", source)


# ---- the English lessons and the catalogs ------------------------------------------------------------


class CatalogError(ValueError):
    pass


@dataclass
class Cell:
    """One cell of an English lesson."""

    lesson: str
    index: int
    id: str
    type: str
    source: str
    hash: str
    needs: bool  # has something to translate: any Markdown cell, a code cell with comments


@dataclass
class Entry:
    """One block of a catalog."""

    lesson: str  # the catalog it is in
    id: str
    hash: str
    code: bool
    todo: bool
    text: str
    line: int = 0  # of its header in the catalog file, 1-based (0: not written yet)

    @property
    def key(self) -> tuple[str, str]:
        return (self.lesson, self.id)


@dataclass
class Catalog:
    lesson: str
    path: Path
    preamble: str
    entries: list[Entry]


def parse_catalog(path: Path) -> Catalog:
    lines = path.read_text(encoding="utf-8").split("\n")
    heads = [i for i, line in enumerate(lines) if line.startswith("<!-- cell ")]
    entries: list[Entry] = []
    for n, i in enumerate(heads):
        m = HEADER.match(lines[i])
        if m is None:
            raise CatalogError(f"{path}:{i + 1}: malformed block header {lines[i]!r}; "
                               "expected <!-- cell ID en:HASH --> (plus ' code' for code, ' todo' if untranslated)")
        flags = set(m["flags"].split())
        if flags - FLAGS:
            raise CatalogError(f"{path}:{i + 1}: unknown flag(s) {sorted(flags - FLAGS)}; known: {sorted(FLAGS)}")
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        body = "\n".join(lines[i + 1 : end]).strip("\n")
        if "code" in flags:
            fenced = body.split("\n")
            if len(fenced) < 2 or fenced[0].strip() != "```python" or fenced[-1].strip() != "```":
                raise CatalogError(f"{path}:{i + 1}: a code block goes in a fence: ```python on the line after the "
                                   "header, ``` on its last line")
            body = "\n".join(fenced[1:-1])
        twin = next((e for e in entries if e.id == m["id"]), None)
        if twin is not None:
            raise CatalogError(f"{path}:{i + 1}: cell {m['id']} already has a block, at line {twin.line}")
        entries.append(Entry(path.stem, m["id"], m["hash"], "code" in flags, "todo" in flags, body, i + 1))
    preamble = "\n".join(lines[: heads[0]] if heads else lines).strip("\n")
    return Catalog(path.stem, path, preamble, entries)


def format_catalog(cat: Catalog) -> str:
    blocks = []
    for e in cat.entries:
        flags = (" code" if e.code else "") + (" todo" if e.todo else "")
        body = f"```python\n{e.text}\n```" if e.code else e.text
        blocks.append(f"<!-- cell {e.id} en:{e.hash}{flags} -->\n{body}\n")
    return cat.preamble.rstrip("\n") + "\n\n" + "\n".join(blocks)


def read_lesson(path: Path) -> list[Cell]:
    nb = nbformat.read(path, as_version=4)
    cells = []
    for i, c in enumerate(nb.cells):
        if "id" not in c:
            raise CatalogError(f"{path}: cell {i} has no id (translations find their cells by id; nbformat >= 4.5)")
        code = c.cell_type == "code"
        needs = bool(c.source.strip()) and (c.cell_type == "markdown" or (code and has_comment(c.source)))
        cells.append(Cell(path.stem, i, c.id, c.cell_type, c.source, short_hash(c.source), needs))
    return cells


def read_assignment(path: Path) -> list[Cell]:
    """An assignment's cells as a translator sees them: code cells without their solutions and hidden tests."""
    nb = nbformat.read(path, as_version=4)
    cells = []
    for i, c in enumerate(nb.cells):
        if "id" not in c:
            raise CatalogError(f"{path}: cell {i} has no id (translations find their cells by id; nbformat >= 4.5)")
        solution = c.get("metadata", {}).get("nbgrader", {}).get("solution", False)
        if c.cell_type == "code":
            try:
                source = split_secret(c.source)[0]
            except CatalogError as err:
                raise CatalogError(f"{path}: cell {i} ({c.id}): {err}") from None
            whole = solution and not any(b in c.source for b, _ in SECRET_REGIONS)  # nbgrader replaces all of it
            needs = not whole and bool(source.strip()) and has_translatable_comment(source)
        else:
            source = c.source
            needs = bool(source.strip()) and not solution  # a written answer is the instructor's, not translated
        cells.append(Cell(path.parent.name, i, c.id, c.cell_type, source, short_hash(source), needs))
    return cells


# ---- matching cells to blocks ---------------------------------------------------------------------


@dataclass
class Result:
    cell: Cell
    state: str  # ok | moved | stale | todo | missing | invalid | none (nothing to translate)
    entry: Entry | None = None
    old_source: str | None = None  # the English a stale block translates, when recorded
    note: str = ""


@dataclass
class Report:
    results: dict[str, list[Result]]  # per English lesson that has a catalog, one Result per cell
    not_started: list[str]  # English lessons without a catalog
    orphans: list[str]  # catalogs whose English lesson is gone
    obsolete: list[Entry]  # blocks no English cell uses
    elsewhere: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # block -> (lesson, cell) of a
    # lesson without a catalog that uses it
    unrecorded: list[Entry] = field(default_factory=list)  # blocks whose English source is not recorded anywhere
    project: Project | None = None

    def short(self, lesson: str) -> str:
        return self.project.short(lesson) if self.project else lesson[:2]

    def problems(self) -> list[tuple[str, str]]:
        """(lesson, message) for everything `check` fails on, apart from the generated files."""
        out = []
        for lesson, results in self.results.items():
            for r in results:
                where = f"{lesson} {r.cell.id}"
                if r.state == "stale":
                    see = f"see `i18n.py stale {self.short(lesson)}`"
                    out.append((lesson, f"stale: {where}: the English changed{r.note}; {see}"))
                elif r.state in ("missing", "todo"):
                    what = "its block is still flagged todo" if r.state == "todo" else "no translation"
                    out.append((lesson, f"missing: {where}: {what}; see `i18n.py missing {self.short(lesson)}`"))
                elif r.state == "invalid":
                    out.append((lesson, f"invalid: {where}: {r.note}"))
        for lesson in self.orphans:
            gone = self.project.english_rel(lesson) if self.project else f"notebooks/{lesson}.ipynb"
            out.append((lesson, f"orphan: i18n catalog {lesson}.md: {gone} is gone; "
                                "`i18n.py sync` moves its blocks to where their cells are now"))
        for e in self.obsolete:
            out.append((e.lesson, f"obsolete: {e.lesson}.md line {e.line}: block {e.id} en:{e.hash} translates no "
                                  "English cell; `i18n.py sync --prune` removes it"))
        for e in self.unrecorded:
            out.append((e.lesson, f"unrecorded: {e.lesson}.md line {e.line}: the English of en:{e.hash} is not "
                                  "recorded; `i18n.py build` records it when a cell has that hash"))
        return out

    def warnings(self) -> list[str]:
        out = []
        for lesson, results in self.results.items():
            for r in results:
                if r.state == "moved":
                    out.append(f"moved: {lesson} {r.cell.id} uses block {r.entry.id} of {r.entry.lesson}.md{r.note}; "
                               f"`i18n.py sync` files it under {lesson}.md")
        for (lesson, cid), (user, ucid) in sorted(self.elsewhere.items()):
            out.append(f"elsewhere: block {cid} of {lesson}.md now translates {user} {ucid} (no catalog yet)")
        return out


class Project:
    """The English lessons, the catalogs of one language, and the notebooks generated from them."""

    kind = "lesson"

    def __init__(self, root: Path = ROOT, lang: str = "zh"):
        self.root = Path(root)
        self.lang = lang
        self.lessons_dir = self.root / "notebooks"
        self.catalog_dir = self.root / "i18n" / lang
        self.sources_dir = self.catalog_dir / "en-sources"
        self.out_dir = self.lessons_dir / lang

    def english_paths(self) -> dict[str, Path]:
        return {p.stem: p for p in sorted(self.lessons_dir.glob(LESSON_GLOB))}

    def english(self) -> dict[str, list[Cell]]:
        return {name: read_lesson(path) for name, path in self.english_paths().items()}

    def english_rel(self, lesson: str) -> str:
        return f"notebooks/{lesson}.ipynb"

    def catalogs(self) -> dict[str, Catalog]:
        return {p.stem: parse_catalog(p) for p in sorted(self.catalog_dir.glob(LESSON_GLOB.replace(".ipynb", ".md")))}

    def new_catalog(self, lesson: str) -> Catalog:
        return Catalog(lesson, self.catalog_dir / f"{lesson}.md", PREAMBLE.format(stem=lesson, lang=self.lang), [])

    def out_path(self, lesson: str) -> Path:
        return self.out_dir / f"{lesson}.ipynb"

    def outputs(self) -> dict[str, Path]:
        """The generated notebooks on disk, by the English name they translate."""
        return {p.stem: p for p in sorted(self.out_dir.glob(LESSON_GLOB))}

    def short(self, lesson: str) -> str:
        """How the translator names it on the command line."""
        return lesson[:2]

    def matches(self, name: str, lesson: str) -> bool:
        stem = Path(name).stem
        return stem == lesson or (stem.isdigit() and lesson[:2] == stem.zfill(2))

    def validate(self, r: Result) -> Result:
        return _validate(r)

    def recorded(self, lesson: str) -> dict[str, str]:
        path = self.sources_dir / f"{lesson}.json"
        if not path.is_file():
            return {}
        return {h: "".join(lines) for h, lines in json.loads(path.read_text(encoding="utf-8")).items()}

    def known_sources(self, english: dict[str, list[Cell]], catalogs: dict[str, Catalog]) -> dict[str, str]:
        """English source by hash: what the catalogs recorded (also a catalog sync is retiring), and every cell now."""
        known: dict[str, str] = {}
        recorded = {p.stem for p in self.sources_dir.glob("*.json")} if self.sources_dir.is_dir() else set()
        for lesson in sorted(recorded | set(catalogs)):
            known.update(self.recorded(lesson))
        for cells in english.values():
            known.update({c.hash: c.source for c in cells})
        return known

    def resolve(self, english: dict[str, list[Cell]], catalogs: dict[str, Catalog]) -> Report:
        known = self.known_sources(english, catalogs)
        entries = [e for cat in catalogs.values() for e in cat.entries]
        by_id = {(e.lesson, e.id): e for e in entries}
        claimed: set[tuple[str, str]] = set()
        found: dict[tuple[str, str], Result] = {}
        wanted = [c for cells in english.values() for c in cells if c.needs]

        # 1. the ordinary case: same id, same English
        for c in wanted:
            e = by_id.get((c.lesson, c.id))
            if e is not None and e.hash == c.hash:
                found[(c.lesson, c.id)] = Result(c, "ok", e)
                claimed.add(e.key)
        # 2. the same English under another id or in another catalog: reordered, renamed or moved
        for c in wanted:
            if (c.lesson, c.id) in found:
                continue
            same = sorted((e for e in entries if e.hash == c.hash),
                          key=lambda e: (e.key in claimed, e.lesson != c.lesson, e.lesson, e.line))
            if same:
                e = same[0]
                state = "ok" if e.lesson == c.lesson else "moved"
                note = f" (its block has id {e.id})" if e.lesson == c.lesson else ""
                found[(c.lesson, c.id)] = Result(c, state, e, note=note)
                claimed.add(e.key)
        # 3. same id, changed English: stale
        for c in wanted:
            e = by_id.get((c.lesson, c.id))
            if (c.lesson, c.id) not in found and e is not None and e.key not in claimed:
                found[(c.lesson, c.id)] = Result(c, "stale", e, known.get(e.hash), f" (en:{e.hash} -> en:{c.hash})")
                claimed.add(e.key)
        # 4. changed and moved (or renamed): the most similar unused block of the same kind, as stale
        for c in wanted:
            if (c.lesson, c.id) in found or c.lesson not in catalogs:
                continue
            best, best_ratio = None, FUZZY_MIN
            for e in entries:
                if e.key in claimed or e.code != (c.type == "code") or e.hash not in known:
                    continue
                m = difflib.SequenceMatcher(None, known[e.hash], c.source, autojunk=False)
                if m.real_quick_ratio() > best_ratio and m.quick_ratio() > best_ratio and m.ratio() > best_ratio:
                    best, best_ratio = e, m.ratio()
            if best is not None:
                note = (f" (block {best.id} of {best.lesson}.md, {best_ratio:.0%} similar; "
                        f"en:{best.hash} -> en:{c.hash})")
                found[(c.lesson, c.id)] = Result(c, "stale", best, known[best.hash], note)
                claimed.add(best.key)

        results: dict[str, list[Result]] = {}
        elsewhere: dict[tuple[str, str], tuple[str, str]] = {}
        for lesson, cells in english.items():
            if lesson not in catalogs:
                for c in cells:
                    r = found.get((lesson, c.id))
                    if r is not None:
                        elsewhere[r.entry.key] = (lesson, c.id)
                continue
            out = []
            for c in cells:
                r = found.get((lesson, c.id))
                if not c.needs:
                    r = Result(c, "none")
                elif r is None:
                    r = Result(c, "missing")
                elif r.entry.todo:
                    r.state = "todo"
                elif r.state in ("ok", "moved"):
                    r = self.validate(r)
                out.append(r)
            results[lesson] = out
        in_use = {r.entry.key for rs in results.values() for r in rs if r.entry is not None}
        elsewhere = {k: v for k, v in elsewhere.items() if k not in in_use}
        return Report(
            results=results,
            not_started=[s for s in english if s not in catalogs],
            orphans=[s for s in catalogs if s not in english],
            obsolete=[e for e in entries if e.key not in claimed],
            elsewhere=elsewhere,
            unrecorded=[e for e in entries if e.hash not in known],
            project=self,
        )

    # ---- the generated files ------------------------------------------------------------------

    def built_notebook(self, lesson: str, results: list[Result], translated: set[str]) -> str:
        """The text of the translated lesson's .ipynb file: English cells, outputs and metadata, translated sources."""
        nb = nbformat.read(self.lessons_dir / f"{lesson}.ipynb", as_version=4)
        text = TEXT.get(self.lang, {})
        cells = []
        for cell, r in zip(nb.cells, results, strict=True):
            out = copy.deepcopy(cell)
            markdown = cell.cell_type == "markdown"
            if r.state in ("ok", "moved"):
                out.source = relink(r.entry.text, translated) if markdown else r.entry.text
            elif markdown and r.state == "stale":
                out.source = text.get("stale", "") + relink(r.entry.text, translated)
            elif markdown and r.state in ("missing", "todo"):
                out.source = text.get("missing", "") + relink(cell.source, translated)
            elif markdown:
                out.source = relink(cell.source, translated)
            cells.append(out)
            if len(cells) == 1 and "banner" in text:
                banner = text["banner"].format(stem=lesson)
                cells.append(nbformat.v4.new_markdown_cell(banner, id=f"{self.lang}-edition"))
        nb.cells = cells
        return nbformat.writes(nb) + "\n"

    def generated(self, english: dict[str, list[Cell]], catalogs: dict[str, Catalog], report: Report,
                  lessons: list[str] | None = None) -> dict[Path, str]:
        """Every file the catalogs generate: translated notebooks, and the English sources blocks translate."""
        known = self.known_sources(english, catalogs)
        files = {}
        for lesson, results in report.results.items():
            if lessons is None or lesson in lessons:
                files[self.out_path(lesson)] = self.built_notebook(lesson, results, set(report.results))
        for lesson, cat in catalogs.items():
            data = {e.hash: known[e.hash].splitlines(keepends=True) for e in cat.entries if e.hash in known}
            files[self.sources_dir / f"{lesson}.json"] = json.dumps(dict(sorted(data.items())), indent=1,
                                                                    ensure_ascii=False) + "\n"
        return files

    def write(self, files: dict[Path, str]) -> None:
        for path, text in files.items():
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                print("wrote", path.relative_to(self.root))

    def save_catalogs(self, english: dict[str, list[Cell]], catalogs: dict[str, Catalog]) -> None:
        """Write catalogs (blocks in the English order) and their recorded sources, not the notebooks."""
        for cat in catalogs.values():
            if cat.lesson in english:
                order = {c.id: c.index for c in english[cat.lesson]}
                cat.entries.sort(key=lambda e: order.get(e.id, len(order)))
            self.write({cat.path: format_catalog(cat)})
        catalogs = {s: parse_catalog(c.path) for s, c in catalogs.items()}
        files = self.generated(english, catalogs, self.resolve(english, catalogs), lessons=[])
        self.write(files)


class AssignmentProject(Project):
    """The English assignments, their catalogs in one language, and the editions generated from them.

    An edition is an nbgrader source notebook of its own, notebooks/assignments/<name>_<lang>/<name>_<lang>.ipynb:
    the English cells and metadata, the prose and comments translated, solutions and hidden tests copied."""

    kind = "assignment"

    def __init__(self, root: Path = ROOT, lang: str = "zh"):
        super().__init__(root, lang)
        self.lessons_dir = self.root / "notebooks" / "assignments"
        self.catalog_dir = self.root / "i18n" / lang / "assignments"
        self.sources_dir = self.catalog_dir / "en-sources"
        self.out_dir = self.lessons_dir

    def edition(self, name: str) -> str:
        return f"{name}_{self.lang}"

    def english_paths(self) -> dict[str, Path]:
        """`<name>/<name>.ipynb`, except the generated editions (their metadata says "i18n")."""
        found = {}
        for path in sorted(self.lessons_dir.glob("*/*.ipynb")):
            if path.stem == path.parent.name and "i18n" not in _metadata(path):
                found[path.stem] = path
        return found

    def english(self) -> dict[str, list[Cell]]:
        return {name: read_assignment(path) for name, path in self.english_paths().items()}

    def english_rel(self, name: str) -> str:
        return f"notebooks/assignments/{name}/{name}.ipynb"

    def catalogs(self) -> dict[str, Catalog]:
        return {p.stem: parse_catalog(p) for p in sorted(self.catalog_dir.glob("*.md"))}

    def new_catalog(self, name: str) -> Catalog:
        preamble = ASSIGNMENT_PREAMBLE.format(stem=name, lang=self.lang)
        return Catalog(name, self.catalog_dir / f"{name}.md", preamble, [])

    def out_path(self, name: str) -> Path:
        return self.lessons_dir / self.edition(name) / f"{self.edition(name)}.ipynb"

    def outputs(self) -> dict[str, Path]:
        suffix = f"_{self.lang}"
        return {p.stem[: -len(suffix)]: p for p in sorted(self.lessons_dir.glob(f"*{suffix}/*{suffix}.ipynb"))
                if p.stem == p.parent.name and _metadata(p).get("i18n", {}).get("lang") == self.lang}

    def short(self, name: str) -> str:
        return name

    def matches(self, name: str, lesson: str) -> bool:
        stem = Path(name).stem
        return stem in (lesson, self.edition(lesson))

    def validate(self, r: Result) -> Result:
        r = _validate(r)
        if r.state in ("ok", "moved") and r.entry.code:
            if marker_lines(r.entry.text) != marker_lines(r.cell.source):
                r.state = "invalid"
                r.note = (f"{r.entry.lesson}.md line {r.entry.line}: keep every BEGIN/END SOLUTION and HIDDEN TESTS "
                          "line exactly as in English (the build puts the English solutions and hidden tests there)")
            elif any(line.strip() for region in split_secret(r.entry.text)[1] for line in region):
                r.state = "invalid"
                r.note = (f"{r.entry.lesson}.md line {r.entry.line}: nothing goes between BEGIN and END markers: the "
                          "build copies the English solution or hidden test there")
        return r

    def built_notebook(self, name: str, results: list[Result], translated: set[str]) -> str:
        """The edition's source notebook: English cells, metadata and secrets, translated prose and comments."""
        nb = nbformat.read(self.english_paths()[name], as_version=4)
        text = TEXT.get(self.lang, {})
        lessons = {p.stem for p in (self.root / "i18n" / self.lang).glob(LESSON_GLOB.replace(".ipynb", ".md"))}
        cells = []
        for cell, r in zip(nb.cells, results, strict=True):
            out = copy.deepcopy(cell)
            if cell.cell_type == "code":
                _, regions = split_secret(cell.source)
                source = splice_secret(r.entry.text, regions) if r.state in ("ok", "moved") else cell.source
                out.source = call_edition(source, name, self.edition(name))
            elif r.state in ("ok", "moved"):
                out.source = relink_assignment(r.entry.text, lessons, self.lang)
            elif r.state == "stale":
                out.source = text.get("stale", "") + relink_assignment(r.entry.text, lessons, self.lang)
            elif r.state in ("missing", "todo"):
                out.source = text.get("missing", "") + relink_assignment(cell.source, lessons, self.lang)
            cells.append(out)
            if len(cells) == 1 and "assignment_banner" in text:
                banner = text["assignment_banner"].format(stem=name)
                cells.append(nbformat.v4.new_markdown_cell(banner, id=f"{self.lang}-edition"))
        nb.cells = cells
        nb.metadata["i18n"] = {"lang": self.lang, "english": name}
        return nbformat.writes(nb) + "\n"


def _metadata(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return {}


def projects(root: Path = ROOT, lang: str = "zh") -> list[Project]:
    """What one language translates: the lessons, and the assignments."""
    return [Project(root, lang), AssignmentProject(root, lang)]


def _validate(r: Result) -> Result:
    c, e = r.cell, r.entry
    if e.code != (c.type == "code"):
        r.state, r.note = "invalid", f"block {e.id} is {'code' if e.code else 'Markdown'} but the cell is {c.type}"
    elif e.code:
        why = comment_only_difference(c.source, e.text)
        if why:
            r.state = "invalid"
            r.note = f"{e.lesson}.md line {e.line}: a translated code cell may change only comments: {why}"
    return r


def relink(markdown: str, translated: set[str]) -> str:
    """Make an English lesson's relative links work from notebooks/<lang>/.

    A link to another lesson leads to its translation when there is one; every other relative link
    gets one more `../`. Code spans and fenced code are left alone.
    """

    def fix(target: str) -> str:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "/")):
            return target
        path = target.split("#", 1)[0]
        if re.fullmatch(r"[0-9][0-9]_[^/]*\.ipynb", path) and path[: -len(".ipynb")] in translated:
            return target
        return "../" + target

    def fix_text(text: str) -> str:
        text = re.sub(r"(\]\()([^)\s]+)(\))", lambda m: m[1] + fix(m[2]) + m[3], text)
        return re.sub(r'((?:href|src)=")([^"]+)(")', lambda m: m[1] + fix(m[2]) + m[3], text)

    parts = re.split(r"(```.*?```|`[^`\n]*`)", markdown, flags=re.S)
    return "".join(p if i % 2 else fix_text(p) for i, p in enumerate(parts))


def relink_assignment(markdown: str, lessons: set[str], lang: str) -> str:
    """An assignment's links work from its edition's folder (a sibling of the English one), except that a link
    to a lesson leads to the lesson's translation when there is one."""

    def fix(m: re.Match) -> str:
        return f"{m[1]}../../{lang}/{m[2]}" if m[2][: -len(".ipynb")] in lessons else m[0]

    parts = re.split(r"(```.*?```|`[^`\n]*`)", markdown, flags=re.S)
    pattern = r"(\]\(|(?:href|src)=\")\.\./\.\./([0-9][0-9]_[^/)\"#\s]*\.ipynb)"
    return "".join(p if i % 2 else re.sub(pattern, fix, p) for i, p in enumerate(parts))


# ---- what the translator reads ------------------------------------------------------------------------


def word_diff(old: str, new: str, color: bool = False) -> str:
    """A word diff in git's style ([-removed-]{+added+}): the changed lines and one line around them."""
    a, b = re.findall(r"\s+|\S+", old), re.findall(r"\s+|\S+", new)
    rem, add = (("\x1b[31m[-", "-]\x1b[0m"), ("\x1b[32m{+", "+}\x1b[0m")) if color else (("[-", "-]"), ("{+", "+}"))
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append("".join(a[i1:i2]))
            continue
        if i2 > i1:
            out.append(rem[0] + "".join(a[i1:i2]) + rem[1])
        if j2 > j1:
            out.append(add[0] + "".join(b[j1:j2]) + add[1])
    lines = "".join(out).split("\n")
    marks = (*rem, *add)
    changed = [i for i, line in enumerate(lines) if any(m in line for m in marks)]
    keep = sorted({j for i in changed for j in (i - 1, i, i + 1) if 0 <= j < len(lines)})
    shown, last = [], None
    for j in keep:
        if last is not None and j != last + 1:
            shown.append("   ...")
        shown.append("   " + lines[j])
        last = j
    return "\n".join(shown)


def unified(old: str, new: str) -> str:
    diff = difflib.unified_diff(old.split("\n"), new.split("\n"), "English before", "English now", lineterm="", n=2)
    return "\n".join("   " + line for line in diff)


def quoted(text: str) -> str:
    return "\n".join("   | " + line for line in text.split("\n"))


def pick(lessons: list[str], names: list[str], p: Project | None = None) -> list[str]:
    """Lessons named by number (01) or name (01_tensors_that_remember, a path), assignments by name; all when
    none are named."""
    if not names:
        return lessons
    out = []
    for name in names:
        stem = Path(name).stem
        matches = [s for s in lessons if (p.matches(name, s) if p else
                                          s == stem or (stem.isdigit() and s[:2] == stem.zfill(2)))]
        if not matches:
            raise SystemExit(f"error: no lesson matches {name!r}; choose from: {', '.join(lessons) or 'none'}")
        out += [m for m in matches if m not in out]
    return out


def route(ps: list[Project], names: list[str], available) -> list[tuple[Project, list[str]]]:
    """The projects the names belong to, each with its names (every project, with none, when none are named)."""
    if not names:
        return [(p, []) for p in ps]
    chosen: dict[int, list[str]] = {}
    for name in names:
        hits = [k for k, p in enumerate(ps) if any(p.matches(name, s) for s in available(p))]
        if not hits:
            every = [s for p in ps for s in available(p)]
            raise SystemExit(f"error: no lesson or assignment matches {name!r}; "
                             f"choose from: {', '.join(every) or 'none'}")
        for k in hits:
            chosen.setdefault(k, []).append(name)
    return [(ps[k], chosen[k]) for k in sorted(chosen)]


# ---- commands ---------------------------------------------------------------------------------------


def cmd_status(p: Project, args) -> int:
    english, catalogs = p.english(), p.catalogs()
    report = p.resolve(english, catalogs)
    files = p.generated(english, catalogs, report)
    width = 30
    print(f"{p.kind:{width}} {'cells':>5} {'done':>5} {'stale':>5} {'missing':>7} {'moved':>5} {'invalid':>7}  "
          "notebook")
    for lesson, results in report.results.items():
        n = {s: sum(r.state == s for r in results) for s in ("ok", "moved", "stale", "missing", "todo", "invalid")}
        path = p.out_path(lesson)
        built = "up to date" if path.is_file() and path.read_text(encoding="utf-8") == files[path] else "needs build"
        print(f"{lesson:{width}} {sum(r.state != 'none' for r in results):5} {n['ok'] + n['moved']:5} {n['stale']:5} "
              f"{n['missing'] + n['todo']:7} {n['moved']:5} {n['invalid']:7}  {built}")
    for lesson in report.not_started:
        print(f"{lesson:{width}} not started (no {p.new_catalog(lesson).path.relative_to(p.root)})")
    for _, line in report.problems():
        if not line.startswith(("stale:", "missing:")):
            print(line)
    for line in report.warnings():
        print(line)
    return 0


def check_project(p: Project) -> tuple[Report, list[str]]:
    """The report of one project, and what `check` fails on (the generated files included)."""
    english, catalogs = p.english(), p.catalogs()
    report = p.resolve(english, catalogs)
    problems = [line for _, line in report.problems()]
    for path, text in p.generated(english, catalogs, report).items():
        rel = path.relative_to(p.root)
        if not path.is_file():
            problems.append(f"not built: {rel}; run `python tools/i18n.py build`")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"out of date: {rel} is not what the catalog generates; run `python tools/i18n.py build` "
                            "(never edit it by hand)")
    for name, path in p.outputs().items():
        if name not in report.results:
            problems.append(f"stray: {path.relative_to(p.root)} has no catalog "
                            f"{p.new_catalog(name).path.relative_to(p.root)}")
    return report, problems


def cmd_check(ps: list[Project], args) -> int:
    checked = [(p, *check_project(p)) for p in ps]
    not_started = [name for _, report, _ in checked for name in report.not_started]
    problems = [line for _, _, lines in checked for line in lines]
    for _, report, _ in checked:
        for line in report.warnings():
            print("warning:", line)
    if not_started:
        print(f"not translated yet (no catalog): {', '.join(not_started)}")
    for line in problems:
        print(line)
    if problems:
        print(f"i18n check FAILED: {len(problems)} problem(s)")
        return 1
    parts = []
    for p, report, _ in checked:
        if report.results or p.kind == "lesson":
            cells = sum(r.state != "none" for results in report.results.values() for r in results)
            parts.append(f"{len(report.results)} translated {p.kind}s "
                         f"({', '.join(p.short(s) for s in report.results)}), {cells} cells")
    print(f"i18n check: {'; '.join(parts)}: every translation present, current, and built")
    return 0


def cmd_stale(p: Project, args) -> int:
    report = p.resolve(p.english(), p.catalogs())
    color = sys.stdout.isatty()
    shown = 0
    for lesson in pick(list(report.results), args.lessons, p):
        for r in report.results[lesson]:
            if r.state != "stale":
                continue
            shown += 1
            print(f"== {lesson} {r.cell.id} ({r.cell.type}): stale{r.note}")
            if r.old_source is None:
                print("   The English this block translated was not recorded. The English now:")
                print(quoted(r.cell.source))
            elif r.cell.type == "code":
                print(unified(r.old_source, r.cell.source))
            else:
                print("   English changes ([-removed-] {+added+}):")
                print(word_diff(r.old_source, r.cell.source, color))
            print(f"   The translation to update ({r.entry.lesson}.md, line {r.entry.line}):")
            print(quoted(r.entry.text))
            print(f"   Then: python tools/i18n.py accept {p.short(lesson)} {r.cell.id}\n")
    print(f"{shown} stale block(s)")
    return 0


def cmd_missing(p: Project, args) -> int:
    report = p.resolve(p.english(), p.catalogs())
    shown = 0
    for lesson in pick(list(report.results), args.lessons, p):
        for r in report.results[lesson]:
            if r.state in ("missing", "todo"):
                shown += 1
                todo = ", its block is flagged todo" if r.state == "todo" else ""
                print(f"== {lesson} {r.cell.id} ({r.cell.type}, en:{r.cell.hash}{todo})")
                print(quoted(r.cell.source) + "\n")
    print(f"{shown} missing translation(s); `python tools/i18n.py stub LESSON` appends todo blocks for them")
    return 0


def cmd_stub(p: Project, args) -> int:
    english, catalogs = p.english(), p.catalogs()
    added = 0
    for lesson in pick(list(english), args.lessons, p):
        catalogs.setdefault(lesson, p.new_catalog(lesson))
        for r in p.resolve(english, catalogs).results[lesson]:
            c = r.cell
            if r.state == "missing":
                stub = Entry(lesson, c.id, c.hash, c.type == "code", True, normalize(c.source))
                catalogs[lesson].entries.append(stub)
                added += 1
            elif r.entry is not None and r.entry.lesson != lesson:  # the same English is translated elsewhere
                catalogs[lesson].entries.append(Entry(lesson, c.id, c.hash, r.entry.code, r.entry.todo, r.entry.text))
    p.save_catalogs(english, catalogs)
    print(f"{added} todo block(s) added. Translate each one, then `python tools/i18n.py accept LESSON CELL` "
          "(or delete ' todo' from its header).")
    return 0


def cmd_accept(p: Project, args) -> int:
    english, catalogs = p.english(), p.catalogs()
    report = p.resolve(english, catalogs)
    lesson = pick(list(report.results), [args.lesson], p)[0]
    pending = {r.cell.id: r for r in report.results[lesson] if r.state in ("stale", "todo")}
    names = list(pending) if args.all else args.cells
    if not names:
        raise SystemExit("error: name the cells to accept, or pass --all")
    failed = 0
    for cid in names:
        r = pending.get(cid)
        if r is None:
            print(f"{lesson} {cid}: nothing to accept (neither stale nor todo)")
            continue
        e = r.entry
        if e.code and (why := comment_only_difference(r.cell.source, e.text)):
            print(f"{lesson} {cid}: NOT accepted: the block's code must be the English code as it is now: {why}")
            failed += 1
            continue
        if e.code and (checked := p.validate(Result(r.cell, "ok", e))).state == "invalid":
            print(f"{lesson} {cid}: NOT accepted: {checked.note}")
            failed += 1
            continue
        if (lesson, cid) != e.key and (lesson, cid) in {x.key for x in catalogs[lesson].entries}:
            print(f"{lesson} {cid}: NOT accepted: {lesson}.md already has a block {cid}; run `i18n.py sync` first")
            failed += 1
            continue
        if not e.code and normalize(e.text) == normalize(r.cell.source):
            print(f"{lesson} {cid}: warning: the block is still the English text")
        if e.code:
            english_comments = {t.string for t in _comments(r.cell.source) or []}
            same = [t.string for t in _comments(e.text) or [] if t.string in english_comments]
            if same:
                print(f"{lesson} {cid}: warning: comments still in English: {', '.join(same)}")
        catalogs[e.lesson].entries.remove(e)
        catalogs[lesson].entries.append(Entry(lesson, cid, r.cell.hash, e.code, False, e.text))
        print(f"{lesson} {cid}: accepted as the translation of en:{r.cell.hash}")
    p.save_catalogs(english, catalogs)
    return 1 if failed else 0


def cmd_carry(p: Project, args) -> int:
    """Rewrite stale code blocks as the new English code with their translated comments carried over."""
    english, catalogs = p.english(), p.catalogs()
    report = p.resolve(english, catalogs)
    carried = 0
    for lesson in pick(list(report.results), args.lessons, p):
        for r in report.results[lesson]:
            if r.state != "stale" or r.cell.type != "code" or (args.cells and r.cell.id not in args.cells):
                continue
            if r.old_source is None:
                print(f"{lesson} {r.cell.id}: the English it translated is not recorded; update it by hand")
                continue
            result = carry_comments(r.old_source, r.entry.text, r.cell.source)
            if result is None:
                print(f"{lesson} {r.cell.id}: its comments do not pair with the English ones; update it by hand")
                continue
            r.entry.text, untranslated = result
            carried += 1
            left = f"; still in English: {', '.join(untranslated)}" if untranslated else ""
            print(f"{lesson} {r.cell.id}: English code now, translated comments carried over{left}")
    p.save_catalogs(english, catalogs)
    print(f"{carried} block(s) rewritten. Read each one, translate what is left, then `i18n.py accept LESSON CELL`.")
    return 0


def cmd_sync(p: Project, args) -> int:
    english, catalogs = p.english(), p.catalogs()
    report = p.resolve(english, catalogs)
    # A lesson without a catalog gets one only to take over the blocks of a catalog whose lesson is gone
    # (a renamed or split lesson).
    adopt = sorted({user for (src, _), (user, _) in report.elsewhere.items() if src in report.orphans})
    if adopt:
        catalogs = {**catalogs, **{s: p.new_catalog(s) for s in adopt}}
        report = p.resolve(english, catalogs)
    placed: dict[str, list[Entry]] = {s: [] for s in catalogs if s in english}
    used: set[tuple[str, str]] = set()
    in_place = {r.entry.key for lesson, rs in report.results.items() for r in rs
                if r.entry is not None and r.entry.key == (lesson, r.cell.id)}  # blocks that stay where they are
    for lesson, results in report.results.items():
        for r in results:
            if r.entry is None:
                continue
            e = r.entry
            placed[lesson].append(Entry(lesson, r.cell.id, e.hash, e.code, e.todo, e.text))
            used.add(e.key)
            if e.key != (lesson, r.cell.id):
                how = "copied" if e.lesson != lesson and e.key in in_place else "moved"
                print(f"{how}: {e.lesson}.md {e.id} -> {lesson}.md {r.cell.id}")
    for cat in catalogs.values():
        for e in cat.entries:
            if e.key in used:
                continue
            if e.key in report.elsewhere and e.lesson in placed:
                placed[e.lesson].append(e)  # still translates a cell of a lesson without a catalog: keep it
            elif args.prune:
                print(f"pruned: {e.lesson}.md {e.id} en:{e.hash}")
            else:
                placed.setdefault(e.lesson, []).append(e)  # obsolete, kept until --prune (check reports it)
    retired = [lesson for lesson in report.orphans if not placed.get(lesson)]  # every block found its new place
    new = {lesson: Catalog(lesson, catalogs[lesson].path, catalogs[lesson].preamble, entries)
           for lesson, entries in placed.items() if lesson not in retired}
    p.save_catalogs(english, new)  # before the retired files go: their recorded English moves with their blocks
    for lesson in retired:
        for path in (catalogs[lesson].path, p.sources_dir / f"{lesson}.json", p.out_path(lesson)):
            if path.is_file():
                path.unlink()
                print("removed", path.relative_to(p.root))
        folder = p.out_path(lesson).parent
        if p.kind == "assignment" and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return 0


def cmd_build(p: Project, args) -> int:
    english, catalogs = p.english(), p.catalogs()
    report = p.resolve(english, catalogs)
    lessons = pick(list(report.results), args.lessons, p)
    problems = [(lesson, line) for lesson, line in report.problems() if lesson in lessons]
    invalid = [line for _, line in problems if line.startswith("invalid:")]
    if invalid:
        print("\n".join(invalid))
        print("build refused: a translated code cell may differ from the English only in its comments")
        return 1
    p.write(p.generated(english, catalogs, report, lessons=lessons))
    for _, line in problems:
        print(line)
    if problems:
        print(f"built with {len(problems)} gap(s), marked in the notebooks; "
              "`make i18n-check` fails until they are fixed")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="i18n.py", description=__doc__.split("\n\n")[0],
                                 epilog="Workflow and a worked example: i18n/README.md")
    ap.add_argument("--lang", default="zh", help="the catalog folder i18n/LANG and the notebooks/LANG output (zh)")
    ap.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this tool's)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("status", help="one line per lesson and assignment: translated, stale, missing, moved")
    sub.add_parser("check", help="fail on anything missing, stale, obsolete, invalid or not rebuilt")
    for name, text in (("stale", "what changed in the English of each stale block"),
                       ("missing", "the English of every cell without a translation"),
                       ("build", "write the translated notebooks")):
        sub.add_parser(name, help=text).add_argument("lessons", nargs="*", metavar="LESSON")
    sub.add_parser("stub", help="append todo blocks for missing cells").add_argument("lessons", nargs="+",
                                                                                     metavar="LESSON")
    acc = sub.add_parser("accept", help="mark updated blocks as translating the current English")
    acc.add_argument("lesson", metavar="LESSON")
    acc.add_argument("cells", nargs="*", metavar="CELL")
    acc.add_argument("--all", action="store_true", help="every stale or todo block of the lesson")
    carry = sub.add_parser("carry", help="rewrite stale code blocks: new English code, translated comments kept")
    carry.add_argument("lessons", nargs="*", metavar="LESSON")
    carry.add_argument("--cell", dest="cells", action="append", default=[], metavar="CELL", help="only this cell")
    sync = sub.add_parser("sync", help="move blocks to the lesson, id and order their cells have now")
    sync.add_argument("--prune", action="store_true", help="also remove obsolete blocks")
    args = ap.parse_args(argv)
    commands = {"status": cmd_status, "stale": cmd_stale, "missing": cmd_missing, "stub": cmd_stub,
                "accept": cmd_accept, "carry": cmd_carry, "sync": cmd_sync, "build": cmd_build}
    try:
        ps = projects(args.root, args.lang)
        if args.cmd == "check":
            return cmd_check(ps, args)
        if args.cmd in ("status", "sync"):
            return max(commands[args.cmd](p, args) for p in ps)
        if args.cmd == "accept":
            p, _ = route(ps, [args.lesson], lambda p: list(p.catalogs()))[0]
            return cmd_accept(p, args)
        available = (lambda p: list(p.english_paths())) if args.cmd == "stub" else (lambda p: list(p.catalogs()))
        codes = [commands[args.cmd](p, argparse.Namespace(**{**vars(args), "lessons": names}))
                 for p, names in route(ps, args.lessons, available)]
        return max(codes, default=0)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
