"""Write the README's legend (the table of boxes) from `dagviz.kinds`, the one place it is defined.

    python tools/readme_legend.py           # rewrite the block between the legend markers
    python tools/readme_legend.py --check   # exit 1 if the README's block differs

tests/test_kinds.py runs the check.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dagviz.kinds import readme_legend

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- legend: generated from dagviz/kinds.py by `python tools/readme_legend.py`; do not edit -->\n"
END = "<!-- end of legend -->\n"


def split(text: str) -> tuple[str, str, str]:
    """(before, the legend block, after) of the README's text."""
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise SystemExit(f"readme_legend: {README.name} must hold each legend marker once:\n{BEGIN}{END}")
    before, rest = text.split(BEGIN)
    block, after = rest.split(END)
    return before, block, after


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    before, block, after = split(text)
    if "--check" in argv:
        if block != readme_legend():
            print(f"{README.name}'s legend differs from dagviz/kinds.py: run python tools/readme_legend.py")
            return 1
        return 0
    README.write_text(before + BEGIN + readme_legend() + END + after, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
