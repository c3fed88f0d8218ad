"""dagviz: see the autograd graph behind any PyTorch tensor.

    import dagviz
    dagviz.draw(loss, params=model)      # graphviz picture, inline in Jupyter
    print(dagviz.text(loss))             # the same graph as a text tree
    graph = dagviz.trace(loss)           # plain data: nodes, edges, roots
"""

from .draw import draw
from .graph import Edge, Graph, Node
from .render import DotNotFoundError
from .text import text
from .trace import trace

__all__ = ["DotNotFoundError", "Edge", "Graph", "Node", "draw", "text", "trace"]
__version__ = "0.1.0"
