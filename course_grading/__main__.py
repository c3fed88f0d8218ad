"""`python -m course_grading COMMAND ...`: the instructor's and CI's grading commands.

    selfcheck [NAME ...]   solutions and honest answers full marks, blanks zero, every cheat within its limit
    term                   a whole term with fake students: release, submit, collect, autograde, feedback, export
    pack                   the student pack (lessons, released assignments, packages), leak-checked
    holds [NAME]           list submissions the review scan flagged; --lift to clear the flags once reviewed
    messages [LANG]        the checks' messages that messages_<LANG>.txt (default zh) does not translate yet
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {"selfcheck": "selfcheck", "term": "term", "pack": "pack", "holds": "review", "messages": "messages"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    module = importlib.import_module(f"course_grading.{COMMANDS[argv[0]]}")
    entry = module.holds_main if argv[0] == "holds" else module.main
    return entry(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
