"""The explorer as a JupyterLab widget (`dagviz.explore`).

anywidget, not plain ipywidgets: the explorer is browser code (clicks on SVG boxes,
Graphviz in WebAssembly), and ipywidgets 8 can only run browser code that ships as a
JupyterLab extension built with npm. anywidget's prebuilt extension loads an ES module
given as a Python string, so the same `assets/explorer.js` runs in the notebook and in
the HTML file `to_html` writes, with no build step. Opening a group needs no kernel round
trip; the open groups, the selection and the color mode are synced traits, so Python can
read (and set) what the learner has opened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

try:
    import anywidget
    import traitlets
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "dagviz.explore needs anywidget (pip install anywidget) and JupyterLab; without them, write "
        "a standalone page with dagviz.to_html(loss, 'graph.html') and open it in a browser."
    ) from err

from .browser import css, esm
from .graph import Graph


class Source(Protocol):
    """What the widget shows: a `dagviz.explore.ExplorerData`. Only what it uses is named here,
    so this module does not import `explore` (which imports this one to make the widget)."""

    @property
    def graph(self) -> Graph: ...

    @property
    def groups(self) -> Mapping[str, Any]: ...

    def to_json(self) -> dict[str, Any]: ...

    def view(self, expanded: Iterable[str] = ()) -> Graph: ...


class Explorer(anywidget.AnyWidget):
    """Pan/zoom, open groups, details and saved bytes, search, color by saved bytes.

    expanded: ids of the open groups (set it to open some from Python).
    selected: id of the box whose details are shown. color_by: "kind" or "saved".
    data: the plain `ExplorerData`, as `explorer.data`.
    """

    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode().tag(sync=True)
    graph = traitlets.Dict().tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    color_by = traitlets.Enum(("kind", "saved"), default_value="kind").tag(sync=True)
    height = traitlets.Int(560).tag(sync=True)

    def __init__(self, data: Source, *, height: int = 560) -> None:
        self.data = data
        super().__init__(_esm=esm(), _css=css(), graph=data.to_json(), height=height)

    def view(self) -> Graph:
        """The graph drawn now (with the groups in `expanded` open), as plain data."""
        return self.data.view(self.expanded)

    def __repr__(self) -> str:
        shown, total = len(self.data.view(self.expanded).nodes), len(self.data.graph.nodes)
        return f"<dagviz explorer: {shown} boxes of {total} nodes, {len(self.data.groups)} groups>"
