"""Regenerate the pictures of the README tour: `python docs/tour/make_tour.py`.

Every picture is made offline (random weights, fixed seeds) and must stay under 100 KB.
The explorer's screenshot needs Chromium and Playwright (`make chromium`, the dev extras).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch
from torch import nn

import dagviz
from dagviz.steps import frame, record_backward

HERE = Path(__file__).resolve().parent
LIMIT = 100_000
sys.path.insert(0, str(HERE.parent.parent / "tools"))


def save(name: str, dot) -> None:
    svg = dot.pipe(format="svg")
    if len(svg) >= LIMIT:
        raise SystemExit(f"{name}: {len(svg)} bytes, over the {LIMIT} byte budget of the tour")
    (HERE / name).write_bytes(svg)
    print(f"{name}: {len(svg) // 1024} KB  {dot!r}")


def graph_with_grads() -> None:
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    q = (3 * a**3 - b**2).sum()
    q.backward(retain_graph=True)
    save("01_graph.svg", dagviz.draw({"Q": q}, params={"a": a, "b": b}, show_grad=True))


def backward_step() -> None:
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    steps = record_backward((3 * a**3 - b**2).sum(), params={"a": a, "b": b})
    save("02_backward_step.svg", frame(steps, 4))


def resnet50_by_module() -> None:
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None)
    with dagviz.track(model):
        loss = model(torch.randn(1, 3, 64, 64)).sum()
    save("03_resnet50_depth1.svg", dagviz.draw(loss, params=model, depth=1, title="resnet50, depth=1"))


def freezing_diff() -> None:
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None)
    x = torch.randn(2, 3, 64, 64)
    with dagviz.track(model):
        before = model(x).sum()
    for p in model.parameters():
        p.requires_grad_(False)
    model.fc = nn.Linear(512, 10)
    with dagviz.track(model):
        after = model(x).sum()
    save("04_diff_freezing.svg", dagviz.diff(before, after, params=model, depth=1))


def rnn_folded() -> None:
    torch.manual_seed(0)
    cell = nn.RNNCell(4, 8)
    h = torch.zeros(1, 8)
    for x in torch.randn(1000, 1, 4):
        h = cell(x, h)
    save("05_rnn_1000_steps.svg", dagviz.draw({"loss": h.sum()}, params=cell, title="RNNCell unrolled 1000 steps"))


def explorer_screenshot() -> None:
    """resnet50 in the explorer: layer3 opened, colored by saved bytes, one block's details."""
    import chromium
    import torchvision
    from playwright.sync_api import sync_playwright

    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None)
    with dagviz.track(model):
        loss = model(torch.randn(1, 3, 64, 64)).sum()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        page_file = dagviz.to_html(loss, Path(tmp) / "resnet50.html", params=model, depth=1, title="resnet50")
        browser = chromium.launch(pw)
        page = browser.new_page(viewport={"width": 1100, "height": 640})
        page.goto(page_file.as_uri())
        page.wait_for_selector(".dagviz-explorer[data-state=ready]")
        page.locator(".dv-svg g.node.group", has_text="layer3 (").click()
        page.wait_for_selector(".dagviz-explorer[data-renders='2'][data-state=ready]")
        page.locator(".dv-memory").check()
        page.locator(".dv-svg g.node.group", has_text="layer3.0 (").hover()
        shot = page.screenshot(type="jpeg", quality=80)
        browser.close()
    if len(shot) >= LIMIT:
        raise SystemExit(f"06_explorer.jpg: {len(shot)} bytes, over the {LIMIT} byte budget of the tour")
    (HERE / "06_explorer.jpg").write_bytes(shot)
    print(f"06_explorer.jpg: {len(shot) // 1024} KB")


if __name__ == "__main__":
    graph_with_grads()
    backward_step()
    resnet50_by_module()
    freezing_diff()
    rnn_folded()
    explorer_screenshot()
