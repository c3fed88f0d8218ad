// dagviz explorer: the backward graph in the browser (see dagviz/explore.py).
//
// One ES module, used two ways: as an anywidget module (`export default { render }`) in
// JupyterLab, and inlined into the page `dagviz.to_html` writes (which calls `standalone`).
// The Python side prepends `const GRAPHVIZ_SOURCE = "..."`: Graphviz compiled to
// WebAssembly (assets/graphviz.js, see assets/SOURCES.json), imported from a blob URL so
// nothing is fetched over the network.
//
// Data (ExplorerData.to_json): nodes of the full graph in walk order [{id, kind, label,
// style, chain?, info}] where `chain` lists the groups around the node, outermost first;
// groups [{id, level, parent, label, style, info}]; edges [[src, dst, kind, slot]]; the
// graph/node/edge attributes and styles `render.to_digraph` uses; the shared-leaf rule.
// A view is the set of expanded groups. It is computed exactly as ExplorerData.view does
// (and collapse.regroup before it), so the first view is the picture `dagviz.draw` makes.
//
// DOM contract (tests rely on it): every drawn box is an SVG <g class="node"> with a
// data-id; a collapsed group also has class "group"; an open group is a <g class="cluster
// expanded"> with its data-id. Clicking a group opens it; clicking its frame closes it.

/* global GRAPHVIZ_SOURCE */

let graphvizPromise = null;

function loadGraphviz() {
  if (!graphvizPromise) {
    const url = URL.createObjectURL(new Blob([GRAPHVIZ_SOURCE], { type: "text/javascript" }));
    graphvizPromise = import(url)
      .then((mod) => mod.Graphviz.load())
      .finally(() => URL.revokeObjectURL(url));
  }
  return graphvizPromise;
}

const CLUSTER_STYLE = {
  style: "rounded,filled",
  fillcolor: "#fffbe8",
  color: "goldenrod",
  fontname: "Helvetica",
  fontsize: "10",
  labeljust: "l",
};
const REF_STYLE = { shape: "box", style: "dashed,rounded", color: "grey60", fontcolor: "grey30", fontsize: "8" };
const MAX_RESULTS = 40;
const MAX_ZOOM = 1.4; // fit never magnifies more than this

// As the Python graphviz package quotes: escape double quotes; newlines stay (Graphviz
// reads a line break inside a quoted label as a new line).
function quote(value) {
  return '"' + String(value).replace(/"/g, '\\"') + '"';
}

function attrList(attrs) {
  const parts = Object.entries(attrs).map(([k, v]) => `${k}=${quote(v)}`);
  return parts.length ? ` [${parts.join(" ")}]` : "";
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function formatBytes(n) {
  if (!n) return "0 B";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  let x = n;
  while (x >= 1000 && i < units.length - 1) {
    x /= 1000;
    i += 1;
  }
  return `${i === 0 ? x : x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0)} ${units[i]}`;
}

// ---- the graph model: which boxes a set of open groups shows ------------------------------

export class Model {
  constructor(data) {
    this.data = data;
    this.nodes = new Map(data.nodes.map((n) => [n.id, n]));
    this.groups = new Map(data.groups.map((g) => [g.id, g]));
    this.children = new Map(); // group id -> full node ids inside (any depth), for details
    for (const n of data.nodes) {
      for (const g of n.chain || []) {
        if (!this.children.has(g)) this.children.set(g, []);
        this.children.get(g).push(n.id);
      }
    }
  }

  item(id) {
    return this.nodes.get(id) || this.groups.get(id);
  }

  isGroup(id) {
    return this.groups.has(id);
  }

  ancestors(id) {
    const out = [];
    let p = this.groups.has(id) ? this.groups.get(id).parent : null;
    while (p) {
      out.push(p);
      p = this.groups.get(p).parent;
    }
    return out;
  }

  // Groups drawn as boxes: not open, and every group around them open.
  visibleGroups(expanded) {
    const shown = new Set();
    for (const g of this.data.groups) {
      if (expanded.has(g.id)) continue;
      let p = g.parent;
      while (p && expanded.has(p)) p = this.groups.get(p).parent;
      if (!p) shown.add(g.id);
    }
    return shown;
  }

  // Open groups that are drawn as frames (open, and every group around them open).
  openGroups(expanded) {
    const open = new Set();
    for (const g of this.data.groups) {
      if (!expanded.has(g.id)) continue;
      let p = g.parent;
      while (p && expanded.has(p)) p = this.groups.get(p).parent;
      if (!p) open.add(g.id);
    }
    return open;
  }

  // What the view draws: boxes in order, edges (as collapse.regroup builds them), frames.
  view(expanded) {
    const shown = this.visibleGroups(expanded);
    const open = this.openGroups(expanded);
    const rep = new Map();
    const elements = [];
    const placed = new Set();
    for (const n of this.data.nodes) {
      const chain = n.chain || [];
      const r = chain.find((g) => shown.has(g)) || n.id;
      rep.set(n.id, r);
      if (r === n.id) elements.push(r);
      else if (!placed.has(r)) {
        placed.add(r);
        elements.push(r);
      }
    }
    const edges = [];
    const seen = new Set();
    for (const [src, dst, kind, slot] of this.data.edges) {
      const s = rep.get(src);
      const d = rep.get(dst);
      const gs = s !== src;
      const gd = d !== dst;
      if (gs && s === d) continue;
      const k = gd && kind === "output" ? "data" : kind;
      const sl = gd ? null : slot;
      const key = `${s}\u0000${d}\u0000${k}\u0000${sl}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push([s, d, k, sl]);
    }
    // The frame each box sits in: a group's parent; a node's innermost open group.
    const frame = new Map();
    for (const id of elements) {
      if (this.isGroup(id)) frame.set(id, this.groups.get(id).parent);
      else {
        const chain = this.nodes.get(id).chain || [];
        let f = null;
        for (const g of chain) if (open.has(g)) f = g;
        frame.set(id, f);
      }
    }
    return { elements, edges, frame, open };
  }

  // The DOT source of a view, and the DOT name -> element id map for reading the SVG back.
  dot(view) {
    const d = this.data;
    const names = new Map();
    const lines = ["digraph {"];
    lines.push(`\tgraph${attrList(d.graph_attr)}`);
    lines.push(`\tnode${attrList(d.node_attr)}`);
    lines.push(`\tedge${attrList(d.edge_attr)}`);
    const uses = new Map();
    for (const [s] of view.edges) uses.set(s, (uses.get(s) || 0) + 1);
    const folded = view.elements.some((id) => this.isGroup(id) && this.groups.get(id).info.total_nodes !== undefined);
    const big = folded || view.elements.length >= d.shared.min_nodes;
    const shared = new Set(
      view.elements.filter((id) => {
        const it = this.item(id);
        return big && (it.kind === "leaf" || it.kind === "nograd") && (uses.get(id) || 0) >= d.shared.uses;
      }),
    );
    const cut = this.longEdges(view, shared);
    // Frames nest: emit each at the position of its first box, its boxes inside.
    const tree = new Map([[null, []]]);
    const attach = (id, parent) => {
      if (!tree.has(parent)) {
        tree.set(parent, []);
        attach({ frame: parent }, this.groups.get(parent).parent);
      }
      tree.get(parent).push(id);
    };
    for (const id of view.elements) if (!shared.has(id)) attach(id, view.frame.get(id));
    const emit = (parent, indent) => {
      for (const entry of tree.get(parent)) {
        if (typeof entry === "object") {
          const g = this.groups.get(entry.frame);
          const name = `cluster_${g.id}`;
          names.set(name, { id: g.id, frame: true });
          const label = g.label.split("\n")[0] + "  (click the frame to close)";
          lines.push(`${indent}subgraph ${quote(name)} {`);
          lines.push(`${indent}\tgraph${attrList({ ...CLUSTER_STYLE, label })}`);
          emit(entry.frame, indent + "\t");
          lines.push(`${indent}}`);
        } else {
          const it = this.item(entry);
          names.set(entry, { id: entry });
          lines.push(`${indent}${quote(entry)}${attrList({ label: it.label, ...it.style })}`);
        }
      }
    };
    emit(null, "\t");
    const copies = new Map();
    const stubs = new Map(); // target -> sources of its cut edges
    view.edges.forEach(([s, t, kind], i) => {
      if (cut.has(i)) {
        if (!stubs.has(t)) stubs.set(t, []);
        stubs.get(t).push(s);
        return;
      }
      let src = s;
      if (shared.has(s)) {
        const k = (copies.get(s) || 0) + 1;
        copies.set(s, k);
        src = `${s}_${k}`;
        const it = this.item(s);
        const style = it.kind === "leaf" ? d.shared.leaf_style : d.shared.nograd_style;
        names.set(src, { id: s, copy: k });
        lines.push(`\t${quote(src)}${attrList({ label: `${it.label}\nuse ${k} of ${uses.get(s)}`, ...style })}`);
      }
      lines.push(`\t${quote(src)} -> ${quote(t)}${attrList(d.edge_style[kind] || {})}`);
    });
    for (const [t, sources] of stubs) {
      const name = `from_${t}`;
      names.set(name, { id: t, ref: sources });
      const shown = sources.slice(0, 3).map((x) => this.item(x).label.split("\n")[0]);
      const more = sources.length > 3 ? `\n+ ${sources.length - 3} more` : "";
      const label = `from ${sources.length === 1 ? "" : sources.length + " boxes: "}${shown.join(",\n")}${more}`;
      lines.push(`\t${quote(name)}${attrList({ label, ...REF_STYLE })}`);
      lines.push(`\t${quote(name)} -> ${quote(t)} [style="dashed"]`);
    }
    lines.push("}");
    return { source: lines.join("\n") + "\n", names, cut: cut.size };
  }

  // Graphviz turns an edge spanning k ranks into k - 1 virtual nodes that crossing
  // minimisation and positioning must place; dense skip connections (DenseNet) make
  // thousands and the layout takes seconds. Estimate that cost on longest-path ranks and,
  // above the budget, draw the longest edges as a short dashed edge from a small "from X"
  // box next to their target (every edge is still drawn; a click on the box finds X).
  longEdges(view, shared) {
    const rank = new Map(view.elements.map((id) => [id, 0]));
    const indeg = new Map(view.elements.map((id) => [id, 0]));
    const out = new Map();
    view.edges.forEach(([s, t], i) => {
      if (shared.has(s)) return;
      indeg.set(t, indeg.get(t) + 1);
      if (!out.has(s)) out.set(s, []);
      out.get(s).push(i);
    });
    const queue = view.elements.filter((id) => indeg.get(id) === 0);
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q];
      for (const i of out.get(s) || []) {
        const t = view.edges[i][1];
        rank.set(t, Math.max(rank.get(t), rank.get(s) + 1));
        indeg.set(t, indeg.get(t) - 1);
        if (indeg.get(t) === 0) queue.push(t);
      }
    }
    const spans = [];
    let cost = 0;
    view.edges.forEach(([s, t], i) => {
      if (shared.has(s)) return;
      const span = rank.get(t) - rank.get(s);
      cost += Math.max(0, span - 1);
      if (span > 2) spans.push([span, i]);
    });
    this.lastCost = cost;
    const cut = new Set();
    const budget = this.data.layout_budget;
    if (!budget || cost <= budget) return cut;
    spans.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [span, i] of spans) {
      if (cost <= budget) break;
      cut.add(i);
      cost -= span - 1;
    }
    return cut;
  }
}

// ---- the explorer: toolbar, picture, details, legend ----------------------------------------

class Explorer {
  constructor(el, model) {
    this.el = el;
    this.model = model;
    this.g = new Model(model.get("graph"));
    this.expanded = new Set(model.get("expanded") || []);
    this.selected = model.get("selected") || "";
    this.colorBy = model.get("color_by") || "kind";
    this.query = "";
    this.vb = null;
    this.renders = 0;
    this.build();
    model.on("change:expanded", () => {
      const next = new Set(model.get("expanded") || []);
      if (!sameSet(next, this.expanded)) {
        this.expanded = next;
        this.draw({});
      }
    });
    model.on("change:color_by", () => {
      this.colorBy = model.get("color_by") || "kind";
      this.memoryBox.checked = this.colorBy === "saved";
      this.paint();
    });
    model.on("change:selected", () => {
      this.selected = model.get("selected") || "";
      this.paint();
      this.showDetails(this.selected);
    });
  }

  build() {
    const el = this.el;
    el.classList.add("dagviz-explorer");
    el.dataset.state = "loading";
    el.innerHTML = `
      <div class="dv-toolbar">
        <input class="dv-search" type="search" placeholder="search names, modules, ids" aria-label="search">
        <button class="dv-fit" title="fit the graph in view">fit</button>
        <button class="dv-zoom-in" title="zoom in">+</button>
        <button class="dv-zoom-out" title="zoom out">&minus;</button>
        <button class="dv-collapse" title="close every group">close all</button>
        <label class="dv-memory-toggle" title="color boxes by the bytes of activations they saved for backward">
          <input class="dv-memory" type="checkbox"> color by saved bytes</label>
      </div>
      <div class="dv-body">
        <div class="dv-canvas" tabindex="0"><div class="dv-svg"></div></div>
        <div class="dv-side">
          <div class="dv-results"></div>
          <div class="dv-details"><p class="dv-hint">Click a khaki group to open it, its frame to close it.
            Click or hover a box for details. Drag to pan, wheel to zoom.</p></div>
          <div class="dv-legend"></div>
        </div>
      </div>
      <div class="dv-status">loading Graphviz&hellip;</div>`;
    const height = this.model.get("height");
    if (height) el.querySelector(".dv-body").style.height = `${height}px`;
    this.canvas = el.querySelector(".dv-canvas");
    this.svgBox = el.querySelector(".dv-svg");
    this.details = el.querySelector(".dv-details");
    this.results = el.querySelector(".dv-results");
    this.legend = el.querySelector(".dv-legend");
    this.status = el.querySelector(".dv-status");
    this.memoryBox = el.querySelector(".dv-memory");
    this.memoryBox.checked = this.colorBy === "saved";
    const search = el.querySelector(".dv-search");
    search.addEventListener("input", () => {
      this.query = search.value.trim().toLowerCase();
      this.search();
      this.paint();
    });
    search.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        const first = this.results.querySelector("[data-id]");
        if (first) this.reveal(first.dataset.id);
      }
    });
    el.querySelector(".dv-fit").addEventListener("click", () => this.fit());
    el.querySelector(".dv-zoom-in").addEventListener("click", () => this.zoom(1 / 1.25));
    el.querySelector(".dv-zoom-out").addEventListener("click", () => this.zoom(1.25));
    el.querySelector(".dv-collapse").addEventListener("click", () => this.setExpanded(new Set(), null));
    this.memoryBox.addEventListener("change", () => {
      this.colorBy = this.memoryBox.checked ? "saved" : "kind";
      this.model.set("color_by", this.colorBy);
      this.model.save_changes();
      this.paint();
    });
    for (const list of [this.results, this.details]) {
      list.addEventListener("click", (e) => {
        const hit = e.target.closest("li[data-id]");
        if (hit) this.reveal(hit.dataset.id);
      });
    }
    this.panZoomHandlers();
    this.clickHandlers();
  }

  // ---- interaction ----

  clickHandlers() {
    this.svgBox.addEventListener("click", (e) => {
      if (this.dragged) return;
      const node = e.target.closest("g.node");
      if (node) {
        const id = node.dataset.id;
        if (node.dataset.ref) this.showStub(node.dataset.ref.split(" "), id);
        else if (this.g.isGroup(id)) {
          const next = new Set(this.expanded);
          next.add(id);
          this.setExpanded(next, id);
        } else this.select(id);
        return;
      }
      const frame = e.target.closest("g.cluster");
      if (frame) {
        const next = new Set(this.expanded);
        next.delete(frame.dataset.id);
        this.setExpanded(next, frame.dataset.id);
      }
    });
    this.svgBox.addEventListener("mouseover", (e) => {
      const node = e.target.closest("g.node, g.cluster");
      if (node && node.dataset.ref) this.showStub(node.dataset.ref.split(" "), node.dataset.id);
      else if (node) this.showDetails(node.dataset.id);
    });
    this.svgBox.addEventListener("mouseleave", () => this.showDetails(this.selected));
  }

  panZoomHandlers() {
    const c = this.canvas;
    c.addEventListener(
      "wheel",
      (e) => {
        if (!this.vb) return;
        e.preventDefault();
        const factor = Math.exp(Math.max(-60, Math.min(60, e.deltaY)) * 0.004);
        this.zoom(factor, this.toGraph(e.clientX, e.clientY));
      },
      { passive: false },
    );
    let start = null;
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || !this.vb) return;
      start = { x: e.clientX, y: e.clientY, vb: { ...this.vb } };
      this.dragged = false;
    });
    c.addEventListener("pointermove", (e) => {
      if (!start) return;
      const dx = e.clientX - start.x;
      const dy = e.clientY - start.y;
      if (!this.dragged && Math.hypot(dx, dy) < 4) return;
      if (!this.dragged) c.setPointerCapture(e.pointerId);
      this.dragged = true;
      const s = this.vb.w / c.clientWidth;
      this.vb.x = start.vb.x - dx * s;
      this.vb.y = start.vb.y - dy * s;
      this.applyViewBox();
    });
    const end = () => {
      start = null;
      setTimeout(() => (this.dragged = false), 0); // the click that ends a drag is not a click
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
  }

  setExpanded(next, focus) {
    const before = this.expanded;
    this.expanded = next;
    const ok = this.draw({ focus, started: performance.now() });
    if (!ok) {
      this.expanded = before;
      return;
    }
    this.model.set("expanded", [...next].sort());
    this.model.save_changes();
  }

  select(id) {
    this.selected = id;
    this.model.set("selected", id);
    this.model.save_changes();
    this.paint();
    this.showDetails(id);
  }

  // Open whatever hides `id`, then select it and bring it into view.
  reveal(id) {
    const next = new Set(this.expanded);
    const item = this.g.item(id);
    if (!item) return;
    const around = this.g.isGroup(id) ? this.g.ancestors(id) : item.chain || [];
    for (const g of around) {
      next.add(g);
      for (const a of this.g.ancestors(g)) next.add(a);
    }
    if (!sameSet(next, this.expanded)) this.setExpanded(next, null);
    this.select(id);
    this.center(this.svgBox.querySelector(`g.node[data-id="${cssEscape(id)}"]`));
  }

  // ---- drawing ----

  async start() {
    try {
      this.gv = await loadGraphviz();
    } catch (err) {
      this.fail(`could not start Graphviz (WebAssembly): ${err}`);
      return;
    }
    this.drawLegend();
    this.draw({ fit: true, started: performance.now() });
  }

  fail(message) {
    this.el.dataset.state = "error";
    this.status.textContent = message;
    this.status.classList.add("dv-error");
  }

  // Lay out and show the current view. Returns false (and keeps the old picture) when the
  // view is too big to lay out in a browser.
  draw({ fit = false, focus = null, started = performance.now() }) {
    if (!this.gv) return false;
    const view = this.g.view(this.expanded);
    const limit = this.g.data.max_view;
    if (limit && view.elements.length > limit && this.renders > 0) {
      this.status.textContent =
        `opening that would draw ${view.elements.length} boxes, more than the ${limit} a layout ` +
        "stays quick for: open a smaller group, or close some first";
      this.status.classList.add("dv-error");
      return false;
    }
    const { source, names, cut } = this.g.dot(view);
    this.lastDot = source;
    const t0 = performance.now();
    let svgText;
    try {
      svgText = this.gv.layout(source, "svg", "dot");
    } catch (err) {
      this.fail(`Graphviz could not lay out this view: ${err}`);
      return false;
    }
    const layoutMs = performance.now() - t0;
    this.svgBox.innerHTML = svgText.slice(svgText.indexOf("<svg"));
    const svg = this.svgBox.querySelector("svg");
    this.svg = svg;
    const [x, y, w, h] = svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
    this.bounds = { x, y, w, h };
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    for (const g of svg.querySelectorAll("g.node, g.cluster")) {
      const title = g.querySelector(":scope > title");
      const entry = title && names.get(title.textContent);
      if (title) title.remove();
      if (!entry) continue;
      g.dataset.id = entry.id;
      if (entry.frame) {
        g.classList.add("expanded");
        continue;
      }
      const item = this.g.item(entry.id);
      g.dataset.kind = item.kind;
      if (entry.copy) g.dataset.copy = String(entry.copy);
      if (entry.ref) {
        g.dataset.ref = entry.ref.join(" ");
        g.classList.add("ref");
        continue;
      }
      if (this.g.isGroup(entry.id)) g.classList.add("group");
      for (const shape of g.querySelectorAll("polygon, path, ellipse")) {
        shape.dataset.fill = shape.getAttribute("fill") || "none";
      }
    }
    for (const t of svg.querySelectorAll("g.graph > title, g.edge > title")) t.remove();
    this.renders += 1;
    if (fit || !this.vb) this.fit();
    else this.applyViewBox();
    if (focus) this.center(svg.querySelector(`[data-id="${cssEscape(focus)}"]`));
    this.paint();
    this.search();
    this.status.classList.remove("dv-error");
    this.status.textContent =
      `${view.elements.length} boxes, ${view.edges.length} edges, ${this.expanded.size} groups open` +
      ` · saved activations in the whole graph: ${formatBytes(this.g.data.total.activations)}` +
      ` (${formatBytes(this.g.data.total.distinct)} counting shared storage once)` +
      (cut ? ` · ${cut} long arrows drawn as dashed "from ..." stubs to keep the layout quick` : "") +
      ` · layout ${Math.round(layoutMs)} ms`;
    this.el.dataset.layoutMs = String(Math.round(layoutMs));
    this.el.dataset.boxes = String(view.elements.length);
    this.el.dataset.renders = String(this.renders);
    requestAnimationFrame(() => {
      this.el.dataset.drawMs = String(Math.round(performance.now() - started));
      this.el.dataset.state = "ready";
    });
    return true;
  }

  // The legend is drawn by Graphviz too, so its colors are exactly the picture's.
  drawLegend() {
    const d = this.g.data;
    const lines = ["digraph {", "\tgraph [nodesep=0.05 ranksep=0.05 margin=0]"];
    lines.push(`\tnode${attrList({ ...d.node_attr, width: "2.2" })}`);
    const names = d.legend.map((l) => quote("legend_" + l.kind));
    d.legend.forEach(({ kind, text, style }, i) => lines.push(`\t${names[i]}${attrList({ label: text, ...style })}`));
    lines.push(`\t${names.join(" -> ")} [style=invis]`);
    lines.push("}");
    try {
      const svg = this.gv.layout(lines.join("\n"), "svg", "dot");
      this.legendSvg = svg.slice(svg.indexOf("<svg"));
    } catch (err) {
      this.legendSvg = "";
    }
    this.showLegend();
  }

  showLegend() {
    if (this.colorBy === "saved") {
      const max = this.maxBytes || 0;
      this.legend.innerHTML =
        `<div class="dv-legend-title">saved activations per box</div>` +
        `<div class="dv-scale"></div><div class="dv-scale-labels"><span>${formatBytes(this.minBytes || 0)}</span>` +
        `<span>${formatBytes(max)}</span></div>` +
        `<p class="dv-note">Activations a box saved for backward, log scale from the smallest to the largest box ` +
        `shown (parameters it saved are held anyway and not counted). Grey: saved nothing.</p>`;
    } else {
      this.legend.innerHTML = `<div class="dv-legend-title">legend</div><div class="dv-legend-svg">${this.legendSvg || ""}</div>`;
      for (const t of this.legend.querySelectorAll("title")) t.remove();
      for (const g of this.legend.querySelectorAll("g.node")) g.setAttribute("class", "dv-legend-item");
    }
  }

  // Selection, search matches and the memory colors, on the current SVG (no new layout).
  paint() {
    if (!this.svg) return;
    const nodes = [...this.svg.querySelectorAll("g.node")];
    const bytesOf = (id) => ((this.g.item(id) || {}).info.memory || {}).activations || 0;
    const sizes = nodes.map((g) => bytesOf(g.dataset.id)).filter((b) => b > 0);
    this.maxBytes = Math.max(0, ...sizes);
    this.minBytes = sizes.length ? Math.min(...sizes) : 0;
    // log scale from the smallest to the largest box on screen, so differences stay visible
    const lo = Math.log(this.minBytes || 1);
    const span = Math.log(this.maxBytes || 1) - lo;
    for (const g of nodes) {
      const id = g.dataset.id;
      g.classList.toggle("selected", id === this.selected);
      g.classList.toggle("match", this.query !== "" && this.matches(id));
      for (const shape of g.querySelectorAll("polygon, path, ellipse")) {
        const original = shape.dataset.fill;
        if (original === undefined || original === "none") continue;
        if (this.colorBy === "saved") {
          const b = bytesOf(id);
          shape.setAttribute("fill", b > 0 ? heat(span > 0 ? (Math.log(b) - lo) / span : 1) : "#eeeeee");
        } else shape.setAttribute("fill", original);
      }
    }
    this.showLegend();
  }

  // ---- search ----

  matches(id) {
    const it = this.g.item(id);
    if (!it) return false;
    const text = `${it.label} ${it.info.module || ""} ${it.id} ${it.info.type || ""}`.toLowerCase();
    return text.includes(this.query);
  }

  search() {
    if (!this.query) {
      this.results.innerHTML = "";
      return;
    }
    const drawn = new Set([...this.svgBox.querySelectorAll("g.node")].map((g) => g.dataset.id));
    const hits = [];
    for (const it of [...this.g.data.groups, ...this.g.data.nodes]) if (this.matches(it.id)) hits.push(it);
    const rows = hits.slice(0, MAX_RESULTS).map((it) => {
      const where = drawn.has(it.id) ? "shown" : "inside a closed group: click to open";
      const name = it.label.split("\n")[0];
      return `<li data-id="${escapeHtml(it.id)}"><b>${escapeHtml(name)}</b> <span class="dv-where">${escapeHtml(
        it.info.module || it.id,
      )} · ${where}</span></li>`;
    });
    const more = hits.length > MAX_RESULTS ? `<li class="dv-more">and ${hits.length - MAX_RESULTS} more</li>` : "";
    this.results.innerHTML = `<div class="dv-results-title">${hits.length} match${hits.length === 1 ? "" : "es"}</div><ul>${rows.join("")}${more}</ul>`;
  }

  // ---- details ----

  showStub(sources, target) {
    const items = sources
      .map((x) => `<li data-id="${escapeHtml(x)}">${escapeHtml(this.g.item(x).label.split("\n")[0])} <code>${escapeHtml(x)}</code></li>`)
      .join("");
    const to = escapeHtml(this.g.item(target).label.split("\n")[0]);
    this.details.innerHTML =
      `<div class="dv-title">inputs of ${to}, drawn as a stub</div>` +
      `<p class="dv-hint">These arrows span many ranks; drawn in full they would make the layout slow. ` +
      `Click one to find it.</p><ul class="dv-top">${items}</ul>`;
  }

  showDetails(id) {
    const it = id && this.g.item(id);
    if (!it) {
      this.details.innerHTML =
        '<p class="dv-hint">Click a khaki group to open it, its frame to close it. Click or hover a box for ' +
        "details. Drag to pan, wheel to zoom.</p>";
      return;
    }
    const i = it.info;
    const rows = [];
    const row = (k, v) => rows.push(`<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`);
    row("id", `<code>${escapeHtml(i.id)}</code>`);
    row("kind", escapeHtml(i.kind));
    if (i.type) row("module type", escapeHtml(i.type));
    if (i.module !== undefined) row("module", `<code>${escapeHtml(i.module)}</code>`);
    if (i.param) row("parameter", `<code>${escapeHtml(i.param)}</code>`);
    if (i.tensor) {
      const t = i.tensor;
      if (t.label) row("tensor", `<code>${escapeHtml(t.label)}</code>`);
      row("shape, dtype", `${escapeHtml(t.shape)} ${escapeHtml(t.dtype)}${t.view ? " (a view)" : ""}`);
      row("requires_grad", String(t.requires_grad));
      row("size", formatBytes(t.bytes));
    }
    if (i.grad) {
      row(".grad", escapeHtml(i.grad.text));
      row(".grad norm", String(i.grad.norm));
    }
    if (i.count !== undefined) row("nodes inside", String(i.count));
    if (i.folded_steps !== undefined) row("folded steps", String(i.folded_steps));
    const m = i.memory;
    if (m) {
      row("saved activations", `${formatBytes(m.activations)}${m.distinct !== m.activations ? ` (${formatBytes(m.distinct)} counting shared storage once)` : ""}`);
      if (m.params) row("saved parameters", `${formatBytes(m.params)} (held anyway)`);
    }
    let saved = "";
    if (i.saved && i.saved.length) {
      const lines = i.saved.map((s) => {
        const notes = [];
        if (s.freed) notes.push("freed by backward");
        if (s.modified) notes.push("modified in place: backward would fail");
        if (s.param) notes.push("parameter");
        const what = s.shape ? `${escapeHtml(s.shape)} ${escapeHtml(s.dtype)}` : "";
        return `<tr><td><code>${escapeHtml(s.name)}</code></td><td>${what}</td><td>${formatBytes(s.bytes)}</td><td>${notes.join(", ")}</td></tr>`;
      });
      saved = `<div class="dv-sub">saved for backward</div><table class="dv-saved"><tr><th>name</th><th>shape</th><th>bytes</th><th></th></tr>${lines.join("")}</table>`;
    }
    let inside = "";
    if (this.g.isGroup(id)) {
      const members = (this.g.children.get(id) || []).map((n) => this.g.nodes.get(n));
      const top = members
        .filter((n) => n.info.memory && n.info.memory.activations > 0)
        .sort((a, b) => b.info.memory.activations - a.info.memory.activations)
        .slice(0, 5);
      if (top.length) {
        inside =
          '<div class="dv-sub">saves the most</div><ul class="dv-top">' +
          top.map((n) => `<li data-id="${escapeHtml(n.id)}">${escapeHtml(n.label.split("\n")[0])} <code>${escapeHtml(n.id)}</code>: ${formatBytes(n.info.memory.activations)}</li>`).join("") +
          "</ul>";
      }
    }
    const title = escapeHtml(it.label.split("\n")[0]);
    const hint = this.g.isGroup(id) ? '<p class="dv-hint">Click the box to open this group.</p>' : "";
    this.details.innerHTML = `<div class="dv-title">${title}</div><table class="dv-info">${rows.join("")}</table>${saved}${inside}${hint}`;
  }

  // ---- pan and zoom (the SVG viewBox keeps the canvas's aspect ratio) ----

  applyViewBox() {
    if (!this.svg || !this.vb) return;
    const { x, y, w, h } = this.vb;
    this.svg.setAttribute("viewBox", `${x} ${y} ${w} ${h}`);
  }

  canvasSize() {
    return { cw: this.canvas.clientWidth || 800, ch: this.canvas.clientHeight || 500 };
  }

  fit() {
    if (!this.bounds) return;
    const { cw, ch } = this.canvasSize();
    const b = this.bounds;
    const scale = Math.max(b.w / cw, b.h / ch, 1 / MAX_ZOOM);
    const w = cw * scale;
    const h = ch * scale;
    this.vb = { x: b.x + (b.w - w) / 2, y: b.y + (b.h - h) / 2, w, h };
    if (b.h / ch > b.w / cw && b.h > h * 0.999) this.vb.y = b.y;
    this.applyViewBox();
  }

  zoom(factor, at) {
    if (!this.vb) return;
    const p = at || { x: this.vb.x + this.vb.w / 2, y: this.vb.y + this.vb.h / 2 };
    this.vb = {
      x: p.x - (p.x - this.vb.x) * factor,
      y: p.y - (p.y - this.vb.y) * factor,
      w: this.vb.w * factor,
      h: this.vb.h * factor,
    };
    this.applyViewBox();
  }

  toGraph(clientX, clientY) {
    const r = this.canvas.getBoundingClientRect();
    const s = this.vb.w / (r.width || 1);
    return { x: this.vb.x + (clientX - r.left) * s, y: this.vb.y + (clientY - r.top) * s };
  }

  // Bring an element into view (zooming out if it does not fit; never zooming in).
  center(target) {
    if (!target || !this.vb) return;
    const r = target.getBoundingClientRect();
    const a = this.toGraph(r.left, r.top);
    const b = this.toGraph(r.right, r.bottom);
    const { cw, ch } = this.canvasSize();
    const scale = Math.max(this.vb.w / cw, ((b.x - a.x) * 1.1) / cw, ((b.y - a.y) * 1.1) / ch);
    const w = cw * scale;
    const h = ch * scale;
    this.vb = { x: (a.x + b.x) / 2 - w / 2, y: (a.y + b.y) / 2 - h / 2, w, h };
    this.applyViewBox();
  }
}

function heat(t) {
  // white -> light orange -> red, for 0..1
  const stops = [
    [255, 247, 236],
    [253, 187, 132],
    [215, 48, 31],
  ];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

function sameSet(a, b) {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function cssEscape(id) {
  return window.CSS && CSS.escape ? CSS.escape(id) : String(id).replace(/"/g, '\\"');
}

// anywidget entry point
function render({ model, el }) {
  const explorer = new Explorer(el, model);
  el.dagvizExplorer = explorer; // for tests and the curious: el.dagvizExplorer.lastDot
  explorer.start();
  return () => {
    el.innerHTML = "";
  };
}

// The standalone page: a tiny stand-in for the widget model.
function standalone(el, data) {
  const state = { graph: data, expanded: [], selected: "", color_by: "kind", height: 0 };
  const listeners = new Map();
  const model = {
    get: (key) => state[key],
    set: (key, value) => {
      state[key] = value;
    },
    save_changes: () => {},
    on: (event, callback) => {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(callback);
    },
    off: () => {},
  };
  return render({ model, el });
}

export { standalone };
export default { render };
