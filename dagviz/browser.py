"""The explorer's browser side as text: its files (`assets/`) and the standalone HTML page.

`explore.to_html` writes `html(...)` to a file; the JupyterLab widget (`widget.py`) hands
`esm()` and `css()` to anywidget. Both run the same `assets/explorer.js` on the same JSON
(`ExplorerData.to_json`). Nothing here knows about graphs: it only packs text.
"""

from __future__ import annotations

import html as _html
import json
from pathlib import Path
from typing import Any

ASSETS = Path(__file__).parent / "assets"


def asset(name: str) -> str:
    """The text of one browser file, with a clear error when a broken install lost it."""
    path = ASSETS / name
    if not path.is_file():
        raise FileNotFoundError(
            f"dagviz: the explorer's browser file {name} is missing from {ASSETS}. Reinstall dagviz, or from a "
            "checkout run `python tools/vendor_assets.py`."
        )
    return path.read_text(encoding="utf-8")


def _js_string(text: str) -> str:
    """A JavaScript string literal safe inside an HTML <script> (no `</script`, no `<!--`)."""
    return json.dumps(text).replace("<", "\\u003c")


def esm() -> str:
    """The explorer as one ES module (anywidget's format): Graphviz-in-WebAssembly inlined as a string."""
    return f"const GRAPHVIZ_SOURCE = {_js_string(asset('graphviz.js'))};\n" + asset("explorer.js")


def css() -> str:
    return asset("explorer.css")


def html(payload: dict[str, Any], title: str | None = None) -> str:
    """One self-contained HTML page showing the explorer on `payload`: no network, works from file://."""
    data = json.dumps(payload, separators=(",", ":")).replace("<", "\\u003c")
    heading = _html.escape(title or "dagviz explorer")
    module = esm()
    if "</script" in module.lower():
        raise ValueError("dagviz: explorer.js must not contain '</script' (it is inlined into HTML)")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{heading}</title>\n<meta name=\"generator\" content=\"dagviz explorer\">\n"
        f"<style>\nhtml, body {{ margin: 0; height: 100%; }}\n{css()}\n</style>\n</head>\n<body>\n"
        "<div id=\"dagviz-explorer\" class=\"dagviz-page\"></div>\n"
        f"<script type=\"application/json\" id=\"dagviz-data\">{data}</script>\n"
        "<script type=\"module\">\n"
        f"{module}\n"
        "standalone(document.getElementById(\"dagviz-explorer\"), "
        "JSON.parse(document.getElementById(\"dagviz-data\").textContent));\n"
        "</script>\n</body>\n</html>\n"
    )
