"""Lessons 1 and 2 in a real JupyterLab: Run All, outputs render, the step-through widget plays."""

from __future__ import annotations

import re

from jlab import ROOT, error_outputs, open_notebook, run_all, stored_cells

LESSON1 = "01_tensors_that_remember.ipynb"
LESSON2 = "02_forward_and_backward.ipynb"


def check_like_stored(cells: list[dict], stored: list[dict]) -> None:
    """Every code cell shows outputs where the stored notebook has them, rendered as the same kind."""
    assert len(cells) == len(stored), f"{len(cells)} code cells in JupyterLab, {len(stored)} stored"
    for i, (shown, kept) in enumerate(zip(cells, stored, strict=True)):
        where = f"code cell {i + 1} ({kept['source'].splitlines()[0][:60]!r})"
        if not kept["outputs"]:
            continue
        assert shown["outputs"], f"{where}: stored outputs, but JupyterLab shows none"
        wants_svg = sum("image/svg+xml" in o["mimes"] for o in kept["outputs"])
        got_svg = sum(o["mime"] == "image/svg+xml" and o["svg"] for o in shown["outputs"])
        assert got_svg == wants_svg, f"{where}: {wants_svg} SVG picture(s) stored, {got_svg} rendered"
        wants_widget = sum("application/vnd.jupyter.widget-view+json" in o["mimes"] for o in kept["outputs"])
        got_widget = sum(o["widget"] for o in shown["outputs"])
        assert got_widget == wants_widget, f"{where}: {wants_widget} widget(s) stored, {got_widget} rendered"
        wants_text = any(o["type"] == "stream" for o in kept["outputs"])
        if wants_text:
            assert any(o["mime"] == "application/vnd.jupyter.stdout" and o["text"].strip() for o in shown["outputs"]), (
                f"{where}: printed text stored, none shown"
            )


def test_lesson1_runs_and_every_output_is_present(lab, pages):
    page = pages.new("lesson1")
    open_notebook(page, lab, LESSON1)
    cells = run_all(page)
    assert error_outputs(cells) == []
    check_like_stored(cells, stored_cells(ROOT / "notebooks" / LESSON1))
    assert page.console_errors == [], page.console_errors


def test_lesson2_runs_draws_svg_and_steps_through_backward(lab, pages):
    page = pages.new("lesson2")
    open_notebook(page, lab, LESSON2)
    cells = run_all(page)
    assert error_outputs(cells) == []
    stored = stored_cells(ROOT / "notebooks" / LESSON2)
    check_like_stored(cells, stored)
    # the dagviz pictures are real Graphviz SVG with boxes in them
    pictures = page.locator(".jp-OutputArea-output[data-mime-type='image/svg+xml']")
    assert pictures.count() >= 3
    # the step-through widget: Play runs to the last step
    (index,) = [i for i, c in enumerate(stored) if "dagviz.step_through(" in c["source"]]
    cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").nth(index)
    widget = cell.locator(".jp-OutputArea-output .jupyter-widgets.widget-play")
    widget.wait_for()
    widget.scroll_into_view_if_needed()  # JupyterLab skips rendering cells out of view
    caption = cell.locator(".widget-html", has_text=re.compile(r"step 1/\d+"))
    caption.wait_for()
    found = re.search(r"step 1/(\d+)", caption.text_content())  # not inner_text: layout-dependent
    assert found, f"no 'step 1/N' caption: {caption.text_content()!r}"
    total = int(found.group(1))
    assert total >= 3
    first_svg = cell.locator(".widget-html svg").last.inner_html()
    cell.locator(".widget-play button").first.click()  # the play button
    cell.locator(".widget-html", has_text=f"step {total}/{total}").wait_for(timeout=(total * 0.9 + 20) * 1000)
    assert cell.locator(".widget-html svg").last.inner_html() != first_svg, "the picture did not change while playing"
    assert cell.locator(".widget-html svg g.node").count() > 0
    assert page.console_errors == [], page.console_errors
