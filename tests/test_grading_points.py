"""Comparison, points and the wire format: the parts of grading that decide, tested without a worker."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from course_grading import cheats, wire, worker
from course_grading.points import Items, array, check_close, close, verdict


def roundtrip(value):
    blobs: list[bytes] = []
    return wire.decode(worker.encode(value, blobs), blobs)


def test_plain_values_survive_and_subclasses_lose_their_behaviour():
    class Yes(float):
        def __eq__(self, other):
            return True

        __hash__ = float.__hash__

    out = roundtrip({"a": [1, 2.5, None, True, "s"], "b": (Yes(0.5),), "c": np.float32(1.5)})
    assert out["a"] == [1, 2.5, None, True, "s"] and type(out["b"][0]) is float and out["b"][0] != 7
    assert isinstance(out["c"], np.ndarray) and out["c"] == np.float32(1.5)

    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True

    arr = roundtrip(np.arange(3.0).view(Sneaky))
    assert type(arr) is np.ndarray and not np.array_equal(arr, [9, 9, 9])


def test_the_wire_refuses_what_is_not_plain_data():
    with pytest.raises(TypeError):
        worker.encode(object(), [])
    with pytest.raises(TypeError):
        worker.encode({1: "non-str key"}, [])
    with pytest.raises(wire.WireError):
        wire.decode({"__array__": 3}, [])  # points nowhere
    buffer = io.BytesIO()
    np.save(buffer, np.array(["text"]), allow_pickle=False)
    with pytest.raises(wire.WireError, match="numeric"):
        wire.decode({"__array__": 0}, [buffer.getvalue()])
    pickled = io.BytesIO()
    np.save(pickled, np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError):
        wire.decode({"__array__": 0}, [pickled.getvalue()])  # never unpickled
    with pytest.raises(wire.WireError):
        wire.decode(json.loads('{"x": 1}') | {"y": {1, 2}}, [])  # not JSON's types


def test_close_compares_shape_values_and_non_finite_places():
    assert close([1.0, 2.0], np.array([1.0, 2.0 + 1e-12]))
    assert not close([1.0, 2.0], np.array([1.0, 2.1]))
    assert not close([[1.0, 2.0]], np.array([1.0, 2.0]))  # shape matters
    assert close([np.nan, 1.0], np.array([np.nan, 1.0]))
    assert not close([0.0, 1.0], np.array([np.nan, 1.0]))  # NaN where the reference has NaN, only there
    assert not close([np.inf], np.array([-np.inf]))
    with pytest.raises(ValueError):
        array("not numbers")
    with pytest.raises(AssertionError):
        check_close([1.0], [2.0])


def test_items_give_partial_credit_and_messages_without_values():
    a, b = Items("part a"), Items("part b", weight=3)
    for k in range(4):
        with a.case("a hint"):
            assert k < 3
    b.fail("the worker stopped", 2)
    with b.case("fine"):
        pass
    v = verdict(2.0, [a, b])
    assert v.points == round(2.0 * (1 * 0.75 + 3 * (1 / 3)) / 4, 4)
    text = v.text()
    assert "part a: 3 of 4 passed" in text and "failed: a hint" in text and "failed (2x): the worker stopped" in text


def test_cheat_files_are_checked(tmp_path):
    good = tmp_path / "c.py"
    good.write_text("# class: forge\n# what: forges\n# flag: tamper\n# %% answer x\nx = 1\n")
    assert cheats.parse(good).answers == {"x": "x = 1"}
    for text, error in [("# class: nope\n# what: w\n# %% answer x\n", "class"),
                        ("# class: forge\n# %% answer x\n", "what"),
                        ("# class: honest\n# what: w\n# flag: tamper\n# %% answer x\n", "honest"),
                        ("x = 1\n# class: forge\n", "before")]:
        bad = tmp_path / "bad.py"
        bad.write_text(text)
        with pytest.raises(cheats.CheatError, match=error):
            cheats.parse(bad)
