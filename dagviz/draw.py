"""`draw`: the one entry point that turns tensors into a picture."""

from __future__ import annotations

from collections.abc import Mapping

from torch import nn

from .graph import Graph
from .inputs import Params, Roots
from .layout import BUDGET, fit
from .render import DagGraph, require_dot, to_digraph
from .trace import trace

MAX_NODES = 1500  # beyond this a picture is a wall: collapse with depth= or summarise


def module_types(params: Params) -> dict[str, str] | None:
    """Module path -> class name when `params` is a model, to name collapsed boxes."""
    if isinstance(params, nn.Module):
        return {name: type(m).__name__ for name, m in params.named_modules()}
    return None


def prepare(
    roots: Roots | Graph,
    params: Params = None,
    show_saved: bool = False,
    show_grad: bool = False,
    depth: int | None = None,
    *,
    max_nodes: int | None = MAX_NODES,
    budget: float | None = BUDGET,
) -> Graph:
    """The `Graph` that `draw` pictures: traced, collapsed to `depth`, summarised if too big,
    then fitted to the layout budget (`dagviz.layout.fit`).

    roots may also be a `Graph` from `dagviz.trace` (then show_saved/show_grad were decided
    when it was traced). `diff` and `steps` go through the same steps, so a box looks the same
    in every picture.
    """
    graph = roots if isinstance(roots, Graph) else trace(roots, params, saved=show_saved, grads=show_grad)
    modules: Mapping[str, str] | None = module_types(params)
    if depth is not None:
        from .collapse import collapse

        graph = collapse(graph, depth, modules)
    if max_nodes is not None and len(graph.nodes) > max_nodes:
        from .collapse import summarize

        graph = summarize(graph, max_nodes)
    return fit(graph, budget, modules=modules, fold=max_nodes is not None)


def build(
    roots: Roots,
    params: Params = None,
    show_saved: bool = False,
    show_grad: bool = False,
    depth: int | None = None,
    *,
    max_nodes: int | None = MAX_NODES,
    budget: float | None = BUDGET,
    title: str | None = None,
    graph_attr: dict[str, str] | None = None,
) -> DagGraph:
    """Like `draw` but without checking for Graphviz: enough to write `.dot` source."""
    graph = prepare(roots, params, show_saved, show_grad, depth, max_nodes=max_nodes, budget=budget)
    return to_digraph(graph, show_grad=show_grad, title=title, graph_attr=graph_attr)


def draw(
    roots: Roots,
    params: Params = None,
    show_saved: bool = False,
    show_grad: bool = False,
    depth: int | None = None,
    *,
    max_nodes: int | None = MAX_NODES,
    budget: float | None = BUDGET,
    title: str | None = None,
    graph_attr: dict[str, str] | None = None,
) -> DagGraph:
    """Draw the backward graph of `roots` as a graphviz Digraph (inline in Jupyter).

    roots: a tensor, or a tuple/list/dict of tensors (dict keys label the outputs).
    params: an nn.Module or mapping name -> tensor, to name leaves and frozen inputs.
    show_saved: also draw the tensors each node saved for backward (freed ones dashed).
    show_grad: label leaves (and roots that keep .grad) with their gradient.
    depth: with a model run under `dagviz.track(model)`, collapse modules below this depth.
    max_nodes: larger graphs are folded into a summary; None draws every node (long edges may
        still become notes to stay within `budget`).
    budget: layout cost allowed (`dagviz.layout`); a costlier graph is simplified, and the
        picture says how. None lays out everything as is, however long Graphviz takes.
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
        budget=budget,
        title=title,
        graph_attr=graph_attr,
    )
