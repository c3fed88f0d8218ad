"""Keep Graphviz fast on any graph: estimate the layout's cost before `dot` runs, and when it is
over budget, simplify the picture honestly and say so in it.

Why: dot puts every node on a rank (inputs on top, outputs at the bottom) and turns an edge that
spans k ranks into k - 1 hidden nodes, which crossing minimisation and positioning then place like
real ones. A DenseNet's concatenations (every layer reads every earlier output) make tens of
thousands of them: minutes of layout for 800 boxes. So we rank the graph in Python the way dot
would, count what dot will have to place, and over budget:

1. too many boxes even with short edges: collapse by module (when the forward ran under
   `dagviz.track`) at the deepest depth that fits, else fold repeated steps (`summarize`);
2. long edges: each edge spanning more than a few ranks is replaced by a short "from #k" note
   above its consumer, and the box it comes from is marked "#k" (one note per consumer lists
   all its far inputs, so a concatenation of 40 earlier outputs gets one note, not 40 arrows).

Every traced node stays drawn or counted in a labelled group, every traced edge stays drawn or
listed in a note, and `Graph.notes` says what was done (`render` prints it in the caption).
benchmarks/layout_strategies.md has the measurements behind the choice and the constants.

The explorer (`dagviz.explore`) lays out views in the browser with a port of the shortening step
(`assets/explorer.js`); `rule` hands it this module's numbers and words, and `fold_for` is the
folding step alone, which it applies to the first view in Python.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from .collapse import collapse, deepest, depths, summarize
from .graph import Edge, Graph, Node

SHARED_LEAF_USES = 4  # a leaf with at least this many consumers is drawn once per use...
SHARED_LEAF_MIN_NODES = 100  # ...but only in graphs this big; small ones lay out fast anyway

# Cost model (benchmarks/layout_strategies.md): dot's time grows with the square of what it
# places, boxes plus the hidden nodes of long edges, which cost more than boxes because they
# multiply the iterations of dot's positioning. Fitted to dot 2.43's CPU time on torchvision's
# models and synthetic graphs so that it rather overestimates: seconds ~ (units / 1600) ** 2.
HIDDEN_WEIGHT = 1.5  # units per hidden node (a box is 1)
UNITS_PER_SECOND = 1600.0  # units dot lays out in about one second of CPU
BUDGET = 1600.0  # units: about a second of dot, so build + layout stay under 2 s
SPANS = (8, 3, 1)  # shorten edges longer than this many ranks: the first that fits the budget
CUT_ROUNDS = 4  # rank again and cut again at most this many times (see `_cut`)

# What the caption says (`fit`; the explorer writes the same words for the views it lays out).
CAPTION = "layout budget: {}. budget=None draws everything as is."  # {}: the notes, joined by "; "
CUT_NOTE = "{} long edges drawn as 'from #k' notes (#k marks the box they come from)"
OVER_NOTE = "still over budget with every box kept, so Graphviz may take a while"


def is_summary(graph: Graph) -> bool:
    """Whether `graph` has a box of folded steps (`collapse.summarize`, or a chunk of one in the
    explorer): steps it does not draw use the graph's leaves too."""
    return any(n.kind == "group" and "total_nodes" in n.attrs for n in graph.nodes)


def shared_leaves(graph: Graph) -> set[str]:
    """Leaves (and constants) drawn once per use: many consumers in a big graph.

    A weight shared by every step of an unrolled RNN would otherwise send one edge per step
    across the whole picture; drawn once per use, each copy sits right above its consumer.
    """
    uses: dict[str, int] = {}
    for e in graph.edges:
        uses[e.src] = uses.get(e.src, 0) + 1
    # A folded summary stands for a big graph: its shared weights still span it top to bottom.
    if not is_summary(graph) and len(graph.nodes) < SHARED_LEAF_MIN_NODES:
        return set()
    return {n.id for n in graph.nodes if n.kind in ("leaf", "nograd") and uses.get(n.id, 0) >= SHARED_LEAF_USES}


def ranks(graph: Graph, shared: set[str] | None = None) -> dict[str, int]:
    """The rank dot would roughly give each node: 0 for the outputs, growing toward the inputs.

    Longest path up from the outputs (`collapse.depths`: each node right above its topmost
    consumer), then a node with more inputs than consumers moves up next to its lowest input,
    which is how dot's network simplex shortens edges. Shared leaves are drawn once per use, so
    their edges constrain nothing.
    """
    shared = shared_leaves(graph) if shared is None else shared
    longest = depths(graph, skip=shared)
    inputs: dict[str, list[str]] = {}
    consumers: dict[str, int] = {}
    for e in graph.edges:
        if e.src not in shared:
            inputs.setdefault(e.dst, []).append(e.src)
            consumers[e.src] = consumers.get(e.src, 0) + 1
    rank = dict(longest)
    for nid, ins in inputs.items():  # each from the longest paths alone, so in any order
        if len(ins) > consumers.get(nid, 0):
            rank[nid] = max(longest[nid], min(longest[s] for s in ins) - 1)
    return rank


@dataclass(frozen=True)
class Cost:
    """What dot will have to place, estimated before it runs.

    boxes: nodes drawn (a shared leaf once per use); hidden: the extra ranks long edges cross
    (dot's virtual nodes); long_edges: edges spanning more than one rank.
    """

    boxes: int
    edges: int
    ranks: int
    long_edges: int
    hidden: int

    @property
    def units(self) -> float:
        return self.boxes + HIDDEN_WEIGHT * self.hidden

    @property
    def seconds(self) -> float:
        """Rough CPU seconds of `dot -Tsvg` (a busy machine takes longer)."""
        return (self.units / UNITS_PER_SECOND) ** 2


def _cost(graph: Graph, rank: Mapping[str, int], shared: set[str], cut: Collection[int] = ()) -> Cost:
    """The cost of `graph` with the edges at indices `cut` replaced by one note per consumer."""
    cut = cut if isinstance(cut, (set, frozenset)) else set(cut)
    boxes = len(graph.nodes) - len(shared) + len({graph.edges[i].dst for i in cut})
    hidden = long_edges = 0
    for i, e in enumerate(graph.edges):
        if e.src in shared:
            boxes += 1
        elif i not in cut and rank[e.src] - rank[e.dst] > 1:
            long_edges += 1
            hidden += rank[e.src] - rank[e.dst] - 1
    used = len({rank[n.id] for n in graph.nodes})
    return Cost(boxes, len(graph.edges) - len(cut), used, long_edges, hidden)


def estimate(graph: Graph) -> Cost:
    """The layout cost of `graph` as drawn by `render.to_digraph`, without running dot."""
    shared = shared_leaves(graph)
    return _cost(graph, ranks(graph, shared), shared)


# ---- shorten long edges ---------------------------------------------------------------------


def _ranges(marks: Iterable[int]) -> str:
    """[1, 2, 3, 5] -> "#1-#3, #5"."""
    out: list[str] = []
    run: list[int] = []
    for m in [*sorted(set(marks)), None]:
        if run and m is not None and m == run[-1] + 1:
            run.append(m)
            continue
        if run:
            out.append(f"#{run[0]}" if len(run) == 1 else f"#{run[0]}-#{run[-1]}")
        run = [] if m is None else [m]
    return ", ".join(out)


def _view(graph: Graph, cut: set[int]) -> Graph:
    """`graph` with the edges in `cut` replaced by one placeholder note per consumer (for ranking)."""
    dsts = dict.fromkeys(graph.edges[i].dst for i in cut)
    notes = [Node("\0from " + d, "ref", "") for d in dsts]
    edges = [e for i, e in enumerate(graph.edges) if i not in cut]
    return Graph(graph.nodes + notes, edges + [Edge(n.id, d, "ref") for n, d in zip(notes, dsts, strict=True)], [])


def _cut(
    graph: Graph, shared: set[str], max_span: int, rank: dict[str, int] | None = None, rounds: int = CUT_ROUNDS
) -> tuple[set[int], dict[str, int]]:
    """The edges to draw as notes so that no edge spans more than `max_span` ranks, and the ranks
    of the picture once they are notes.

    A leaf or constant keeps the edge to its nearest consumer (it has nothing else to hang from).
    Cutting edges lets dot move nodes (a node with more inputs than consumers rises toward its
    inputs), which can stretch edges that were short: so rank again and cut again, a few times.
    """
    rank = ranks(graph, shared) if rank is None else rank
    anchored = {e.dst for e in graph.edges}  # nodes with an input
    cut: set[int] = set()
    for _ in range(rounds):
        nearest: dict[str, tuple[int, int]] = {}  # src -> (span, index) of its shortest edge
        for i, e in enumerate(graph.edges):
            span = rank[e.src] - rank[e.dst]
            if i not in cut and (e.src not in nearest or span < nearest[e.src][0]):
                nearest[e.src] = (span, i)
        more = {
            i
            for i, e in enumerate(graph.edges)
            if i not in cut
            and e.src not in shared
            and rank[e.src] - rank[e.dst] > max_span
            and (e.src in anchored or nearest[e.src][1] != i)
        }
        if not more:
            break
        cut |= more
        view = _view(graph, cut)
        rank = ranks(view, shared)
    return cut, rank


def _shortened(graph: Graph, rank: Mapping[str, int], cut: set[int]) -> Graph:
    if not cut:
        return graph
    sources = {graph.edges[i].src for i in cut}
    position = {n.id: i for i, n in enumerate(graph.nodes)}
    # Marks count from the top of the picture (the inputs), where a reader starts.
    top_down = sorted(sources, key=lambda nid: (-rank[nid], position[nid]))
    mark = {nid: k for k, nid in enumerate(top_down, start=1)}
    by_dst: dict[str, list[Edge]] = {}
    for i in cut:
        by_dst.setdefault(graph.edges[i].dst, []).append(graph.edges[i])
    taken = set(position)
    nodes: list[Node] = []
    refs: list[Node] = []
    ref_of: dict[str, str] = {}
    for n in graph.nodes:
        if n.id in mark:
            n = dataclasses.replace(n, attrs={**n.attrs, "mark": mark[n.id]})
        nodes.append(n)
        far = by_dst.get(n.id)
        if far:
            rid = f"{n.id}_from"
            while rid in taken:
                rid += "_"
            taken.add(rid)
            ref_of[n.id] = rid
            edges_attr = tuple((e.src, e.kind, e.slot) for e in far)
            label = "from " + _ranges(mark[e.src] for e in far)
            refs.append(Node(rid, "ref", label, attrs={"edges": edges_attr, "count": len(far)}))
    edges = [e for i, e in enumerate(graph.edges) if i not in cut]
    edges += [Edge(ref_of[dst], dst, "ref") for dst in ref_of]
    return Graph(nodes + refs, edges, list(graph.roots), list(graph.notes))


def shorten(graph: Graph, max_span: int) -> Graph:
    """Replace every edge spanning more than `max_span` ranks by a "from #k" note.

    The box a far edge came from gets a mark ``attrs["mark"] = k`` (counted from the top) and each
    consumer one "ref" node right above it whose ``attrs["edges"]`` lists the edges it stands
    for, so nothing is lost: a reader follows "#k" up the picture instead of an arrow.
    """
    shared = shared_leaves(graph)
    cut, rank = _cut(graph, shared, max_span)
    return _shortened(graph, rank, cut)


# ---- fold -------------------------------------------------------------------------------------


def _short_cost(graph: Graph) -> float:
    """Units of `graph` once every long edge is shortened: what no amount of shortening removes."""
    shared = shared_leaves(graph)
    cut, rank = _cut(graph, shared, 1)
    return _cost(graph, rank, shared, cut).units


def _fold(graph: Graph, budget: float, modules: Mapping[str, str] | None) -> tuple[Graph, str]:
    """Fewer boxes: by module when known (deepest depth that fits), else fold the middle."""
    for depth in range(deepest(graph), 0, -1):
        small = collapse(graph, depth, modules)
        if _short_cost(small) <= budget:
            hidden = len(graph.nodes) - len(small.nodes)
            return small, f"modules collapsed to depth {depth} ({hidden} boxes fewer)"
    target = len(graph.nodes)
    small = graph
    while target > 8:
        target = max(8, int(target * min(0.8, budget / max(_short_cost(small), 1.0))))
        small = summarize(graph, target)
        if _short_cost(small) <= budget:
            break
    folded = sum(int(n.attrs.get("count", 0)) for n in small.nodes if n.kind == "group" and "total_nodes" in n.attrs)
    return small, f"{folded} nodes folded into a khaki box"


def fit(
    graph: Graph, budget: float | None = BUDGET, *, modules: Mapping[str, str] | None = None, fold: bool = True
) -> Graph:
    """The graph to give Graphviz: `graph` itself when it lays out within `budget`, else a copy
    simplified until it does, whose `notes` say what changed (shown in the caption).

    budget: cost units (see `estimate`); None never simplifies. modules: module path -> class
    name (e.g. from `model.named_modules()`), to name the boxes when collapsing by module.
    fold: False keeps every box (only long edges become notes), e.g. for `draw(max_nodes=None)`.
    Deterministic; a graph within budget (as `fit` returns them) is returned as is.
    """
    if budget is None:
        return graph
    shared = shared_leaves(graph)
    rank = ranks(graph, shared)
    if _cost(graph, rank, shared).units <= budget:
        return graph
    notes: list[str] = []
    cuts = {1: _cut(graph, shared, 1, rank)}  # the most any shortening can do
    if fold and _cost(graph, cuts[1][1], shared, cuts[1][0]).units > budget:
        graph, note = _fold(graph, budget, modules)
        notes.append(note)
        shared = shared_leaves(graph)
        rank = ranks(graph, shared)
        cuts = {}
    cut: set[int] = set()
    units = _cost(graph, rank, shared).units
    for max_span in SPANS if units > budget else ():  # the mildest shortening that fits
        cut, cut_rank = cuts.get(max_span) or _cut(graph, shared, max_span, rank)
        units = _cost(graph, cut_rank, shared, cut).units
        if units <= budget:
            break
    if cut:
        graph = _shortened(graph, cut_rank, cut)
        notes.append(CUT_NOTE.format(len(cut)))
    if units > budget:
        notes.append(OVER_NOTE)
    text = CAPTION.format("; ".join(notes))
    return Graph(graph.nodes, graph.edges, graph.roots, [*graph.notes, text])


def fold_for(
    graph: Graph, budget: float | None = BUDGET, modules: Mapping[str, str] | None = None
) -> tuple[Graph, str] | None:
    """The first step of `fit` alone: the graph with fewer boxes that `fit` would go on to shorten,
    and the note saying so; None when `fit` keeps every box (within budget, or shortening suffices).

    The explorer turns the new boxes into groups a click opens, and lays out each view with the
    second step (shortening) in the browser: `rule` hands it the numbers and words.
    """
    if budget is None:
        return None
    shared = shared_leaves(graph)
    rank = ranks(graph, shared)
    if _cost(graph, rank, shared).units <= budget:
        return None
    cut, cut_rank = _cut(graph, shared, 1, rank)
    if _cost(graph, cut_rank, shared, cut).units <= budget:
        return None
    return _fold(graph, budget, modules)


def rule() -> dict[str, object]:
    """This module's constants and caption words as plain data, for the explorer's browser code,
    which ports `shared_leaves`, `ranks`, `_cost`, `_cut`, `_shortened` and the shortening half of
    `fit` (a browser test checks that it writes the DOT `fit` + `render.to_digraph` write)."""
    return {
        "shared_uses": SHARED_LEAF_USES,
        "shared_min_nodes": SHARED_LEAF_MIN_NODES,
        "hidden_weight": HIDDEN_WEIGHT,
        "budget": BUDGET,
        "spans": list(SPANS),
        "rounds": CUT_ROUNDS,
        "caption": CAPTION,
        "cut_note": CUT_NOTE,
        "over_note": OVER_NOTE,
    }


def carry_edge_attrs(graph: Graph, drawn: Graph, edge_attrs: Mapping[int, dict[str, str]]) -> dict[int, dict[str, str]]:
    """Re-key `to_digraph`'s edge_attrs (index in `graph.edges`) for `drawn = fit(graph)`.

    Edges `fit` kept are the same `Edge` values; attributes of edges it left out are dropped.
    """
    if drawn is graph:
        return dict(edge_attrs)
    where = {e: i for i, e in enumerate(drawn.edges)}
    out: dict[int, dict[str, str]] = {}
    for i, attrs in edge_attrs.items():
        j = where.get(graph.edges[i])
        if j is not None:
            out[j] = attrs
    return out
