"""`python -m dagviz`: exit codes, messages, formats. Two real subprocess runs, the rest in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from dagviz.cli import main

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
pytest.importorskip("torchvision")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The two real `python -m dagviz` runs, started together (each pays for importing torch)."""
    tmp = tmp_path_factory.mktemp("cli")
    no_dot = dict(os.environ, PATH=str(tmp))  # no Graphviz on PATH: .dot must still work
    cmds = {
        "unknown": ([sys.executable, "-m", "dagviz", "resnet5", "-o", str(tmp / "x.svg")], None),
        "resnet18": (
            [sys.executable, "-m", "dagviz", "resnet18", "-o", str(tmp / "r18.dot"), "--input-shape", "1,3,32,32"]
            + ["--depth", "1"],
            no_dot,
        ),
    }
    procs = {
        k: subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for k, (cmd, env) in cmds.items()
    }
    out = {}
    for k, p in procs.items():
        stdout, stderr = p.communicate(timeout=300)
        out[k] = (p.returncode, stdout, stderr)
    return tmp, out


def test_unknown_model_suggests_close_names_without_traceback(runs):
    tmp, out = runs
    code, stdout, stderr = out["unknown"]
    assert code == 2
    assert "unknown model 'resnet5'" in stderr and "Did you mean: resnet50" in stderr
    assert "Traceback" not in stderr and stdout == ""
    assert not (tmp / "x.svg").exists()


def test_torchvision_model_to_dot_without_graphviz(runs):
    tmp, out = runs
    code, stdout, stderr = out["resnet18"]
    assert code == 0, stderr
    src = (tmp / "r18.dot").read_text()
    assert src.startswith("digraph") and 'label="layer4' in src and "box3d" in src
    assert "wrote" in stdout and "7 group" in stdout


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for word in ("--input-shape", "--depth", "--show-saved", "-o", ".svg", ".png", ".pdf", ".dot", "file.py:function"):
        assert word in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["resnet18", "-o", "x.gif"], "cannot tell the output format from 'x.gif'"),
        (["resnet18", "-o", "x.svg", "--input-shape", "1,3,a"], "--input-shape must be integers"),
        (["resnet18", "-o", "x.svg", "--input-shape", "1,0,3"], "positive sizes"),
        (["resnet18", "-o", "x.svg", "--depth", "-1"], "--depth must be 0 or more"),
        (["resnet18", "-o", "x.svg", "--budget", "-1"], "--budget must be 0 (no limit) or more"),
        (["nope.py:f", "-o", "x.svg"], "no such file: 'nope.py'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("dagviz: error:") and err.count("\n") == 1


def test_missing_arguments_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as info:
        main(["resnet18"])
    assert info.value.code == 2 and "-o/--output is required" in capsys.readouterr().err


def test_list_models(capsys):
    assert main(["--list-models"]) == 0
    names = capsys.readouterr().out.split()
    assert "resnet18" in names and "vit_b_16" in names


def test_model_that_cannot_run_on_the_shape(capsys, tmp_path):
    assert main(["alexnet", "-o", str(tmp_path / "a.dot"), "--input-shape", "1,1,8,8"]) == 2
    err = capsys.readouterr().err
    assert "alexnet could not run on an input of shape 1,1,8,8" in err and "--input-shape" in err


USER_FILE = textwrap.dedent(
    """
    import torch

    def loss():
        a = torch.tensor([2.0, 3.0], requires_grad=True)
        return (3 * a**3).sum()

    def with_model():
        torch.manual_seed(0)
        m = torch.nn.Linear(2, 1)
        return m(torch.ones(1, 2)).sum(), m

    def not_a_tensor():
        return 3

    def dense():
        feats = [torch.ones(1, 2, requires_grad=True)]
        for _ in range(30):  # every step reads all earlier ones: long skip edges
            feats.append(torch.cat(feats, 1).sum(1, keepdim=True).tanh())
        return feats[-1].sum()
    """
)


@needs_dot
@pytest.mark.parametrize("suffix", ["svg", "png", "pdf", "dot"])
def test_user_function_every_format(tmp_path, capsys, suffix):
    (tmp_path / "mine.py").write_text(USER_FILE)
    out = tmp_path / f"g.{suffix}"
    assert main([f"{tmp_path / 'mine.py'}:with_model", "-o", str(out), "--show-saved"]) == 0
    data = out.read_bytes()
    magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF", "dot": b"digraph"}[suffix]
    assert data.startswith(magic)
    if suffix in ("svg", "dot"):
        assert b"weight" in data and b"saved" in data  # params named from the returned model; --show-saved
    assert f"wrote {out}" in capsys.readouterr().out


def test_budget_option_simplifies_or_draws_everything(tmp_path, capsys):
    (tmp_path / "mine.py").write_text(USER_FILE)
    fitted, full = tmp_path / "fitted.dot", tmp_path / "full.dot"
    assert main([f"{tmp_path / 'mine.py'}:dense", "-o", str(fitted)]) == 0
    assert "simplified to fit the layout budget" in capsys.readouterr().out
    assert main([f"{tmp_path / 'mine.py'}:dense", "-o", str(full), "--budget", "0"]) == 0
    assert "simplified" not in capsys.readouterr().out
    assert "layout budget:" in fitted.read_text() and "shape=note" in fitted.read_text()
    assert "layout budget" not in full.read_text() and "shape=note" not in full.read_text()


def test_user_function_errors(tmp_path, capsys):
    (tmp_path / "mine.py").write_text(USER_FILE)
    assert main([f"{tmp_path / 'mine.py'}:los", "-o", str(tmp_path / "g.dot")]) == 2
    assert "has no function 'los'. Did you mean: loss?" in capsys.readouterr().err
    assert main([f"{tmp_path / 'mine.py'}:not_a_tensor", "-o", str(tmp_path / "g.dot")]) == 2
    assert "returned a int, not a tensor" in capsys.readouterr().err


def test_missing_dot_is_explained(tmp_path, capsys, monkeypatch):
    (tmp_path / "mine.py").write_text(USER_FILE)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main([f"{tmp_path / 'mine.py'}:loss", "-o", str(tmp_path / "g.svg")]) == 1
    err = capsys.readouterr().err
    assert "`dot` program was not found" in err and "-o graph.dot" in err


def test_never_downloads_backbone_weights(tmp_path, capsys):
    # segmentation builders default to an ImageNet backbone: dagviz must ask for none
    out = tmp_path / "seg.dot"
    assert main(["lraspp_mobilenet_v3_large", "-o", str(out), "--input-shape", "1,3,32,32", "--depth", "1"]) == 0
    assert "wants to download" not in capsys.readouterr().err
    assert out.read_text().startswith("digraph")
