"""The cheat corpus: submissions written to get points without the work, and what they may score.

Each assignment keeps its cheats in `notebooks/assignments/<name>/cheats/<cheat>.py` (never released:
`cheats` is in nbgrader's ignore list). A cheat file is data: a header, then the cells it submits.

    # class: forge
    # what: calls the shell's displayhook with the test cell's points, then raises
    # honest: test_passes                 (optional: test cells this cheat answers honestly)
    # flag: tamper                        (the review scan must find at least this: tamper, review or none)
    # %% answer predictions               the source of the answer cell with that grade_id
    ...code...
    # %% add after walk                   a new cell after the cell with that grade_id ("add first":
    ...code...                            before every cell)
    # %% edit test_graph_nodes            a new source for a locked cell (nbgrader must put it back)
    ...code...

A file with `# class: honest` is the opposite: a correct answer written differently from the
solution (other formulas, other library calls, long-hand steps), which must score **full marks**: its
`# flag:` is the most the review scan may find (none, or review where an honest route looks like a
cheat's, such as a module hook to read features; a review note never changes a score). They keep the
defences from punishing honest work that does not look like the solution (a time limit too tight, an
input range too narrow).

Answer cells a cheat does not mention keep the student version's stub. The self-check
(`selfcheck.py`) autogrades every cheat like any submission and requires its score to stay within
`limit()`: 20% of the points, or the points of the test cells it honestly answers if that is more.
Adding an assignment's cheats is adding files there; nothing in the machinery changes.
"""

from __future__ import annotations

import copy
import pathlib
import re
from dataclasses import dataclass, field

CLASSES = {
    "hooks": "disables or rewrites test code through IPython hooks, builtins or monkeypatching",
    "forge": "forges a test cell's result or score (displayhook, outputs, an empty cell)",
    "tamper": "tampers with the grading code that runs beside it (worker, drivers, what they send)",
    "always_equal": "returns objects that compare equal to anything",
    "delegate": "delegates to the library the task forbids, however it is reached",
    "mode_swap": "answers one mode with the other",
    "library_kernel": "calls a library's backward kernel where the task is to derive the gradient",
    "read_disk": "reads the solutions, hidden checks or other files from disk",
    "rewrite_data": "rewrites the data the checks compare against",
    "hardcode": "hard-codes the visible answers",
}
HONEST = "honest"  # not a cheat: a different correct answer, which must get full marks (see above)
LEVELS = ("none", "review", "tamper")
SHARE = 0.2  # a cheat may score at most this share of the points (beyond what it honestly solves)


class CheatError(ValueError):
    pass


@dataclass
class Cheat:
    name: str
    path: pathlib.Path
    cls: str
    what: str
    honest: list[str] = field(default_factory=list)
    flag: str = "none"
    answers: dict[str, str] = field(default_factory=dict)
    added: list[tuple[str, str]] = field(default_factory=list)  # (after grade_id or "first", source)
    edits: dict[str, str] = field(default_factory=dict)

    def limit(self, points_by_cell: dict[str, float]) -> float:
        total = sum(points_by_cell.values())
        honest = sum(points_by_cell.get(gid, 0) for gid in self.honest)
        return round(max(SHARE * total, honest), 6)


_HEADER = re.compile(r"^#\s*(class|what|honest|flag):\s*(.*?)\s*$")
_CELL = re.compile(r"^#\s*%%\s*(answer|add after|add first|edit)\s*([\w-]*)\s*$")


def parse(path: pathlib.Path) -> Cheat:
    """Read one cheat file; CheatError says what is wrong with it."""
    header: dict[str, str] = {}
    cells: list[tuple[str, str, list[str]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        cell = _CELL.match(line)
        if cell:
            cells.append((cell.group(1), cell.group(2), []))
            continue
        if cells:
            cells[-1][2].append(line)
            continue
        head = _HEADER.match(line)
        if head:
            header[head.group(1)] = head.group(2)
        elif line.strip() and not line.startswith("#"):
            raise CheatError(f"{path}:{number}: code before the first '# %%' cell marker")
    if header.get("class") not in (*CLASSES, HONEST):
        raise CheatError(f"{path}: '# class:' must be one of {', '.join(CLASSES)} or {HONEST}")
    if not header.get("what"):
        raise CheatError(f"{path}: '# what:' must say how the cheat works")
    flag = header.get("flag", "none")
    if flag not in LEVELS:
        raise CheatError(f"{path}: '# flag:' must be one of {', '.join(LEVELS)}")
    if header["class"] == HONEST and (flag == "tamper" or header.get("honest")):
        raise CheatError(f"{path}: an honest answer takes no '# honest:' and at most '# flag: review' "
                         "(it must get full marks, never held by the scan)")
    if not cells:
        raise CheatError(f"{path}: no '# %% answer <grade_id>' cell")
    cheat = Cheat(path.stem, path, header["class"], header["what"],
                  [h for h in re.split(r"[,\s]+", header.get("honest", "")) if h], flag)
    for kind, target, lines in cells:
        source = "\n".join(lines).strip("\n")
        if kind == "answer":
            cheat.answers[target] = source
        elif kind == "edit":
            cheat.edits[target] = source
        else:
            cheat.added.append(("first" if kind == "add first" else target, source))
    return cheat


def load(assignment_dir: pathlib.Path) -> list[Cheat]:
    return [parse(p) for p in sorted((assignment_dir / "cheats").glob("*.py"))]


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def build(cheat: Cheat, student_nb: dict) -> dict:
    """The submission: the student version with the cheat's cells put in."""
    nb = copy.deepcopy(student_nb)
    ids = {_gid(c): c for c in nb["cells"] if _gid(c)}
    for gid, source in {**cheat.answers, **cheat.edits}.items():
        if gid not in ids:
            raise CheatError(f"{cheat.path}: no cell with grade_id {gid!r} in the student version")
        cell = ids[gid]
        solution = cell["metadata"]["nbgrader"].get("solution")
        if (gid in cheat.answers) != bool(solution):
            raise CheatError(f"{cheat.path}: {gid!r} is {'an answer' if solution else 'a locked'} cell; "
                             f"use '# %% {'answer' if solution else 'edit'} {gid}'")
        cell["source"] = source
    placed: dict[str, int] = {}
    for n, (after, source) in enumerate(cheat.added):
        new = {"cell_type": "code", "execution_count": None, "id": f"cheat-{n}", "metadata": {}, "outputs": [],
               "source": source}
        if after != "first" and after not in ids:
            raise CheatError(f"{cheat.path}: no cell with grade_id {after!r} to add a cell after")
        start = 0 if after == "first" else nb["cells"].index(ids[after]) + 1
        nb["cells"].insert(start + placed.get(after, 0), new)  # in file order
        placed[after] = placed.get(after, 0) + 1
    return nb
