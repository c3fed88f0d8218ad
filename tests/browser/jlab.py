"""Driving JupyterLab 4 like a learner: open a notebook, Run All, read what each cell shows."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

RUN_TIMEOUT = 300  # s for Run All on a lesson (they run in seconds; 2 busy cores can be slow)
ROOT = Path(__file__).resolve().parents[2]

# One entry per code cell, in order: its prompt text and its outputs (preferred MIME type
# JupyterLab rendered, and whether it holds an <svg> or <img>).
READ_CELLS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')]
  .filter(c => c.classList.contains('jp-CodeCell'))
  .map(c => ({
    prompt: (c.querySelector('.jp-InputPrompt') || {}).textContent || '',
    outputs: [...c.querySelectorAll('.jp-OutputArea-output')].map(o => ({
      mime: o.getAttribute('data-mime-type') || '',
      text: o.textContent.slice(0, 300),
      svg: !!o.querySelector('svg g.node, img[src^="data:image/svg"]'),
      widget: !!o.querySelector('.jupyter-widgets'),
    })),
  }))"""


def open_notebook(page: Any, lab: Any, name: str) -> None:
    """Open `name` from the server's root and wait until its kernel is idle."""
    page.goto(lab.tree(name))
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell", timeout=60_000)
    wait_idle(page, timeout=120)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first.click(position={"x": 5, "y": 5})


IDLE = """() => { const s = document.querySelector(
             '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
           return !!s && s.getAttribute('data-status') === 'idle'; }"""
IDLE_GRACE = 20  # s the kernel may sit idle with cells left before Run All counts as stopped


def wait_idle(page: Any, timeout: float) -> None:
    page.wait_for_function(IDLE, timeout=timeout * 1000)


def menu(page: Any, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def run_all(page: Any) -> list[dict[str, Any]]:
    """Clear the stored outputs, Run All Cells, wait until every code cell has run again and the
    kernel is idle; return the cells as JupyterLab shows them."""
    menu(page, "View", "Expand All Code")  # solutions are collapsed: show their prompts too
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(f"() => ({READ_CELLS})().every(c => c.outputs.length === 0 && !/\\d/.test(c.prompt))")
    menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + RUN_TIMEOUT
    idle_since = None
    while True:
        cells = page.evaluate(READ_CELLS)
        pending = [i + 1 for i, c in enumerate(cells) if not re.search(r"\[\d+\]", c["prompt"])]
        idle = page.evaluate(IDLE)
        if not pending and idle:
            break
        idle_since = (idle_since or time.monotonic()) if idle else None
        if idle_since and time.monotonic() - idle_since > IDLE_GRACE:
            raise AssertionError(f"Run All stopped: the kernel is idle but code cells {pending} never ran")
        if time.monotonic() > deadline:
            raise AssertionError(f"Run All did not finish in {RUN_TIMEOUT} s; code cells {pending} not run")
        time.sleep(0.5)
    time.sleep(0.5)  # let the last outputs render
    return page.evaluate(READ_CELLS)


def stored_cells(path: Path) -> list[dict[str, Any]]:
    """What the stored notebook shows for each code cell: its source, tags, outputs' types."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        outputs = []
        for o in c.get("outputs", []):
            kind = o["output_type"]
            mimes = list(o.get("data", {})) if kind in ("display_data", "execute_result") else []
            outputs.append({"type": kind, "mimes": mimes, "name": o.get("name")})
        tags = c.get("metadata", {}).get("tags", [])
        cells.append({"source": "".join(c["source"]), "tags": tags, "outputs": outputs})
    return cells


def error_outputs(cells: list[dict[str, Any]]) -> list[str]:
    """Tracebacks and stderr text shown in the notebook (JupyterLab renders both as stderr)."""
    return [
        f"cell {i + 1}: {o['text'][:200]}"
        for i, c in enumerate(cells)
        for o in c["outputs"]
        if o["mime"] == "application/vnd.jupyter.stderr"
    ]
