"""What every test may use: `--update-snapshots` and the `snapshot` fixture."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).parent / "snapshots"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="rewrite the golden files in tests/snapshots/ from the code instead of comparing; review the diff",
    )


@pytest.fixture
def snapshot(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """`snapshot(name, text)`: `text` must equal tests/snapshots/<name> (the picture must not change
    by accident). With `pytest --update-snapshots` the file is rewritten instead; a missing file is
    written and the test fails, so a new golden file is always reviewed."""
    update = request.config.getoption("--update-snapshots")

    def check(name: str, text: str) -> None:
        path = SNAPSHOTS / name
        if update or not path.exists():
            path.write_text(text, encoding="utf-8")
            if not update:
                pytest.fail(f"{path.name} did not exist and was written; review it and rerun")
        assert text == path.read_text(encoding="utf-8"), (
            f"{name} changed; if that is intended, run pytest --update-snapshots and review the diff"
        )

    return check
