"""`explore` and `to_html`: the backward graph in a browser, where a click opens a module.

Python does the walking once and hands plain data to the browser: the full traced graph,
every group a click can open (one level of groups per module depth from `depth` down, and
folded repetition on top), the DOT label and legend style `render` gives each box, details
for the side panel, and the bytes of every saved tensor. The browser (`assets/explorer.js`)
does the rest without Python: it picks what is visible, writes DOT and lays it out with
Graphviz compiled to WebAssembly (vendored in `assets/`, see `assets/SOURCES.json`). So a
notebook widget and a standalone HTML file are the same program, and expanding a group in
a file opened from disk works offline.

A view is defined by the set of expanded groups. Each node of the full graph is shown as
the outermost group around it that is still collapsed (or as itself), and edges follow
`collapse.regroup`'s rule (`ExplorerData.shown`). Then the layout budget applies as in `draw`:
`dagviz.layout`'s rule, ported to the browser, draws far inputs as "from #k" notes when a view
costs too much (`ExplorerData.view`). Where `draw` would also have folded the first view
(`layout.fold_for`: collapse by module, or fold repetition), those boxes are groups here. So
the first view is exactly what `draw` pictures, and opening every group at depth k shows
`collapse(graph, k + 1)`, laid out under the same budget.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from . import browser, layout
from .collapse import collapse, deepest, levels, regroup, summarize
from .draw import MAX_NODES, module_types
from .graph import Edge, Graph, Node
from .inputs import Params, Roots
from .kinds import EDGES, KINDS, NOTE_WIDTH, grad_str, look_of, shape_str
from .layout import BUDGET, fit, fold_for
from .render import CAPTION_WIDTH, EDGE_ATTR, GRAPH_ATTR, NODE_ATTR, label
from .trace import trace

FORMAT_VERSION = 3
FOLD_CHUNK = 150  # boxes at most behind one click on a chunk of folded steps (benchmarks/results_explore.md)
FOLD_FANOUT = 12  # chunks at most behind one click on a fold, or on a run of chunks
LEGEND_WIDTH = 28  # characters per line in the explorer's legend boxes


# ---- memory -------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def itemsize(dtype: str) -> int:
    """Bytes per element of a dtype named like `TensorMeta.dtype` ("float32")."""
    dt = getattr(torch, dtype, None)
    return dt.itemsize if isinstance(dt, torch.dtype) else 0


def tensor_bytes(shape: tuple[int, ...] | None, dtype: str | None) -> int:
    if shape is None or dtype is None:
        return 0
    return math.prod(shape) * itemsize(dtype)


@dataclass(frozen=True)
class Memory:
    """Bytes of saved tensors: activations (what backward keeps alive beyond the parameters),
    parameters (held anyway), and activations counting each shared storage once."""

    activations: int = 0
    params: int = 0
    distinct: int = 0
    tensors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"activations": self.activations, "params": self.params, "distinct": self.distinct,
                "tensors": self.tensors}


def memory(nodes: Iterable[Node]) -> Memory:
    """Saved-tensor bytes of `nodes` (freed ones count 0: backward already let them go)."""
    acts = params = count = unnumbered = 0
    by_storage: dict[int, int] = {}
    for n in nodes:
        for s in n.saved:
            if s.freed:
                continue
            b = tensor_bytes(s.shape, s.dtype)
            count += 1
            if s.param:
                params += b
                continue
            acts += b
            if s.storage is None:
                unnumbered += b
            else:
                by_storage[s.storage] = max(by_storage.get(s.storage, 0), b)
    return Memory(acts, params, sum(by_storage.values()) + unnumbered, count)


# ---- the data a view is made from ----------------------------------------------------------


@dataclass
class Group:
    """A box a click opens. `members`: every node of the full graph inside it, at any depth."""

    node: Node
    level: int  # 0 = outermost (folded repetition, or modules at `depth`), then one per depth
    parent: str | None
    members: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.node.id


@dataclass
class ExplorerData:
    """Everything the browser needs, as plain data; `view` computes what a set of open groups draws."""

    graph: Graph  # the full traced graph: what opening every group shows
    groups: dict[str, Group]  # in level order
    chains: dict[str, tuple[str, ...]]  # full node id -> the groups around it, outermost first
    show_grad: bool = False
    title: str | None = None
    max_view: int | None = MAX_NODES
    budget: float | None = BUDGET  # layout cost units (`dagviz.layout`); None lays out every view as is
    # When the layout budget folded the first view (`layout.fold_for`): the graph `draw` hands to
    # `layout.fit` (before folding), the module types that name its boxes, and what the caption says.
    unfolded: Graph | None = None
    modules: Mapping[str, str] | None = None
    fold_notes: tuple[str, ...] = ()

    def visible_groups(self, expanded: Iterable[str] = ()) -> set[str]:
        """Groups drawn as a box: collapsed, with every group around them open."""
        opened = set(expanded)
        shown = set()
        for gid, g in self.groups.items():
            if gid in opened:
                continue
            p = g.parent
            while p is not None and p in opened:
                p = self.groups[p].parent
            if p is None:
                shown.add(gid)
        return shown

    def representative(self, expanded: Iterable[str] = ()) -> dict[str, str]:
        """Full node id -> id of what stands for it in the view (itself or a group)."""
        shown = self.visible_groups(expanded)
        rep = {}
        for n in self.graph.nodes:
            rep[n.id] = next((g for g in self.chains.get(n.id, ()) if g in shown), n.id)
        return rep

    def shown(self, expanded: Iterable[str] = ()) -> Graph:
        """The boxes and edges shown when the groups in `expanded` are open, before the layout budget."""
        rep = self.representative(expanded)
        used = set(rep.values())
        order = [gid for gid in self.groups if gid in used]
        index = {gid: i for i, gid in enumerate(order)}
        member_of = {nid: index[r] for nid, r in rep.items() if r in index}
        return regroup(self.graph, member_of, [self.groups[gid].node for gid in order])

    def view(self, expanded: Iterable[str] = ()) -> Graph:
        """The graph drawn when the groups in `expanded` are open (`()`: the first view, `draw`'s graph).

        `layout.fit` without folding: far inputs become "from #k" notes when the view is over budget.
        The first view is `draw`'s own last step, `fit` of what it would fold. The browser computes
        the same from `shown` and `fold_notes` (`assets/explorer.js`, checked by a browser test).
        """
        opened = set(expanded)
        first = not any(self.groups[g].parent is None for g in opened if g in self.groups)  # no frame drawn
        if first and self.unfolded is not None:
            return fit(self.unfolded, self.budget, modules=self.modules)
        return fit(self.shown(opened), self.budget, fold=False)

    def to_json(self) -> dict[str, Any]:
        """The JSON the browser code reads (format described in `assets/explorer.js`)."""
        by_id = {n.id: n for n in self.graph.nodes}
        nodes = []
        for n in self.graph.nodes:
            item: dict[str, Any] = {"id": n.id, "kind": n.kind, **_drawn(n, self.show_grad), "info": _info(n)}
            if self.chains.get(n.id):
                item["chain"] = list(self.chains[n.id])
            nodes.append(item)
        groups = []
        for gid, g in self.groups.items():
            info = _info(g.node)
            info["count"] = len(g.members)
            info["memory"] = memory(by_id[m] for m in g.members).as_dict()
            groups.append({"id": gid, "level": g.level, "parent": g.parent, **_drawn(g.node, self.show_grad),
                           "info": info})
        graph_attr = {k: v for k, v in GRAPH_ATTR.items() if k != "size"}  # the browser zooms instead
        return {
            "format": FORMAT_VERSION,
            "title": self.title,
            "nodes": nodes,
            "groups": groups,
            "edges": [[e.src, e.dst, e.kind, e.slot] for e in self.graph.edges],
            "roots": list(self.graph.roots),
            "graph_attr": graph_attr,
            "node_attr": NODE_ATTR,
            "edge_attr": EDGE_ATTR,
            "edge_style": EDGES,
            "looks": {name: k.style for name, k in KINDS.items()},
            "layout": self.layout_rule(),
            "legend": [
                {"kind": k.name, "text": "\n".join(textwrap.wrap(k.legend, LEGEND_WIDTH)), "style": k.style}
                for k in KINDS.values()
            ],
            "max_view": self.max_view,
            "total": memory(self.graph.nodes).as_dict(),
        }

    def layout_rule(self) -> dict[str, Any]:
        """`dagviz.layout`'s numbers and words, and the styles `render` draws its notes with."""
        return {
            **layout.rule(),
            "budget": self.budget,  # this explorer's budget (None: never simplify)
            "first_notes": list(self.fold_notes),  # what folding the first view did
            "caption_width": CAPTION_WIDTH,
            "note_width": NOTE_WIDTH,
            "note_style": KINDS["ref"].style,
            "shared_leaf_style": KINDS["shared"].style,
            "shared_nograd_style": KINDS["nograd"].style,
        }


def _drawn(n: Node, show_grad: bool) -> dict[str, Any]:
    """The box `render` draws: its text, and its row in `kinds.KINDS` (the page has their styles)."""
    return {"label": label(n, show_grad), "look": look_of(n)}


def _without_false(d: dict[str, Any]) -> dict[str, Any]:
    """`d` without its False and None values: the browser reads a missing one as such."""
    return {k: v for k, v in d.items() if v is not None and v is not False}


def _info(n: Node) -> dict[str, Any]:
    """What the details panel shows for one box (the browser adds its id and kind). Zeros, False
    and None are left out of saved tensors and memory, which every node of a big graph has."""
    info: dict[str, Any] = {"name": n.name}
    if n.module is not None:
        info["module"] = n.module or "(the model itself)"
    for key in ("type", "param", "frozen", "freed", "modified", "folded_steps", "total_nodes"):
        if key in n.attrs:
            info[key] = n.attrs[key]
    if n.tensor is not None:
        t = n.tensor
        info["tensor"] = {"label": t.label, "shape": shape_str(t.shape), "dtype": t.dtype,
                          "requires_grad": t.requires_grad, "view": t.is_view,
                          "bytes": tensor_bytes(t.shape, t.dtype)}
        if t.grad is not None:
            info["grad"] = {"text": grad_str(t.grad), "shape": shape_str(t.grad.shape), "norm": t.grad.norm,
                            "values": list(t.grad.values) if t.grad.values is not None else None}
    if n.saved:
        info["saved"] = [
            _without_false({"name": s.name, "shape": None if s.shape is None else shape_str(s.shape), "dtype": s.dtype,
                     "bytes": 0 if s.freed else tensor_bytes(s.shape, s.dtype), "freed": s.freed,
                     "modified": s.modified, "param": s.param, "storage": s.storage})
            for s in n.saved
        ]
    used = {k: v for k, v in memory([n]).as_dict().items() if v}  # the browser reads a missing one as 0
    if n.kind != "group" and used:
        info["memory"] = used
    return info


def _drop_saved_nodes(graph: Graph) -> Graph:
    """`graph` without its "saved" boxes (each node keeps `Node.saved`), ids renumbered in walk
    order so they equal those of `trace(..., saved=False)`, which `draw` and `text` show."""
    kept = [n for n in graph.nodes if n.kind != "saved"]
    new_id = {n.id: f"n{i}" for i, n in enumerate(kept)}
    nodes = [replace(n, id=new_id[n.id]) for n in kept]
    edges = [Edge(new_id[e.src], new_id[e.dst], e.kind, e.slot) for e in graph.edges if e.kind != "saved"]
    return Graph(nodes, edges, [new_id[r] for r in graph.roots])


def _module_levels(
    full: Graph, depth: int, modules: Mapping[str, str] | None
) -> list[tuple[Graph, dict[str, str]]]:
    """(collapsed graph, node id -> group id) for each module depth from `depth` down."""
    out = []
    for k in range(depth, max(depth, deepest(full)) + 1):
        with warnings.catch_warnings():
            if k > depth:  # `collapse` warns once, at the depth the caller asked for
                warnings.simplefilter("ignore", UserWarning)
            g = collapse(full, k, modules)
        if k > depth:  # collapse numbers groups g0, g1, ... at every depth: keep the ids apart
            renamed = {n.id: f"{n.id}@{k}" for n in g.nodes if n.kind == "group"}
            g = Graph([replace(n, id=renamed.get(n.id, n.id)) for n in g.nodes], g.edges, g.roots)
        member = {m: n.id for n in g.nodes if n.kind == "group" for m in n.attrs["members"]}
        out.append((g, member))
        if not member and k > depth:
            break
    return out


def _module_groups(
    full: Graph, depth: int, modules: Mapping[str, str] | None
) -> tuple[Graph, dict[str, Group], dict[str, list[str]]]:
    """The first view collapsed to `depth`, and a level of groups per module depth from there down."""
    groups: dict[str, Group] = {}
    chains: dict[str, list[str]] = {n.id: [] for n in full.nodes}
    first_view = full
    kinds = {n.id: n.kind for n in full.nodes}
    previous: dict[str, str] = {}
    for level, (g, member) in enumerate(_module_levels(full, depth, modules)):
        if level == 0:
            first_view = g
        for n in g.nodes:
            if n.kind != "group":
                continue
            ops = [m for m in n.attrs["members"] if m in previous]
            parent = previous[ops[0]] if ops else None
            groups[n.id] = Group(n, level, parent, list(n.attrs["members"]))
        for nid, gid in member.items():
            chains[nid].append(gid)
        # a group's parent is the group one level up around its ops (see `collapse`)
        previous = {m: gid for m, gid in member.items() if kinds[m] == "op"}
    return first_view, groups, chains


def explorer_data(
    roots: Roots,
    params: Params = None,
    show_saved: bool = False,
    show_grad: bool = False,
    depth: int | None = None,
    *,
    max_nodes: int | None = MAX_NODES,
    budget: float | None = BUDGET,
    title: str | None = None,
) -> ExplorerData:
    """Walk once and prepare what `explore` and `to_html` show (the arguments mean what they do for `draw`).

    The first view goes through `draw.prepare`'s steps (collapse to `depth`, `summarize` beyond
    `max_nodes`, then the layout budget's folding), and every box a step adds is a group here.
    """
    traced = trace(roots, params, saved=True, grads=True)  # saved bytes and .grad feed the details panel
    full = traced if show_saved else _drop_saved_nodes(traced)
    del traced
    modules = module_types(params)
    groups: dict[str, Group] = {}
    chains: dict[str, list[str]] = {n.id: [] for n in full.nodes}
    first_view = full
    if depth is not None:
        first_view, groups, chains = _module_groups(full, depth, modules)
    fold = max_nodes is not None  # as in `draw.prepare`: max_nodes=None keeps every box
    if max_nodes is not None and len(first_view.nodes) > max_nodes:
        small = summarize(first_view, max_nodes)
        _add_layer(first_view, small, groups, chains)
        first_view = small
    unfolded = None
    notes: tuple[str, ...] = ()
    folded = fold_for(first_view, budget, modules) if fold else None
    if folded is not None:
        small, note = folded
        unfolded, notes = first_view, (note,)
        collapsed_to = deepest(small, "group")
        if first_view is full and collapsed_to:  # collapsed by module: the same groups, and deeper ones to open
            first_view, groups, chains = _module_groups(full, collapsed_to, modules)
        else:
            _add_layer(first_view, small, groups, chains)
    return ExplorerData(
        full, groups, {k: tuple(v) for k, v in chains.items() if v}, show_grad, title, max_nodes, budget,
        unfolded, modules, notes,
    )


def _add_layer(first_view: Graph, small: Graph, groups: dict[str, Group], chains: dict[str, list[str]]) -> None:
    """Boxes that `small` (the first view folded by `summarize` or `layout.fold_for`) adds become
    groups above everything; a folded repetition opens into chunks of consecutive steps (each a
    group too, nested when there are many), so no click draws thousands of boxes."""
    before = {n.id for n in first_view.nodes}
    after = {n.id for n in small.nodes}
    new = [n for n in small.nodes if n.id not in before]
    if not new:
        return
    hidden = [n.id for n in first_view.nodes if n.id not in after]
    owner = {m: n.id for n in new for m in n.attrs.get("members", ()) if m in before}
    # `summarize` may fold twice (repetition, then what is still too big), and the second box
    # may swallow the first, listing it (not its members) among its own: those go to the second.
    swallower = next((n.id for n in new if any(m not in before for m in n.attrs.get("members", ()))), new[-1].id)
    for elem in hidden:
        owner.setdefault(elem, swallower)
    inner_of: dict[str, list[str]] = {}  # element of the first view -> its full-graph nodes
    for nid, gids in chains.items():
        top = next((g for g in gids if groups[g].parent is None), nid)
        inner_of.setdefault(top, []).append(nid)
    outer: dict[str, list[str]] = {}  # element -> the new groups to put around it, outermost first
    added: dict[str, Group] = {}
    for n in new:
        elems = [e for e in hidden if owner[e] == n.id]
        added[n.id] = Group(n, 0, None, sorted((m for e in elems for m in inner_of.get(e, [])), key=_walk_order))
        tree = _chunk_tree(first_view, elems, n.attrs) if "total_nodes" in n.attrs and elems else []
        if len(tree) < 2:  # a module, or a small fold: opens in one step
            outer.update(dict.fromkeys(elems, [n.id]))
        for i, part in enumerate(tree if len(tree) > 1 else []):
            _add_chunk(part, f"{n.id}_{i}", [n.id], n.attrs["total_nodes"], inner_of, added, outer)
    for elem in hidden:
        for nid in inner_of.get(elem, []):
            chains[nid][:0] = outer[elem]
        if elem in groups:
            groups[elem].parent = outer[elem][-1]
    everything = {**added, **groups}
    for g in everything.values():
        g.level = 0
        p = g.parent
        while p is not None:
            g.level += 1
            p = everything[p].parent
    groups.clear()
    groups.update(sorted(everything.items(), key=lambda item: item[1].level))  # stable: level order


@dataclass
class _Chunk:
    """Consecutive steps (or levels) `first`-`last` of a fold, counted from 1: `elems` of the first
    view, in `children` chunks when there are more than FOLD_CHUNK of them."""

    first: int
    last: int
    name: str
    elems: list[str]
    children: list[_Chunk] = field(default_factory=list)


def _add_chunk(
    part: _Chunk, gid: str, around: list[str], total: object, inner_of: Mapping[str, list[str]],
    added: dict[str, Group], outer: dict[str, list[str]],
) -> None:
    """`part` as a group inside the last of `around`, its children inside it, and so on."""
    inside = sorted((m for e in part.elems for m in inner_of.get(e, [])), key=_walk_order)
    # part of the summary: steps it hides use the shared leaves too (`layout.is_summary`)
    node = Node(gid, "group", part.name, attrs={"count": len(inside), "total_nodes": total})
    added[gid] = Group(node, 0, around[-1], inside)
    for i, child in enumerate(part.children):
        _add_chunk(child, f"{gid}_{i}", [*around, gid], total, inner_of, added, outer)
    if not part.children:
        outer.update(dict.fromkeys(part.elems, [*around, gid]))


def _chunk_tree(view: Graph, hidden: list[str], fold: Mapping[str, object]) -> list[_Chunk]:
    """The folded boxes in runs of whole repeated steps (or levels) of FOLD_CHUNK boxes at most,
    then runs of at most FOLD_FANOUT such runs, and so on: whatever opens shows few boxes."""
    dist = levels(view)
    by_level: dict[int, list[str]] = {}
    for e in hidden:
        by_level.setdefault(dist[e], []).append(e)
    lo, hi = min(by_level), max(by_level)
    period, steps = fold.get("period"), fold.get("folded_steps")
    unit = period if isinstance(period, int) else 1
    blocks = [[e for d in range(start, start + unit) for e in by_level.get(d, [])] for start in range(lo, hi + 1, unit)]
    runs: list[tuple[int, int]] = []  # (first block, last block), counted from 1
    size = 0
    for i, block in enumerate(blocks, start=1):
        if runs and size + len(block) <= FOLD_CHUNK:
            runs[-1] = (runs[-1][0], i)
            size += len(block)
        else:
            runs.append((i, i))
            size = len(block)

    def chunk(first: int, last: int, children: list[_Chunk]) -> _Chunk:
        # steps are counted from the output, as backward meets them
        what = f"steps {first}-{last} of {steps}" if period and steps else f"levels {first}-{last} of {len(blocks)}"
        elems = [e for b in blocks[first - 1 : last] for e in b]
        return _Chunk(first, last, f"... folded {what} ...", elems, children)

    tree = [chunk(a, b, []) for a, b in runs]
    while len(tree) > FOLD_FANOUT:
        per = -(-len(tree) // -(-len(tree) // FOLD_FANOUT))  # as few runs as can be, of even length
        parts = [tree[i : i + per] for i in range(0, len(tree), per)]
        tree = [chunk(p[0].first, p[-1].last, p) for p in parts]
    return tree


def _walk_order(node_id: str) -> int:
    return int(node_id[1:]) if node_id[1:].isdigit() else 0


# ---- the browser side ------------------------------------------------------------------------


def page(data: ExplorerData) -> str:
    """One self-contained HTML page: no network, works from file:// (`browser.html`)."""
    return browser.html(data.to_json(), data.title)


def to_html(
    roots: Roots,
    path: str | Path,
    params: Params = None,
    show_saved: bool = False,
    show_grad: bool = False,
    depth: int | None = None,
    *,
    max_nodes: int | None = MAX_NODES,
    budget: float | None = BUDGET,
    title: str | None = None,
) -> Path:
    """Write the explorer as one self-contained HTML file (works offline, from file://) and return its path.

    Same arguments as `draw`; groups (modules below `depth`, folded repetition) open with a
    click in the file itself: Graphviz runs in the page as WebAssembly, no Python needed, and
    every view keeps to the layout `budget` as `draw` does ("from #k" notes, said in the caption).
    """
    out = Path(path)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"dagviz.to_html writes an HTML page: give a path ending in .html, got {str(path)!r}.")
    data = explorer_data(roots, params, show_saved, show_grad, depth, max_nodes=max_nodes, budget=budget, title=title)
    text = page(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def explore(
    roots: Roots,
    params: Params = None,
    show_saved: bool = False,
    show_grad: bool = False,
    depth: int | None = None,
    *,
    max_nodes: int | None = MAX_NODES,
    budget: float | None = BUDGET,
    title: str | None = None,
    height: int = 560,
) -> Any:
    """A JupyterLab widget to explore the backward graph: pan and zoom, click a group to open it
    (click its frame to close it), click or hover a box for details and saved bytes, search,
    color by saved bytes. Same arguments as `draw`; needs `anywidget` (in the course extras).
    """
    data = explorer_data(roots, params, show_saved, show_grad, depth, max_nodes=max_nodes, budget=budget, title=title)
    from .widget import Explorer

    return Explorer(data, height=height)
