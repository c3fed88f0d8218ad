"""Watch backward run: record the real execution order, then replay it frame by frame.

`record_backward` runs the real backward pass with public node hooks
(`Node.register_prehook` / `Node.register_hook`) on every node of the graph, so the order
it reports is the order autograd's engine actually chose, not a guess from the graph's
shape. Each step keeps only plain data (shapes, and values when small), never tensors.

Vocabulary: a node *receives* the gradient of the loss with respect to what its forward op
produced (PyTorch's hooks call it ``grad_outputs``) and *sends* one gradient to each input
in the order of ``next_functions`` (PyTorch: ``grad_inputs``).
"""

from __future__ import annotations

import html
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from . import _torch
from .graph import GradMeta, Graph
from .inputs import Params, Roots, normalize_roots
from .kinds import Attrs, grad_str
from .layout import carry_edge_attrs, fit
from .render import DagGraph, require_dot, to_digraph
from .trace import grad_meta, trace

MAX_FRAMES = 300  # one dot layout per frame: beyond this, stepping is not a lesson any more
FORMATS = ("svg", "png", "pdf", "dot")

CURRENT = {"fillcolor": "tomato", "penwidth": "2"}
DONE = {"color": "goldenrod", "penwidth": "2"}
GRAD_COLOR = "darkgoldenrod"


@dataclass(frozen=True)
class Step:
    """One node executed by backward.

    index: position in the execution order (0 first).
    node_id: the id this node has in `dagviz.trace(root)` (and in `Steps.graph`).
    grads_in: gradients the node received, one per output of its forward op.
    grads_out: gradients it sent, one per input (slot order of `next_functions`); None where
        an input needs no gradient. `AccumulateGrad` sends nothing: it writes `.grad`.
    targets: for each slot, the id of the node that receives `grads_out[slot]` (None if none).
    """

    index: int
    name: str
    node_id: str
    grads_in: tuple[GradMeta | None, ...]
    grads_out: tuple[GradMeta | None, ...]
    targets: tuple[str | None, ...]

    def received(self, output: int = 0) -> torch.Tensor | None:
        """The gradient this node received for `output`, as a tensor (None if none or too big to keep)."""
        g = self.grads_in[output] if output < len(self.grads_in) else None
        if g is None or g.values is None:
            return None
        return torch.tensor(g.values).reshape(g.shape)

    @property
    def grad_outputs(self) -> tuple[GradMeta | None, ...]:
        """PyTorch's hook name for `grads_in`."""
        return self.grads_in

    @property
    def grad_inputs(self) -> tuple[GradMeta | None, ...]:
        """PyTorch's hook name for `grads_out`."""
        return self.grads_out


class Steps(list[Step]):
    """The executed steps, in order, with the graph they ran on (for drawing frames)."""

    graph: Graph
    root_grads: dict[str, GradMeta]  # root node id -> the gradient backward started from

    def __init__(self, steps: Sequence[Step], graph: Graph, root_grads: dict[str, GradMeta]) -> None:
        super().__init__(steps)
        self.graph = graph
        self.root_grads = root_grads
        self._drawn: Graph | None = None

    def drawn(self) -> Graph:
        """`graph` fitted to the layout budget once, so every frame has the same layout."""
        if self._drawn is None:
            self._drawn = fit(self.graph)
        return self._drawn

    def names(self) -> list[str]:
        return [s.name for s in self]

    def table(self) -> str:
        """One line per step: what ran, what it received, what it sent."""
        rows = [("step", "node", "function", "received", "sent")]
        for s in self:
            rows.append((str(s.index + 1), s.node_id, s.name, _short(s.grads_in), _short(s.grads_out) or "-> .grad"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4] for r in rows)

    def __repr__(self) -> str:
        return self.table()


def _short(gs: tuple[GradMeta | None, ...]) -> str:
    return ", ".join("None" if g is None else grad_str(g).removeprefix("grad ").removeprefix("= ") for g in gs)


def _check_gradients(items: list[tuple[str, torch.Tensor]], gradient: Any) -> list[torch.Tensor | None]:
    if gradient is None:
        grads: list[torch.Tensor | None] = [None] * len(items)
    elif isinstance(gradient, torch.Tensor):
        grads = [gradient] if len(items) == 1 else []
    else:
        grads = list(gradient)
    if len(grads) != len(items):
        raise ValueError(
            f"dagviz.record_backward: got {len(items)} roots but {len(grads)} gradients; pass one per root."
        )
    for (label, t), g in zip(items, grads, strict=True):
        if g is None and t.numel() != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs: the root {label!r} has shape "
                f"{tuple(t.shape)}. Reduce it to a scalar first (e.g. record_backward(y.sum())), or pass the "
                f"vector to multiply with: record_backward(y, gradient=torch.ones_like(y))."
            )
        if g is not None and tuple(g.shape) != tuple(t.shape):
            raise ValueError(
                f"dagviz.record_backward: gradient for {label!r} has shape {tuple(g.shape)} but the root has "
                f"shape {tuple(t.shape)}; they must match."
            )
    return grads


def _map_nodes(items: list[tuple[str, torch.Tensor]], graph: Graph) -> dict[Any, str]:
    """Autograd node -> id in `graph`, matched by structure (root edge, then slot by slot)."""
    by_slot: dict[tuple[str, int], str] = {}
    out_edge: dict[str, str] = {}
    for e in graph.edges:
        if e.kind == "data" and e.slot is not None:
            by_slot[(e.dst, e.slot)] = e.src
        elif e.kind == "output":
            out_edge[e.dst] = e.src
    ids: dict[Any, str] = {}
    queue: deque[Any] = deque()
    fn: Any  # an autograd node
    for (_, t), rid in zip(items, graph.roots, strict=True):
        if t.grad_fn is not None:
            fn, nid = t.grad_fn, out_edge[rid]
        else:  # a leaf passed as root: its AccumulateGrad, reached through a public view op
            view = t.view_as(t).grad_fn
            assert view is not None
            fn, nid = view.next_functions[0][0], rid
        if fn not in ids:
            ids[fn] = nid
            queue.append(fn)
    while queue:
        fn = queue.popleft()
        nid = ids[fn]
        for i, (nxt, _) in enumerate(fn.next_functions):
            if nxt is None or nxt in ids:
                continue
            sid = by_slot.get((nid, i))
            if sid is None:
                continue
            ids[nxt] = sid
            queue.append(nxt)
    return ids


def record_backward(
    root: Roots,
    gradient: torch.Tensor | Sequence[torch.Tensor | None] | None = None,
    retain_graph: bool = False,
    *,
    params: Params = None,
) -> Steps:
    """Run the real `backward()` and return the steps in the order autograd executed them.

    Like `root.backward(gradient, retain_graph)`: leaves' `.grad` accumulate as usual.
    Every executed node is a step (`AccumulateGrad` too); `step.node_id` is the node's id in
    `dagviz.trace(root)`, so `dagviz.steps.save_frames(steps, ...)` can draw each step.
    """
    items = normalize_roots(root, "dagviz.record_backward")
    grads = _check_gradients(items, gradient)
    graph = trace(root, params)  # same walk as normalize_roots: dict keys keep labelling the roots
    ids = _map_nodes(items, graph)

    order: list[tuple[str, str, tuple[GradMeta | None, ...]]] = []
    sent: dict[str, tuple[GradMeta | None, ...]] = {}
    handles = []

    def hooks(nid: str, name: str) -> tuple[Any, Any]:
        def pre(grad_outputs: tuple[torch.Tensor | None, ...]) -> None:
            order.append((nid, name, tuple(grad_meta(g) for g in grad_outputs)))

        def post(grad_inputs: tuple[torch.Tensor | None, ...], grad_outputs: tuple[torch.Tensor | None, ...]) -> None:
            sent[nid] = tuple(grad_meta(g) for g in grad_inputs)

        return pre, post

    targets: dict[str, tuple[str | None, ...]] = {}
    try:
        for fn, nid in ids.items():
            name = _torch.node_name(fn)
            pre, post = hooks(nid, name)
            handles.append(fn.register_prehook(pre))
            handles.append(fn.register_hook(post))
            targets[nid] = tuple(None if nxt is None else ids.get(nxt) for nxt, _ in fn.next_functions)
        tensors = [t for _, t in items]
        try:
            torch.autograd.backward(tensors, grads, retain_graph=retain_graph)
        except RuntimeError as err:
            msg = str(err)
            if "second time" in msg or "already been freed" in msg:
                raise RuntimeError(
                    "dagviz.record_backward: this graph was already freed by an earlier backward(), so it "
                    "cannot run again. Run the forward pass again, or keep the graph the first time with "
                    "loss.backward(retain_graph=True) (or record_backward(loss, retain_graph=True)). "
                    f"PyTorch said: {msg}"
                ) from err
            raise
    finally:
        for h in handles:
            h.remove()
        handles.clear()
        ids.clear()

    root_grads: dict[str, GradMeta] = {}
    for (_, t), g, rid in zip(items, grads, graph.roots, strict=True):
        meta = grad_meta(torch.ones_like(t) if g is None else g)
        if meta is not None:
            root_grads[rid] = meta
    steps = [
        Step(i, name, nid, gin, sent.get(nid, ()), targets.get(nid, ())) for i, (nid, name, gin) in enumerate(order)
    ]
    return Steps(steps, graph, root_grads)


# ---- frames ---------------------------------------------------------------------------------


def _caption(s: Step, total: int, graph: Graph) -> str:
    """One line for a frame's title, naming the leaf an AccumulateGrad writes to (never an internal id)."""
    got = _short(s.grads_in)
    sent = _short(s.grads_out)
    if s.name == "AccumulateGrad":
        node = graph.node(s.node_id)
        label = node.tensor.label if node.tensor is not None else None
        target = f"{label}.grad" if label else ".grad"
        return f"step {s.index + 1}/{total}: AccumulateGrad receives {got} and adds it to {target}"
    return f"step {s.index + 1}/{total}: {s.name} receives {got}, sends {sent}"


def frame(steps: Steps, k: int, *, title: bool = True) -> DagGraph:
    """The graph at step `k`: that node highlighted, every gradient sent so far on its edge.

    Every frame carries every edge label (future ones transparent), so graphviz lays out all
    frames identically and nothing jumps when you move the slider.
    """
    graph = steps.graph
    when = {s.node_id: s.index for s in steps}
    by_node = {s.node_id: s for s in steps}
    node_attrs: dict[str, Attrs] = {}
    for s in steps[:k]:
        node_attrs[s.node_id] = dict(DONE)
    if 0 <= k < len(steps):
        node_attrs[steps[k].node_id] = dict(CURRENT)
    edge_attrs: dict[int, Attrs] = {}
    for i, e in enumerate(graph.edges):
        g: GradMeta | None = None
        shown = False
        if e.kind == "output":
            g, shown = steps.root_grads.get(e.dst), True
        elif e.kind == "data" and e.dst in by_node and e.slot is not None:
            s = by_node[e.dst]
            g = s.grads_out[e.slot] if e.slot < len(s.grads_out) else None
            shown = when[e.dst] <= k
        if g is None:
            continue
        text = grad_str(g)
        color = GRAD_COLOR if shown else "transparent"
        attrs = {"label": text, "fontname": "Helvetica", "fontsize": "9", "fontcolor": color}
        if e.kind == "data" and when.get(e.dst) == k:
            attrs.update(color="tomato", fontcolor="tomato", penwidth="2")
        edge_attrs[i] = attrs
    cap = _caption(steps[k], len(steps), graph) if title and 0 <= k < len(steps) else None
    drawn = steps.drawn()
    return to_digraph(drawn, node_attrs=node_attrs, edge_attrs=carry_edge_attrs(graph, drawn, edge_attrs), title=cap)


def _svg(dot: DagGraph) -> str:
    svg = str(dot.pipe(format="svg", encoding="utf-8"))
    return svg[svg.find("<svg") :]


def _as_steps(steps_or_root: Steps | Roots, kw: dict[str, Any]) -> Steps:
    if isinstance(steps_or_root, Steps):
        return steps_or_root
    return record_backward(steps_or_root, **kw)


def _check_frames(steps: Steps) -> None:
    if not steps:
        raise ValueError("dagviz: no steps recorded (backward executed no node).")
    if len(steps) > MAX_FRAMES:
        raise ValueError(
            f"dagviz: {len(steps)} steps is too many to step through (limit {MAX_FRAMES}); use a smaller "
            "example, or read `record_backward(...).table()`."
        )


def save_frames(
    steps_or_root: Steps | Roots,
    out_dir: str | Path,
    fmt: str = "svg",
    *,
    params: Params = None,
    gradient: torch.Tensor | None = None,
    retain_graph: bool = False,
) -> list[Path]:
    """Write one picture per backward step (`step_001.svg`, ...) for slides or a terminal session.

    steps_or_root: what `record_backward` returned, or a root tensor (backward runs now).
    fmt: svg, png, pdf, or dot (dot needs no Graphviz installed).
    """
    if fmt not in FORMATS:
        raise ValueError(f"dagviz.steps.save_frames: fmt must be one of {', '.join(FORMATS)}, got {fmt!r}.")
    if fmt != "dot":
        require_dot()
    steps = _as_steps(steps_or_root, {"params": params, "gradient": gradient, "retain_graph": retain_graph})
    _check_frames(steps)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(len(steps)):
        dot = frame(steps, k)
        path = out / f"step_{k + 1:03d}.{fmt}"
        if fmt == "dot":
            path.write_text(dot.source, encoding="utf-8")
        else:
            path.write_bytes(dot.pipe(format=fmt))
        paths.append(path)
    return paths


def step_through(
    root: Steps | Roots,
    params: Params = None,
    gradient: torch.Tensor | None = None,
    retain_graph: bool = False,
    *,
    interval: int = 900,
) -> Any:
    """A JupyterLab widget (Play + slider) that replays backward one executed node at a time.

    Runs backward now (like `record_backward`) unless given its result. Every frame is
    rendered up front, so moving the slider only swaps pictures. Outside Jupyter use
    `dagviz.steps.save_frames`.
    """
    try:
        import ipywidgets as widgets
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "dagviz.step_through needs ipywidgets (pip install ipywidgets) and JupyterLab; "
            "without them, write the frames to files: dagviz.steps.save_frames(loss, 'frames/')."
        ) from err
    require_dot()
    steps = _as_steps(root, {"params": params, "gradient": gradient, "retain_graph": retain_graph})
    _check_frames(steps)
    svgs = [_svg(frame(steps, k, title=False)) for k in range(len(steps))]
    captions = [html.escape(_caption(s, len(steps), steps.graph)) for s in steps]
    last = len(steps) - 1
    play = widgets.Play(value=0, min=0, max=last, step=1, interval=interval, description="play")
    slider = widgets.IntSlider(value=0, min=0, max=last, step=1, description="step", readout=False)
    widgets.jslink((play, "value"), (slider, "value"))
    caption = widgets.HTML(value=f"<b>{captions[0]}</b>")
    view = widgets.HTML(value=svgs[0])

    def show(change: dict[str, Any]) -> None:
        k = int(change["new"])
        caption.value = f"<b>{captions[k]}</b>"
        view.value = svgs[k]

    slider.observe(show, names="value")
    box = widgets.VBox([widgets.HBox([play, slider]), caption, view])
    box.steps = steps  # for inspection: box.steps.table()
    box.frames = svgs
    box.slider = slider
    return box
