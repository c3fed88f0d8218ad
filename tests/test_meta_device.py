"""The README's meta-device example, run as written: a model too big for memory, drawn."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import dagviz

README = Path(__file__).resolve().parent.parent / "README.md"
MARK = "<!-- meta-device example: tests/test_meta_device.py runs this block -->"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    assert text.count(MARK) == 1, f"README.md must hold {MARK!r} once, above the example"
    found = re.match(r"\s*```python\n(.*?)\n```", text.split(MARK, 1)[1], re.S)
    assert found, "the meta-device example must be the ```python block right after its marker"
    return found.group(1)


@pytest.fixture(scope="module")
def example() -> dict:
    scope: dict = {}
    exec(compile(readme_example(), "README.md (meta-device example)", "exec"), scope)
    return scope


def test_the_model_is_too_big_for_memory_and_never_allocated(example):
    params = list(example["model"].parameters())
    assert sum(p.numel() for p in params) > 170e9  # 700 GB in float32: "too big for memory" is true
    assert all(p.is_meta for p in params) and example["loss"].is_meta


def test_it_draws_one_box_per_layer(example, tmp_path):
    picture = example["picture"]
    assert repr(picture).startswith("<dagviz graph: 99 nodes (1 root, 1 op, 1 nograd, 96 group)")
    if shutil.which("dot") is None:
        pytest.fail("Graphviz's dot is needed (make setup installs it)")
    svg = picture.pipe(format="svg", encoding="utf-8")
    assert "layers.95" in svg and "layers.0" in svg and "TransformerEncoderLayer" in svg


def test_saved_tensors_text_and_the_explorer_work_on_meta_tensors(example, tmp_path):
    loss, model = example["loss"], example["model"]
    graph = dagviz.trace(loss, model, saved=True)
    shapes = {s.shape for n in graph.nodes for s in n.saved if s.shape}
    assert (1, 2048, 12288) in shapes  # what backward would keep, known without the data
    assert dagviz.text(loss).startswith("output scalar float32 [root]")
    page = dagviz.to_html(loss, tmp_path / "gpt.html", params=model, depth=1)
    assert page.stat().st_size < 5_000_000
