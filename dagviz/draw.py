"""`draw`: the one entry point that turns tensors into a picture."""

from __future__ import annotations

from torch import nn

from .graph import Graph
from .inputs import Params, Roots
from .render import DagGraph, require_dot, to_digraph
from .trace import trace

MAX_NODES = 1500  # beyond this a picture is a wall: collapse with depth= or summarise


def prepare(
    roots: Roots,
    params: Params = None,
    show_saved: bool = False,
    show_grad: bool = False,
    depth: int | None = None,
    *,
    max_nodes: int | None = MAX_NODES,
) -> Graph:
    """The `Graph` that `draw` pictures: traced, collapsed to `depth`, summarised if too big."""
    graph = trace(roots, params, saved=show_saved, grads=show_grad)
    if depth is not None:
        from .collapse import collapse

        modules = None
        if isinstance(params, nn.Module):
            modules = {name: type(m).__name__ for name, m in params.named_modules()}
        graph = collapse(graph, depth, modules)
    if max_nodes is not None and len(graph.nodes) > max_nodes:
        from .collapse import summarize

        graph = summarize(graph, max_nodes)
    return graph


def build(
    roots: Roots,
    params: Params = None,
    show_saved: bool = False,
    show_grad: bool = False,
    depth: int | None = None,
    *,
    max_nodes: int | None = MAX_NODES,
    title: str | None = None,
    graph_attr: dict[str, str] | None = None,
) -> DagGraph:
    """Like `draw` but without checking for Graphviz: enough to write `.dot` source."""
    graph = prepare(roots, params, show_saved, show_grad, depth, max_nodes=max_nodes)
    return to_digraph(graph, show_grad=show_grad, title=title, graph_attr=graph_attr)


def draw(
    roots: Roots,
    params: Params = None,
    show_saved: bool = False,
    show_grad: bool = False,
    depth: int | None = None,
    *,
    max_nodes: int | None = MAX_NODES,
    title: str | None = None,
    graph_attr: dict[str, str] | None = None,
) -> DagGraph:
    """Draw the backward graph of `roots` as a graphviz Digraph (inline in Jupyter).

    roots: a tensor, or a tuple/list/dict of tensors (dict keys label the outputs).
    params: an nn.Module or mapping name -> tensor, to name leaves and frozen inputs.
    show_saved: also draw the tensors each node saved for backward (freed ones dashed).
    show_grad: label leaves (and roots that keep .grad) with their gradient.
    depth: with a model run under `dagviz.track(model)`, collapse modules below this depth.
    max_nodes: larger graphs are folded into a summary; None draws everything.
    See `dagviz.render` for the color legend.
    """
    require_dot()
    return build(
        roots,
        params,
        show_saved,
        show_grad,
        depth,
        max_nodes=max_nodes,
        title=title,
        graph_attr=graph_attr,
    )
