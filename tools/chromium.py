"""The system's Chromium for Playwright (browser tests, the explorer benchmark, the tour screenshot).

Playwright's own browser download is not used: `make chromium` installs Debian's `chromium`
package, and Playwright is pointed at it with `executable_path`. DAGVIZ_CHROMIUM=/path
picks another Chromium or Chrome build.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, no sandbox (containers and CI run as root), and nothing that phones home.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL = (
    "Install it, then rerun: `make chromium` (uses apt as root or with sudo), or Debian/Ubuntu "
    "`sudo apt-get install chromium`, or set DAGVIZ_CHROMIUM=/path/to/chrome."
)


class ChromiumNotFound(RuntimeError):
    pass


def find() -> str:
    """Path of the Chromium to drive; raises ChromiumNotFound with the install command."""
    path = os.environ.get("DAGVIZ_CHROMIUM")
    if path:
        if not Path(path).is_file():
            raise ChromiumNotFound(f"DAGVIZ_CHROMIUM={path} is not a file. {INSTALL}")
        return path
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumNotFound(f"Chromium was not found on PATH (looked for {', '.join(NAMES)}). {INSTALL}")


def launch(playwright: Any) -> Any:
    """A headless Chromium browser (each launch gets a new, empty profile)."""
    return playwright.chromium.launch(executable_path=find(), args=FLAGS, headless=True)
