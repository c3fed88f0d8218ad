"""dagviz: see the autograd graph behind any PyTorch tensor.

    import dagviz
    dagviz.draw(loss, params=model)      # graphviz picture, inline in Jupyter
    print(dagviz.text(loss))             # the same graph as a text tree
    graph = dagviz.trace(loss)           # plain data: nodes, edges, roots

Teaching extras:

    steps = dagviz.record_backward(loss)          # the real backward, step by step
    dagviz.step_through(loss)                     # the same as a Play/slider widget
    with dagviz.track(model): loss = model(x).sum()
    dagviz.draw(loss, params=model, depth=1)      # one box per top-level module
    dagviz.diff(before, after, params=model)      # what freezing/detach removed
    dagviz.explore(loss, params=model, depth=1)   # click to open modules, saved bytes (JupyterLab)
    dagviz.to_html(loss, "graph.html", params=model, depth=1)  # the same, one offline HTML file
"""

from . import collapse, layout, steps
from .diff import diff
from .draw import draw
from .explore import explore, to_html
from .graph import Edge, Graph, Node
from .render import DotNotFoundError
from .steps import record_backward, step_through
from .text import text
from .trace import trace
from .track import track

__all__ = [
    "DotNotFoundError",
    "Edge",
    "Graph",
    "Node",
    "collapse",
    "diff",
    "draw",
    "explore",
    "layout",
    "record_backward",
    "step_through",
    "steps",
    "text",
    "to_html",
    "trace",
    "track",
]
__version__ = "0.1.0"
