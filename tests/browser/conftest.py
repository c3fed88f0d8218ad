"""A real JupyterLab server and the system's Chromium, driven by Playwright.

nbval runs kernels, not the front end: a widget that renders blank or a picture that never
shows passes it. These tests open the lessons in JupyterLab as a learner does.

- Chromium: the system package (Playwright's own browser download is not used). Missing
  Chromium fails the tests with the install command; it never skips them. Set
  DAGVIZ_CHROMIUM=/path/to/chrome to use another build.
- JupyterLab: a free localhost port, a random token, no browser of its own, its own empty
  config/settings/workspace folders, and a temporary root holding *copies* of the lessons
  (autosave must never rewrite the stored notebooks).
- A failing test saves a screenshot of each page it used under build/browser-failures/
  (git-ignored) and names the files in its report.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAILURES = ROOT / "build" / "browser-failures"
LAB_START_TIMEOUT = 90  # s; a cold JupyterLab on 2 busy cores can take a while

sys.path.insert(0, str(ROOT / "tools"))
import chromium  # noqa: E402  (tools/chromium.py: the system Chromium and its flags)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("The browser tests need Playwright: pip install playwright (in the dev extras).", pytrace=False)
    try:
        chromium.find()
    except chromium.ChromiumNotFound as err:
        pytest.fail(f"The browser tests need Chromium. {err}", pytrace=False)
    with sync_playwright() as pw:
        b = chromium.launch(pw)
        yield b
        b.close()


class Pages:
    """The pages a test opened, so a failure can screenshot each."""

    def __init__(self, browser: object) -> None:
        self.browser = browser
        self.opened: list[tuple[str, object]] = []
        self.contexts: list[object] = []

    def new(self, name: str = "page", **kw: object) -> object:
        ctx = self.browser.new_context(viewport={"width": 1400, "height": 1000}, **kw)
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        page.console_errors = []  # console errors and uncaught exceptions, for assertions
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(f"uncaught: {e}"))
        self.opened.append((name, page))
        return page

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def pages(browser: object, request: pytest.FixtureRequest) -> Iterator[Pages]:
    p = Pages(browser)
    request.node.browser_pages = p
    yield p
    p.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    pages = getattr(item, "browser_pages", None)
    if report.when != "call" or not report.failed or pages is None:
        return
    FAILURES.mkdir(parents=True, exist_ok=True)
    saved = []
    for i, (name, page) in enumerate(pages.opened):
        path = FAILURES / f"{item.name}-{i}-{name}.png".replace("/", "_")
        try:
            page.screenshot(path=str(path), full_page=True)
            saved.append(str(path.relative_to(ROOT)))
        except Exception as err:  # the page may be gone; say so instead of hiding the failure
            saved.append(f"(no screenshot of {name}: {err})")
    if saved:
        report.sections.append(("browser screenshots", "\n".join(saved)))
        report.longrepr = f"{report.longrepr}\n\nScreenshots of the failing pages: {', '.join(saved)}"


# ---- JupyterLab ------------------------------------------------------------------------------


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path
    proc: subprocess.Popen = field(repr=False)

    def tree(self, name: str) -> str:
        # ?reset: start from an empty workspace, not the tabs an earlier test left open
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _quiet_lab_settings(settings: Path) -> None:
    """No news or update checks (they would try the network and pop up a notification)."""
    target = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    root.mkdir()
    for nb in sorted((ROOT / "notebooks").glob("0[12]_*.ipynb")):
        shutil.copy(nb, root / nb.name)
    dirs = {name: base / name for name in ("config", "data", "runtime", "settings", "workspaces")}
    for d in dirs.values():
        d.mkdir()
    (dirs["config"] / "jupyter_server_config.json").write_text(
        json.dumps({"LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}})
    )
    _quiet_lab_settings(dirs["settings"])
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
        "PYTHONHASHSEED": "0",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    port = free_port()
    token = secrets.token_hex(16)
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses root otherwise; containers and CI often are root
    log = base / "jupyterlab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
    server = Lab(f"http://127.0.0.1:{port}", token, root, log, proc)
    deadline = time.monotonic() + LAB_START_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{server.log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                msg = f"JupyterLab did not answer within {LAB_START_TIMEOUT} s:\n{server.log_tail()}"
                pytest.fail(msg, pytrace=False)
            time.sleep(0.5)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
