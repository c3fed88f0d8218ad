"""How much of each graded solution cell is lesson code: token for token, with names folded.

An assignment should practise a lesson's idea on new work, not retype a lesson cell. For every answer
cell of every assignment source notebook, this finds the lesson code cell that covers the largest share
of the solution's tokens (difflib's matching blocks over Python tokens in which every identifier is
replaced by NAME and every number or string by its kind), and prints the table. `--max 0.5` exits 1
when any cell is over that share (tests/test_lesson_overlap.py runs it that way).

    python tools/lesson_overlap.py [--max SHARE]
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import keyword
import pathlib
import sys
import tokenize

REPO = pathlib.Path(__file__).resolve().parents[1]
SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
        tokenize.ENDMARKER}
MIN_RUN = 6  # tokens: shorter common runs are idioms (`x = y.sum(axis=0)`), not copying
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def folded(source: str) -> list[str]:
    """Tokens of Python source with names, numbers and strings folded to their kind."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if tok.type in SKIP:
                continue
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
                out.append("NAME")
            elif tok.type == tokenize.NUMBER:
                out.append("NUMBER")
            elif tok.type == tokenize.STRING or tok.type >= getattr(tokenize, "FSTRING_START", 10**6):
                out.append("STRING")
            else:
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def solution_part(source: str) -> str:
    """The lines inside solution markers (the whole cell when it has none)."""
    if MARKERS[0] not in source:
        return source
    kept, inside = [], False
    for line in source.splitlines():
        if MARKERS[0] in line:
            inside = True
        elif MARKERS[1] in line:
            inside = False
        elif inside:
            kept.append(line.strip())
    return "\n".join(kept)


def _cells(path: pathlib.Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def share(solution: list[str], lesson: list[str]) -> float:
    if not solution:
        return 0.0
    matcher = difflib.SequenceMatcher(None, solution, lesson, autojunk=False)
    return sum(b.size for b in matcher.get_matching_blocks() if b.size >= MIN_RUN) / len(solution)


def table(repo: pathlib.Path = REPO) -> list[tuple[str, str, float, str]]:
    lessons = []
    for path in sorted((repo / "notebooks").glob("[0-9]*.ipynb")):
        for n, cell in enumerate(_cells(path)):
            if cell["cell_type"] == "code":
                tokens = folded(_src(cell))
                if len(tokens) >= 8:
                    lessons.append((f"{path.stem} cell {n}", tokens))
    rows = []
    for path in sorted((repo / "notebooks" / "assignments").glob("*/*.ipynb")):
        if path.stem != path.parent.name:
            continue
        for cell in _cells(path):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] != "code" or not meta.get("solution"):
                continue
            tokens = folded(solution_part(_src(cell)))
            best = max(((share(tokens, t), where) for where, t in lessons), default=(0.0, "-"))
            rows.append((path.stem, meta["grade_id"], best[0], best[1]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=float, default=None, help="fail when a solution cell is over this share")
    args = parser.parse_args(argv)
    rows = table()
    print(f"{'assignment':<18}{'answer cell':<24}{'lesson share':>13}  closest lesson cell")
    for name, gid, value, where in rows:
        print(f"{name:<18}{gid:<24}{value:>12.0%}  {where}")
    over = [r for r in rows if args.max is not None and r[2] > args.max]
    if over:
        print(f"\n{len(over)} solution cell(s) over {args.max:.0%} lesson code", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
