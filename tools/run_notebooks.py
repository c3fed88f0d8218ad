"""Execute notebooks in place so their stored outputs match the code (`make notebooks`).

Runs each notebook top to bottom in its own folder with this environment's Python kernel,
then drops the per-cell execution timestamps and the widget state (random model ids), so
a re-run changes a stored file only where an output really changed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # kernel_name "python3" resolves to the interpreter running this script.
    resources = {"metadata": {"path": str(path.parent)}}
    client = NotebookClient(nb, timeout=600, kernel_name="python3", coalesce_streams=True, resources=resources)
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: python tools/run_notebooks.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    total = 0.0
    for p in paths:
        seconds = run(Path(p))
        total += seconds
        print(f"{p}: {seconds:.1f} s")
    print(f"{len(paths)} notebooks in {total:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
