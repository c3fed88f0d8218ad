"""The explorer in a real browser: the HTML file from file://, and the widget in JupyterLab."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import torch
from jlab import error_outputs, open_notebook, run_all
from torch import nn

import dagviz
from dagviz import layout
from dagviz.draw import prepare
from dagviz.explore import explorer_data
from dagviz.render import to_digraph

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from examples import dense_mlp, unrolled_rnn  # noqa: E402  (tests/examples.py)

READY = ".dagviz-explorer[data-state=ready]"


@pytest.fixture(scope="module")
def resnet18():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    with dagviz.track(model):
        out = model(torch.randn(1, 3, 64, 64))
    return model, out


def open_html(pages, path, name="html"):
    page = pages.new(name)
    page.goto(path.resolve().as_uri())
    page.wait_for_selector(READY, timeout=60_000)
    return page


def drawn_ids(page) -> list[str]:
    """data-id of every box but the "from #k" notes, once (shared-leaf copies repeat an id)."""
    return page.evaluate(
        "[...new Set([...document.querySelectorAll('.dv-svg g.node:not(.ref)')].map(g => g.dataset.id))]"
    )


def boxes(graph) -> list[str]:
    """Ids of a drawn `Graph`'s boxes, "from #k" notes left out (as `drawn_ids` does)."""
    return [n.id for n in graph.nodes if n.kind != "ref"]


def canon(src: str) -> str:
    """Graphviz's canonical form of a DOT file: equal for the same graph written two ways."""
    if shutil.which("dot") is None:
        pytest.fail("Graphviz's dot is needed to compare DOT files (make dot installs it)")
    return subprocess.run(["dot", "-Tcanon"], input=src, capture_output=True, text=True, check=True).stdout


def kilobytes(n: int) -> str:
    """As the explorer writes sizes between 1 kB and 1 MB (three significant digits)."""
    x = n / 1000
    return f"{x:.2f} kB" if x < 10 else f"{x:.1f} kB" if x < 100 else f"{x:.0f} kB"


def wait_render(page, count: int) -> None:
    page.wait_for_selector(f".dagviz-explorer[data-renders='{count}'][data-state=ready]")


def test_html_file_opens_and_closes_a_group_with_no_console_errors(resnet18, pages, tmp_path):
    model, out = resnet18
    path = dagviz.to_html(out, tmp_path / "resnet18.html", params=model, depth=1, title="resnet18")
    data = explorer_data(out, model, depth=1)
    page = open_html(pages, path)
    first = boxes(data.view())
    assert sorted(drawn_ids(page)) == sorted(first)
    groups = page.locator(".dv-svg g.node.group")
    assert groups.count() == sum(1 for n in data.view().nodes if n.kind == "group")
    layer2 = next(n.id for n in data.view().nodes if n.name == "layer2")
    page.locator(f".dv-svg g.node.group[data-id='{layer2}']").click()
    wait_render(page, 2)
    opened = boxes(data.view([layer2]))
    assert sorted(drawn_ids(page)) == sorted(opened)
    assert layer2 not in drawn_ids(page)
    children = {gid for gid, g in data.groups.items() if g.parent == layer2}
    assert children and children <= set(drawn_ids(page))  # replaced by its members
    frame = page.locator(f".dv-svg g.cluster.expanded[data-id='{layer2}']")
    assert frame.count() == 1
    frame.locator("text").first.click()  # click the frame (its title) to close the group
    wait_render(page, 3)
    assert sorted(drawn_ids(page)) == sorted(first)
    assert page.console_errors == [], page.console_errors


def test_details_search_and_memory_view(resnet18, pages, tmp_path):
    model, out = resnet18
    path = dagviz.to_html(out, tmp_path / "r.html", params=model, depth=1)
    data = explorer_data(out, model, depth=1)
    page = open_html(pages, path)
    # a group's details: its module and the saved bytes summed over its members
    layer1 = next(n.id for n in data.view().nodes if n.name == "layer1")
    page.locator(f".dv-svg g.node[data-id='{layer1}']").hover()
    details = page.locator(".dv-details")
    acts = data.to_json()["groups"][list(data.groups).index(layer1)]["info"]["memory"]["activations"]
    assert "layer1" in details.inner_text() and f"saved activations\t{kilobytes(acts)}" in details.inner_text()
    # search finds a node hidden inside a closed group, and clicking the hit opens what hides it
    target = next(n for n in data.graph.nodes if n.module == "layer3.1.conv2" and n.kind == "op")
    page.locator(".dv-search").fill("layer3.1.conv2")
    hit = page.locator(f".dv-results li[data-id='{target.id}']")
    assert "inside a closed group" in hit.inner_text()
    hit.click()
    page.wait_for_selector(f".dv-svg g.node.selected[data-id='{target.id}']")
    text = details.inner_text()
    assert "ConvolutionBackward0" in text and "layer3.1.conv2" in text and "saved for backward" in text
    saved = {s.name: s for s in target.saved}
    assert f"{saved['input'].shape[1]}, " in text.replace("(", "") and "parameter" in text  # input, and the weight
    # pan and zoom move the SVG viewBox, without a new layout
    def view_box():
        return [float(v) for v in page.get_attribute(".dv-svg svg", "viewBox").split()]

    before = view_box()
    page.locator(".dv-zoom-in").click()
    zoomed = view_box()
    assert zoomed[2] < before[2] and zoomed[3] < before[3]
    box = page.locator(".dv-canvas").bounding_box()
    page.mouse.move(box["x"] + 50, box["y"] + 50)
    page.mouse.down()
    page.mouse.move(box["x"] + 150, box["y"] + 90, steps=5)
    page.mouse.up()
    assert view_box()[0] < zoomed[0] and view_box()[2] == zoomed[2]  # dragged right: the view moved left
    # the memory view recolors boxes by saved bytes, without a new layout
    renders = page.get_attribute(".dagviz-explorer", "data-renders")
    fills_js = "[...document.querySelectorAll('.dv-svg g.node polygon')].map(p => p.getAttribute('fill'))"
    fills = page.evaluate(fills_js)
    page.locator(".dv-memory").check()
    recolored = page.evaluate(fills_js)
    assert recolored != fills and any(f.startswith("rgb(") for f in recolored)
    assert "saved activations per box" in page.locator(".dv-legend").inner_text()
    assert page.get_attribute(".dagviz-explorer", "data-renders") == renders
    assert page.console_errors == [], page.console_errors


def test_browser_views_and_dot_match_python(resnet18, pages, tmp_path):
    """The browser computes views itself: they must be Python's (`ExplorerData.shown`), and the
    first view's DOT must be what `dagviz.draw` writes."""
    model, out = resnet18
    data = explorer_data(out, model, depth=1)
    page = open_html(pages, dagviz.to_html(out, tmp_path / "r.html", params=model, depth=1))
    rng = random.Random(0)
    ids = list(data.groups)
    for _ in range(25):
        opened = rng.sample(ids, rng.randint(0, len(ids)))
        py = data.shown(opened)
        js = page.evaluate("(o) => document.querySelector('.dagviz-explorer').dagvizExplorer.g.view(new Set(o))",
                           opened)
        assert js["elements"] == [n.id for n in py.nodes]
        assert [tuple(e) for e in js["edges"]] == [(e.src, e.dst, e.kind, e.slot) for e in py.edges]
    browser_dot = page.evaluate("document.querySelector('.dagviz-explorer').dagvizExplorer.lastDot")
    draw_dot = to_digraph(prepare(out, model, depth=1)).source.replace(' size="8,12"', "")
    assert canon(browser_dot) == canon(draw_dot)


def test_folded_repetition_opens_chunk_by_chunk(pages, tmp_path):
    torch.manual_seed(0)
    cell = nn.RNNCell(3, 4)
    h = torch.zeros(1, 4)
    for x in torch.randn(300, 1, 3):
        h = cell(x, h)
    params = {"W_ih": cell.weight_ih, "W_hh": cell.weight_hh}
    data = explorer_data(h.sum(), params)
    page = open_html(pages, dagviz.to_html(h.sum(), tmp_path / "rnn.html", params=params))
    fold, chunk, *_ = data.groups
    page.locator(f".dv-svg g.node.group[data-id='{fold}']").click()
    wait_render(page, 2)
    assert sorted(drawn_ids(page)) == sorted(boxes(data.view([fold])))
    page.locator(f".dv-svg g.node.group[data-id='{chunk}']").click()
    wait_render(page, 3)
    assert sorted(drawn_ids(page)) == sorted(boxes(data.view([fold, chunk])))
    assert page.locator(f".dv-svg g.cluster.expanded[data-id='{chunk}']").count() == 1
    assert page.console_errors == [], page.console_errors


def test_dense_skips_become_from_notes_with_marks_and_every_edge_is_kept(pages, tmp_path):
    model, out = dense_mlp(24, track=True)
    data = explorer_data(out, model, depth=2)
    page = open_html(pages, dagviz.to_html(out, tmp_path / "dense.html", params=model, depth=2))
    drawn = data.view()
    refs = [n for n in drawn.nodes if n.kind == "ref"]
    assert refs and sorted(drawn_ids(page)) == sorted(boxes(drawn))
    # the picture says what it did, in draw's words (the caption), and the status line repeats it
    caption = " ".join(page.locator(".dv-svg g.graph > text").all_text_contents())
    assert "layout budget:" in caption and "'from #k' notes" in caption
    assert re.search(r"\d+ long edges drawn as 'from #k' notes", page.locator(".dv-status").inner_text())
    # every note is a white note on a dotted arrow, listing what it stands for; sources carry their mark
    notes = page.evaluate(
        "[...document.querySelectorAll('.dv-svg g.node.ref')].map(g => [g.dataset.id, g.dataset.for,"
        " g.dataset.sources.split(' '), g.textContent.trim()])"
    )
    marks = dict(page.evaluate("[...document.querySelectorAll('.dv-svg g.node[data-mark]')]"
                               ".map(g => [g.dataset.id, Number(g.dataset.mark)])"))
    by_id = {n.id: n for n in drawn.nodes}
    assert sorted(n[0] for n in notes) == sorted(n.id for n in refs)
    for note_id, target, sources, text in notes:
        ref = by_id[note_id]
        assert (note_id, target) in {(e.src, e.dst) for e in drawn.edges}
        assert sorted(sources) == sorted(src for src, _kind, _slot in ref.attrs["edges"])
        assert text.replace(" ", "").startswith("from#") and all(s in marks for s in sources)
        assert {marks[s] for s in sources} == {by_id[s].attrs["mark"] for s in sources}
        first_line = page.locator(f".dv-svg g.node[data-id='{sources[0]}'] text").first.text_content()
        assert first_line.replace("\xa0", " ").startswith(f"#{marks[sources[0]]}  ")  # SVG keeps 2 spaces as nbsp
    assert page.locator(".dv-svg g.edge").count() == sum(1 for e in drawn.edges)  # kept arrows + one per note
    # a click on a note lists its sources with their marks; the legend explains the note
    page.locator(".dv-svg g.node.ref").first.dispatch_event("click")
    details = page.locator(".dv-details").inner_text()
    first_sources = notes[0][2]
    assert "from far above" in details and f"#{marks[first_sources[0]]} " in details
    assert "from #3-#9" in page.locator(".dv-legend").inner_text()
    assert page.console_errors == [], page.console_errors


def layout_cases():
    """(name, roots, params, depth): graphs where the layout budget matters."""
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    densenet = torchvision.models.densenet121(weights=None).eval()
    with dagviz.track(densenet):
        dn = densenet(torch.randn(1, 3, 32, 32)).sum()
    yield "densenet121", dn, densenet, None
    yield "densenet121", dn, densenet, 3
    mlp, loss = dense_mlp(24, track=True)
    for depth in (None, 1, 2):
        yield "dense_mlp", loss, mlp, depth
    cell, h = unrolled_rnn(200)
    yield "rnn200", h.sum(), {"W_ih": cell.weight_ih, "W_hh": cell.weight_hh}, None


DOT_OF = """([opened, frames]) => {
  const g = document.querySelector('.dagviz-explorer').dagvizExplorer.g;
  return g.dot(g.view(new Set(opened)), {frames}).source;
}"""


def statements(dot: str) -> list[str]:
    """A DOT file's node and edge statements, frames (clusters) left out."""
    out = [line.strip() for line in dot.splitlines()]
    frame = ("subgraph", "graph [", "digraph")
    return sorted(line for line in out if line and not line.startswith(frame) and line != "}")


def test_the_browser_lays_out_every_view_as_layout_fit_does(pages, tmp_path):
    """One rule in two languages: for views of a DenseNet, a dense-skip MLP and a folded RNN, the
    DOT the browser writes equals `layout.fit` (`ExplorerData.view`) + `render.to_digraph`."""
    page = pages.new("layout")
    said = set()
    for name, roots, params, depth in layout_cases():
        data = explorer_data(roots, params, depth=depth, title=name)
        path = dagviz.to_html(roots, tmp_path / f"{name}_{depth}.html", params=params, depth=depth, title=name)
        page.goto(path.resolve().as_uri())
        page.wait_for_selector(READY, timeout=60_000)
        rng = random.Random(0)
        ids = list(data.groups)
        views = [[]] + ([rng.sample(ids, rng.randint(1, len(ids))) for _ in range(5)] if ids else [])
        for opened in views:
            drawn = data.view(opened)
            python = to_digraph(drawn, title=name).source.replace(' size="8,12"', "")
            browser = page.evaluate(DOT_OF, [opened, False])
            assert canon(browser) == canon(python), f"{name} depth={depth} opened={opened}"
            framed = page.evaluate(DOT_OF, [opened, True])  # what it lays out: the same, in frames
            assert statements(framed) == statements(browser)
            said.update(note.split(": ", 1)[1].split(".")[0] for note in drawn.notes)
            if not opened:
                assert canon(page.evaluate("document.querySelector('.dagviz-explorer').dagvizExplorer.lastDot")) \
                    == canon(to_digraph(prepare(roots, params, depth=depth), title=name).source.replace(
                        ' size="8,12"', "")), f"{name} depth={depth}: the first view is not draw's"
    # the comparison covered every part of the rule: notes, and a fold said in the first caption
    assert any("'from #k' notes" in s for s in said) and any("folded into a khaki box" in s for s in said), said
    assert page.console_errors == [], page.console_errors


def test_wrap_and_ranges_are_pythons(pages, tmp_path):
    x = torch.ones(2, requires_grad=True)
    page = open_html(pages, dagviz.to_html((x * 2).sum(), tmp_path / "tiny.html"))
    rng = random.Random(0)
    words = ["#1-#3,", "#12", "from", "budget=None", "a", "x" * 40, "#100-#250,", "(#k", "marks)"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 40))) for _ in range(60)]
    for width in (8, 32, 100):
        js = page.evaluate("([t, w]) => t.map(x => document.querySelector('.dagviz-explorer')"
                           ".dagvizExplorer.layoutRule.wrap(x, w))", [texts, width])
        assert js == [textwrap.wrap(t, width) for t in texts]
    sets = [rng.sample(range(1, 40), rng.randint(1, 20)) for _ in range(30)]
    js = page.evaluate("(s) => s.map(m => document.querySelector('.dagviz-explorer').dagvizExplorer"
                       ".layoutRule.ranges(m))", sets)
    assert js == [layout._ranges(m) for m in sets]


WIDGET_NOTEBOOK = [
    "import torch, torchvision, dagviz\n"
    "torch.manual_seed(0)\n"
    "model = torchvision.models.resnet18(weights=None).eval()\n"
    "with dagviz.track(model):\n"
    "    out = model(torch.randn(1, 3, 64, 64))\n"
    "w = dagviz.explore(out, params=model, depth=1, height=500)\n"
    "w",
    "print('open:', sorted(w.expanded), len(w.view().nodes))",
]


def test_explorer_widget_in_jupyterlab_opens_a_group_on_click(lab, pages):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in WIDGET_NOTEBOOK]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / "explore_widget.ipynb")
    page = pages.new("widget")
    open_notebook(page, lab, "explore_widget.ipynb")
    cells = run_all(page)
    assert error_outputs(cells) == []
    assert "open: [] 13" in cells[1]["outputs"][0]["text"]
    explorer = page.locator(".jp-OutputArea-output .dagviz-explorer")
    explorer.scroll_into_view_if_needed()
    page.wait_for_selector(".jp-OutputArea-output .dagviz-explorer[data-state=ready]", timeout=60_000)
    layer3 = explorer.locator(".dv-svg g.node.group", has_text="layer3")
    gid = layer3.get_attribute("data-id")
    layer3.click()
    page.wait_for_selector(f".dagviz-explorer .dv-svg g.cluster.expanded[data-id='{gid}']")
    assert explorer.locator(f".dv-svg g.node[data-id='{gid}']").count() == 0
    assert explorer.locator(".dv-svg g.node.group", has_text="layer3.0").count() == 1
    # Python sees what the learner opened
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").nth(1).click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        """(g) => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')][1]
                    .textContent.includes("open: ['" + g + "'] 14")""",
        arg=gid,
        timeout=30_000,
    )
    assert page.console_errors == [], page.console_errors
