// dagviz explorer: the backward graph in the browser (see dagviz/explore.py).
//
// One ES module, used two ways: as an anywidget module (`export default { render }`) in
// JupyterLab, and inlined into the page `dagviz.to_html` writes (which calls `standalone`).
// The Python side prepends `const GRAPHVIZ_SOURCE = "..."`: Graphviz compiled to
// WebAssembly (assets/graphviz.js, see assets/SOURCES.json), imported from a blob URL so
// nothing is fetched over the network.
//
// Data (ExplorerData.to_json): nodes of the full graph in walk order [{id, kind, label,
// look, chain?, info}] where `chain` lists the groups around the node, outermost first and
// `look` names its row of dagviz/kinds.py, whose styles are in `looks`; groups [{id, level,
// parent, label, look, info}]; `info` leaves out the id and kind, and False, None and zero
// memory (the Model puts them back); edges [[src, dst, kind, slot]]; the graph/node/edge
// attributes and styles `render.to_digraph` uses; `layout`: the numbers and
// words of dagviz/layout.py (`layout.rule()`), this explorer's budget and what folding the
// first view did. A view is the set of expanded groups. Its boxes are computed exactly as
// ExplorerData.shown does (collapse.regroup's rule), then laid out under the layout budget
// exactly as ExplorerData.view does (layout.fit, ported below), so the first view is the
// picture `dagviz.draw` makes, "from #k" notes and caption included.
//
// DOM contract (tests rely on it): every drawn box is an SVG <g class="node"> with a
// data-id; a collapsed group also has class "group"; an open group is a <g class="cluster
// expanded"> with its data-id; a "from #k" note is a g.node.ref (data-id: its own id, as in
// layout.fit's graph; data-for: its consumer; data-sources: the boxes it stands for), and a
// box marked "#k" has data-mark. Clicking a group opens it; clicking its frame closes it.

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

const NO_MEMORY = { activations: 0, params: 0, distinct: 0, tensors: 0 };

export class Model {
  constructor(data) {
    this.data = data;
    for (const g of data.groups) g.kind = "group";
    for (const it of [...data.nodes, ...data.groups]) {
      it.style = data.looks[it.look];
      it.info = { id: it.id, kind: it.kind, ...it.info, memory: { ...NO_MEMORY, ...(it.info.memory || {}) } };
    }
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

  kindOf(id) {
    return this.item(id).kind;
  }

  // The budget's verdict on a view (layout.fit without folding; see `fitView` below). `first`:
  // the first view (no group drawn open), whose caption also says what folding it did.
  fit(view, first = false) {
    const folded = view.elements.some((id) => this.isGroup(id) && this.groups.get(id).info.total_nodes !== undefined);
    return fitView(view.elements, view.edges, (id) => this.kindOf(id), folded, this.data.layout, first);
  }

  // The DOT source of a view, and the DOT name -> element id map for reading the SVG back.
  // frames=false leaves out the open groups' frames (clusters): the graph `render.to_digraph`
  // writes for ExplorerData.view, which the browser tests compare.
  dot(view, { frames = true, first = null } = {}) {
    const d = this.data;
    const rule = d.layout;
    const t0 = performance.now();
    const fitted = this.fit(view, first === null ? view.open.size === 0 : first);
    const ruleMs = performance.now() - t0;
    const names = new Map();
    const lines = ["digraph {"];
    const caption = [...(d.title ? [d.title] : []), ...(fitted.caption ? wrap(fitted.caption, rule.caption_width) : [])];
    const graphAttr = caption.length ? { ...d.graph_attr, label: caption.join("\n"), labelloc: "t", fontsize: "12" } : d.graph_attr;
    lines.push(`\tgraph${attrList(graphAttr)}`);
    lines.push(`\tnode${attrList(d.node_attr)}`);
    lines.push(`\tedge${attrList(d.edge_attr)}`);
    const { shared, uses, marks, notes } = fitted;
    // Frames nest: emit each at the position of its first box, its boxes inside. A note sits
    // in its consumer's frame.
    const tree = new Map([[null, []]]);
    const attach = (entry, parent) => {
      if (!frames) parent = null;
      if (!tree.has(parent)) {
        tree.set(parent, []);
        attach({ frame: parent }, this.groups.get(parent).parent);
      }
      tree.get(parent).push(entry);
    };
    for (const id of view.elements) if (!shared.has(id)) attach(id, view.frame.get(id));
    for (const note of notes) attach({ note }, view.frame.get(note.target));
    const emit = (parent, indent) => {
      for (const entry of tree.get(parent)) {
        if (entry.frame !== undefined) {
          const g = this.groups.get(entry.frame);
          const name = `cluster_${g.id}`;
          names.set(name, { id: g.id, frame: true });
          const label = g.label.split("\n")[0] + "  (click the frame to close)";
          lines.push(`${indent}subgraph ${quote(name)} {`);
          lines.push(`${indent}\tgraph${attrList({ ...CLUSTER_STYLE, label })}`);
          emit(entry.frame, indent + "\t");
          lines.push(`${indent}}`);
        } else if (entry.note) {
          const n = entry.note;
          names.set(n.id, { id: n.id, note: n });
          lines.push(`${indent}${quote(n.id)}${attrList({ label: n.label, ...rule.note_style })}`);
        } else {
          const it = this.item(entry);
          names.set(entry, { id: entry, mark: marks.get(entry) });
          lines.push(`${indent}${quote(entry)}${attrList({ label: marked(it.label, marks.get(entry)), ...it.style })}`);
        }
      }
    };
    emit(null, "\t");
    const copies = new Map();
    view.edges.forEach(([s, t, kind], i) => {
      if (fitted.cut.has(i)) return;
      let src = s;
      if (shared.has(s)) {
        const k = (copies.get(s) || 0) + 1;
        copies.set(s, k);
        src = `${s}_${k}`;
        const it = this.item(s);
        const style = it.kind === "leaf" ? rule.shared_leaf_style : rule.shared_nograd_style;
        names.set(src, { id: s, copy: k });
        // as render.to_digraph: in a folded summary the hidden steps use the weight too
        const count = `use ${k} of ${uses.get(s)}${fitted.folded ? " drawn" : ""}`;
        lines.push(`\t${quote(src)}${attrList({ label: `${it.label}\n${count}`, ...style })}`);
      }
      lines.push(`\t${quote(src)} -> ${quote(t)}${attrList(d.edge_style[kind] || {})}`);
    });
    for (const n of notes) lines.push(`\t${quote(n.id)} -> ${quote(n.target)}${attrList(d.edge_style.ref)}`);
    lines.push("}");
    return { source: lines.join("\n") + "\n", names, fitted, ruleMs };
  }
}

// ---- the layout budget: dagviz/layout.py's rule, ported function by function ----------------
//
// Views change in the browser, without Python, so the browser applies layout.fit itself. Only
// its second half: a view the learner opened is never folded behind their back; the first view
// arrives folded already (its fold boxes are groups) with the words saying so. The numbers and
// words come from Python (`layout.rule()`), and tests/browser/test_explorer.py checks that the
// DOT written here equals layout.fit + render.to_digraph's on views of a DenseNet, a dense-skip
// MLP and a folded RNN. A view: `ids` in order, `edges` [[src, dst, kind, slot]].

// layout.shared_leaves: leaves (and constants) with many consumers in a big graph, drawn once per use.
function sharedLeaves(ids, edges, kindOf, folded, rule) {
  const uses = new Map();
  for (const [s] of edges) uses.set(s, (uses.get(s) || 0) + 1);
  if (!folded && ids.length < rule.shared_min_nodes) return { shared: new Set(), uses };
  const leafy = (id) => kindOf(id) === "leaf" || kindOf(id) === "nograd";
  return { shared: new Set(ids.filter((id) => leafy(id) && (uses.get(id) || 0) >= rule.shared_uses)), uses };
}

// layout.ranks: longest path up from the outputs, then a node with more inputs than consumers
// moves up next to its lowest input. (Independent of the order nodes are visited in.)
export function ranks(ids, edges, shared) {
  const consumers = new Map(ids.map((id) => [id, []]));
  const inputs = new Map(ids.map((id) => [id, []]));
  for (const [s, d] of edges) {
    if (shared.has(s)) continue;
    consumers.get(s).push(d);
    inputs.get(d).push(s);
  }
  const waiting = new Map();
  const rank = new Map();
  const order = [];
  for (const [id, c] of consumers) {
    waiting.set(id, c.length);
    if (!c.length) {
      rank.set(id, 0);
      order.push(id);
    }
  }
  for (let q = 0; q < order.length; q++) {
    const nid = order[q];
    for (const src of inputs.get(nid)) {
      rank.set(src, Math.max(rank.get(src) || 0, rank.get(nid) + 1));
      waiting.set(src, waiting.get(src) - 1);
      if (waiting.get(src) === 0) order.push(src);
    }
  }
  for (const id of ids) if (!rank.has(id)) rank.set(id, 0); // only a cycle leaves nodes unranked
  for (const nid of order) {
    const ins = inputs.get(nid);
    if (ins.length > consumers.get(nid).length) {
      let lowest = Infinity;
      for (const s of ins) lowest = Math.min(lowest, rank.get(s));
      rank.set(nid, Math.max(rank.get(nid), lowest - 1));
    }
  }
  return rank;
}

// layout._cost(...).units: boxes (a shared leaf once per use, one note per consumer of cut
// edges) + hidden_weight x the ranks long edges cross.
function costUnits(ids, edges, rank, shared, cut, rule) {
  const notes = new Set();
  for (const i of cut) notes.add(edges[i][1]);
  let boxes = ids.length - shared.size + notes.size;
  let hidden = 0;
  edges.forEach(([s, d], i) => {
    if (shared.has(s)) boxes += 1;
    else if (!cut.has(i) && rank.get(s) - rank.get(d) > 1) hidden += rank.get(s) - rank.get(d) - 1;
  });
  return boxes + rule.hidden_weight * hidden;
}

// layout._cut: the edges to draw as notes so that none spans more than maxSpan ranks (a leaf
// keeps the edge to its nearest consumer), ranking again with them cut, a few rounds.
function cutEdges(ids, edges, shared, maxSpan, rank, rule) {
  const anchored = new Set(edges.map((e) => e[1]));
  const cut = new Set();
  for (let round = 0; round < rule.rounds; round++) {
    const nearest = new Map(); // src -> [span, index] of its shortest edge
    edges.forEach(([s, d], i) => {
      const span = rank.get(s) - rank.get(d);
      if (!cut.has(i) && (!nearest.has(s) || span < nearest.get(s)[0])) nearest.set(s, [span, i]);
    });
    const more = [];
    edges.forEach(([s, d], i) => {
      if (cut.has(i) || shared.has(s) || rank.get(s) - rank.get(d) <= maxSpan) return;
      if (anchored.has(s) || nearest.get(s)[1] !== i) more.push(i);
    });
    if (!more.length) break;
    for (const i of more) cut.add(i);
    // layout._view: the cut edges of each consumer replaced by one placeholder note
    const dsts = [...new Set([...cut].map((i) => edges[i][1]))];
    const viewIds = ids.concat(dsts.map((d) => `\u0000from ${d}`));
    const viewEdges = edges.filter((_, i) => !cut.has(i)).concat(dsts.map((d) => [`\u0000from ${d}`, d]));
    rank = ranks(viewIds, viewEdges, shared);
  }
  return { cut, rank };
}

// layout._ranges: [1, 2, 3, 5] -> "#1-#3, #5".
export function ranges(marks) {
  const out = [];
  let run = [];
  for (const m of [...[...new Set(marks)].sort((a, b) => a - b), null]) {
    if (run.length && m !== null && m === run[run.length - 1] + 1) {
      run.push(m);
      continue;
    }
    if (run.length) out.push(run.length === 1 ? `#${run[0]}` : `#${run[0]}-#${run[run.length - 1]}`);
    run = m === null ? [] : [m];
  }
  return out.join(", ");
}

// layout._shortened: marks "#k" counted from the top (by rank, then position), one note per
// consumer, "{id}_from", listing the marks of what it stands for.
function shortened(ids, edges, rank, cut, rule) {
  const position = new Map(ids.map((id, i) => [id, i]));
  const sources = [...new Set([...cut].map((i) => edges[i][0]))];
  sources.sort((a, b) => rank.get(b) - rank.get(a) || position.get(a) - position.get(b));
  const marks = new Map(sources.map((id, k) => [id, k + 1]));
  const far = new Map(); // consumer -> indices of its cut edges
  for (const i of [...cut].sort((a, b) => a - b)) {
    const d = edges[i][1];
    if (!far.has(d)) far.set(d, []);
    far.get(d).push(i);
  }
  const taken = new Set(ids);
  const notes = [];
  for (const id of ids) {
    if (!far.has(id)) continue;
    let nid = `${id}_from`;
    while (taken.has(nid)) nid += "_";
    taken.add(nid);
    const list = far.get(id);
    const label = wrap(`from ${ranges(list.map((i) => marks.get(edges[i][0])))}`, rule.note_width).join("\n");
    notes.push({ id: nid, target: id, sources: list.map((i) => edges[i][0]), label });
  }
  return { marks, notes };
}

// layout.fit(view, budget, fold=False), with `notes` of an earlier fold in front of its own:
// within budget, nothing changes; else the mildest span whose cut fits, and the caption says so.
export function fitView(ids, edges, kindOf, folded, rule, first = false) {
  const { shared, uses } = sharedLeaves(ids, edges, kindOf, folded, rule);
  const out = { shared, uses, folded, cut: new Set(), marks: new Map(), notes: [], caption: null, units: null };
  if (rule.budget === null || rule.budget === undefined) return out;
  const budget = rule.budget;
  const rank = ranks(ids, edges, shared);
  let units = costUnits(ids, edges, rank, shared, out.cut, rule);
  out.units = units;
  const said = first ? [...rule.first_notes] : [];
  if (units > budget) {
    let cutRank = rank;
    for (const span of rule.spans) {
      ({ cut: out.cut, rank: cutRank } = cutEdges(ids, edges, shared, span, rank, rule));
      units = costUnits(ids, edges, cutRank, shared, out.cut, rule);
      if (units <= budget) break;
    }
    if (out.cut.size) {
      Object.assign(out, shortened(ids, edges, cutRank, out.cut, rule));
      said.push(rule.cut_note.replace("{}", () => String(out.cut.size)));
    }
    if (units > budget) said.push(rule.over_note);
  }
  out.units = units;
  if (said.length) out.caption = rule.caption.replace("{}", () => said.join("; "));
  return out;
}

// Python's textwrap.wrap(text, width) with its defaults, for what dagviz wraps (captions and
// note labels: no tabs, no hyphen between letters).
export function wrap(text, width) {
  const chunks = text.replace(/\s/g, " ").split(/( +)/).filter((c) => c !== "").reverse();
  const lines = [];
  while (chunks.length) {
    const line = [];
    let length = 0;
    if (lines.length && chunks[chunks.length - 1].trim() === "") chunks.pop();
    while (chunks.length && length + chunks[chunks.length - 1].length <= width) {
      length += chunks[chunks.length - 1].length;
      line.push(chunks.pop());
    }
    if (chunks.length && chunks[chunks.length - 1].length > width) {
      const chunk = chunks.pop(); // a word longer than a line: break it (textwrap's break_long_words)
      let end = width < 1 ? 1 : width - length;
      const hyphen = end > 0 ? chunk.lastIndexOf("-", end - 1) : -1;
      if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1;
      line.push(chunk.slice(0, end));
      chunks.push(chunk.slice(end));
    }
    if (line.length && line[line.length - 1].trim() === "") line.pop();
    if (line.length) lines.push(line.join(""));
  }
  return lines;
}

// render._label with a mark: "#k  " before the first line.
function marked(label, mark) {
  return mark === undefined ? label : `#${mark}  ${label}`;
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
        if (node.classList.contains("ref")) this.showNote(node.dataset.sources.split(" "), node.dataset.for);
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
      if (node && node.classList.contains("ref")) this.showNote(node.dataset.sources.split(" "), node.dataset.for);
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
    const { source, names, fitted, ruleMs } = this.g.dot(view);
    this.lastDot = source;
    this.lastFit = fitted;
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
      if (entry.note) {
        g.dataset.kind = "ref";
        g.dataset.for = entry.note.target;
        g.dataset.sources = entry.note.sources.join(" ");
        g.classList.add("ref");
        continue;
      }
      g.dataset.kind = this.g.item(entry.id).kind;
      if (entry.copy) g.dataset.copy = String(entry.copy);
      if (entry.mark) g.dataset.mark = String(entry.mark);
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
      (fitted.cut.size ? ` · ${fitted.cut.size} long edges drawn as 'from #k' notes (see the caption)` : "") +
      ` · layout ${Math.round(layoutMs)} ms`;
    this.el.dataset.layoutMs = String(Math.round(layoutMs));
    this.el.dataset.ruleMs = ruleMs.toFixed(1);
    this.el.dataset.boxes = String(view.elements.length);
    this.el.dataset.notes = String(fitted.notes.length);
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
    const bytesOf = (id) => (((this.g.item(id) || {}).info || {}).memory || {}).activations || 0;
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

  // A "from #k" note: the inputs it stands for, each with its mark, a click away.
  showNote(sources, target) {
    const marks = (this.lastFit && this.lastFit.marks) || new Map();
    const items = sources
      .map((x) => {
        const mark = marks.has(x) ? `#${marks.get(x)} ` : "";
        return `<li data-id="${escapeHtml(x)}">${escapeHtml(mark + this.g.item(x).label.split("\n")[0])} <code>${escapeHtml(x)}</code></li>`;
      })
      .join("");
    const to = escapeHtml(this.g.item(target).label.split("\n")[0]);
    this.details.innerHTML =
      `<div class="dv-title">inputs of ${to}, from far above</div>` +
      `<p class="dv-hint">Drawn as one note instead of long arrows, which would make the layout slow ` +
      `(the caption says so). Each comes from the box with the same #k mark. Click one to find it.</p>` +
      `<ul class="dv-top">${items}</ul>`;
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
  explorer.layoutRule = { fitView, ranks, ranges, wrap }; // the port of dagviz.layout, for tests
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
