"""Tests of the course helpers behind lesson 6: offline data and the backbone fallback logic.

Fast on purpose (no full pretraining): the backbone recipe is shrunk to a few
steps, and the "ImageNet" file is a randomly initialised resnet18 saved where
torch.hub would look, inside a temporary TORCH_HOME.
"""

from __future__ import annotations

import pickle

import pytest
import torch
from torch import nn
from torchvision.models import resnet18

from autograd_course import backbone, data
from autograd_course.__main__ import main

TINY_RECIPE = {**backbone.RECIPE, "steps": 2, "batch_size": 8}


@pytest.fixture
def offline_env(tmp_path, monkeypatch):
    """An empty torch hub cache and course cache, downloads off, no forced backbone."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("AUTOGRAD_COURSE_CACHE", str(tmp_path / "course_cache"))
    monkeypatch.delenv("AUTOGRAD_COURSE_ONLINE", raising=False)
    monkeypatch.delenv("AUTOGRAD_COURSE_BACKBONE", raising=False)
    monkeypatch.delenv("AUTOGRAD_COURSE_BACKBONE_SEED", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("the course tried to download something while offline")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    return tmp_path


@pytest.fixture
def fake_imagenet(offline_env):
    """A random resnet18 state_dict saved as the hub's ResNet18_Weights.DEFAULT file."""
    torch.manual_seed(123)
    state = resnet18().state_dict()
    file = backbone.imagenet_weights_file()
    file.parent.mkdir(parents=True)
    torch.save(state, file)
    return state


@pytest.fixture
def tiny_recipe(monkeypatch):
    """Pretraining in two small steps, so the course path is testable in seconds."""
    monkeypatch.setattr(backbone, "RECIPE", dict(TINY_RECIPE))


# ---- data -----------------------------------------------------------------------------------


def test_digits_shapes_dtypes_and_stratified_split():
    x_train, y_train, x_test, y_test = data.digits_rgb()
    assert x_train.shape == (1347, 3, 32, 32) and x_test.shape == (450, 3, 32, 32)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert set(y_train.tolist()) == set(range(10)) == set(y_test.tolist())
    # stratified: every class holds a quarter of its images out (rounding moves at most one)
    full = torch.bincount(torch.cat([y_train, y_test]), minlength=10)
    assert ((torch.bincount(y_test, minlength=10) - full * 0.25).abs() <= 1).all()
    # ImageNet normalization of [0, 1] grey images: the three channels hold the same picture
    gray = data.denormalize(x_train[:5])
    assert torch.allclose(gray[:, 0], gray[:, 1], atol=1e-5) and torch.allclose(gray[:, 1], gray[:, 2], atol=1e-5)


def test_digits_split_is_fixed_by_seed_and_disjoint():
    a = data.digits_rgb(size=8, seed=0)
    b = data.digits_rgb(size=8, seed=0)
    c = data.digits_rgb(size=8, seed=1)
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    assert not torch.equal(a[3], c[3])
    assert len(a[1]) + len(a[3]) == 1797


def test_to_rgb_rejects_bad_input():
    with pytest.raises(ValueError, match="N, H, W"):
        data.to_rgb(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="at least 8"):
        data.to_rgb(torch.zeros(2, 8, 8), size=4)


def test_letter_glyphs_look_like_the_digits_but_are_letters():
    x, y = data.letter_glyphs(64, size=8, seed=5)
    x2, y2 = data.letter_glyphs(64, size=8, seed=5)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert x.shape == (64, 3, 8, 8) and y.min() >= 0 and y.max() < len(data.LETTERS)
    assert not any(ch.isdigit() for ch in data.LETTERS)
    # 8x8 images with 17 grey levels, like the UCI digits' 4x4 block counts
    levels = data.denormalize(x)[:, 0] * 16
    assert torch.allclose(levels, levels.round(), atol=1e-4)
    assert levels.sum((1, 2)).min() > 0  # no empty picture


def test_cifar10_refuses_to_download_offline(offline_env):
    with pytest.raises(RuntimeError, match="AUTOGRAD_COURSE_ONLINE=1"):
        data.cifar10(root=offline_env / "cifar")


# ---- which backbone -------------------------------------------------------------------------


def test_course_backbone_when_hub_cache_is_empty(offline_env):
    assert not backbone.imagenet_weights_file().exists()
    assert backbone.choose_backbone() == "course"
    assert backbone.imagenet_weights_file().name == "resnet18-f37072fd.pth"
    assert backbone.cache_dir() == offline_env / "course_cache"


def test_imagenet_when_the_file_is_cached_or_online(offline_env, monkeypatch):
    monkeypatch.setenv("AUTOGRAD_COURSE_ONLINE", "1")
    assert backbone.choose_backbone() == "imagenet"
    monkeypatch.setenv("AUTOGRAD_COURSE_ONLINE", "0")
    assert backbone.choose_backbone() == "course"
    monkeypatch.setenv("AUTOGRAD_COURSE_BACKBONE", "course")
    assert backbone.choose_backbone() == "course"
    monkeypatch.setenv("AUTOGRAD_COURSE_BACKBONE", "resnet")
    with pytest.raises(ValueError, match="'auto', 'imagenet' or 'course'"):
        backbone.choose_backbone()


def test_load_backbone_uses_the_cached_imagenet_file(fake_imagenet):
    assert backbone.choose_backbone() == "imagenet"
    rng = torch.get_rng_state()
    model, about = backbone.load_backbone(verbose=False)
    assert torch.equal(torch.get_rng_state(), rng), "loading must not consume the caller's random numbers"
    assert about.startswith("ImageNet weights") and "hub cache" in about
    assert model.fc.out_features == 1000 and model.training
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, fake_imagenet[name]), name


class _NotATensor:
    """Anything weights_only=True must refuse to unpickle."""


def test_imagenet_file_is_loaded_weights_only(offline_env):
    file = backbone.imagenet_weights_file()
    file.parent.mkdir(parents=True)
    torch.save({"conv1.weight": _NotATensor()}, file)
    with pytest.raises(pickle.UnpicklingError, match="[Ww]eights only load failed"):
        backbone.load_backbone(verbose=False)


def test_forcing_imagenet_offline_without_the_file_is_a_clear_error(offline_env, monkeypatch):
    monkeypatch.setenv("AUTOGRAD_COURSE_BACKBONE", "imagenet")
    with pytest.raises(RuntimeError, match="AUTOGRAD_COURSE_ONLINE=1"):
        backbone.load_backbone(verbose=False)


# ---- the course backbone --------------------------------------------------------------------


def test_course_backbone_is_built_once_then_loaded_weights_only(offline_env, tiny_recipe, monkeypatch, capsys):
    rng = torch.get_rng_state()
    model, about = backbone.load_backbone()
    assert torch.equal(torch.get_rng_state(), rng)
    assert "pretraining the course backbone" in capsys.readouterr().out
    assert about.startswith("course backbone") and "synthetic letters" in about
    assert model.fc.out_features == len(data.LETTERS) and model.training
    # a fresh build must hand out the same clean model as the cache: no gradients left from pretraining
    assert all(p.grad is None and p.requires_grad for p in model.parameters())
    file = backbone.course_backbone_file()
    assert file.is_file() and file.parent == offline_env / "course_cache"
    saved = torch.load(file, weights_only=True)
    assert saved["recipe"] == backbone.RECIPE

    def no_rebuild(*args, **kwargs):
        raise AssertionError("a valid cached backbone must not be rebuilt")

    monkeypatch.setattr(backbone, "pretrain", no_rebuild)
    again, about_again = backbone.load_backbone(verbose=False)
    assert about_again == about and "no ImageNet weights" in about
    _, forced = backbone.load_backbone(verbose=False, source="course")
    assert forced.endswith("(chosen with source='course')")
    monkeypatch.setenv("AUTOGRAD_COURSE_BACKBONE", "course")
    assert backbone.load_backbone(verbose=False)[1].endswith("(chosen with AUTOGRAD_COURSE_BACKBONE=course)")
    for name, tensor in again.state_dict().items():
        assert torch.equal(tensor, model.state_dict()[name]), name


def test_pretraining_is_deterministic(tmp_path, tiny_recipe):
    a = backbone.pretrain(tmp_path / "a.pt", verbose=False)
    b = backbone.pretrain(tmp_path / "b.pt", verbose=False)
    assert torch.equal(a.fc.weight, b.fc.weight)
    assert torch.equal(a.layer1[0].bn1.running_mean, b.layer1[0].bn1.running_mean)


def test_stale_recipe_is_rebuilt_and_foreign_file_is_refused(offline_env, tiny_recipe, monkeypatch):
    file = backbone.course_backbone_file()
    file.parent.mkdir(parents=True)
    torch.save({"recipe": {**backbone.RECIPE, "steps": 999}, "state_dict": {}}, file)
    with pytest.raises(FileNotFoundError, match="python -m autograd_course backbone"):
        backbone.load_course_backbone(build=False, verbose=False)
    backbone.load_course_backbone(verbose=False)  # rebuilds with the current recipe
    assert torch.load(file, weights_only=True)["recipe"] == backbone.RECIPE
    torch.save({"conv1.weight": _NotATensor()}, file)
    with pytest.raises(RuntimeError, match="weights_only=True"):
        backbone.load_course_backbone(verbose=False)


def test_another_seed_is_another_cached_backbone(offline_env, tiny_recipe, monkeypatch):
    default_file = backbone.course_backbone_file()
    seed0 = backbone.load_course_backbone(verbose=False)
    monkeypatch.setenv("AUTOGRAD_COURSE_BACKBONE_SEED", "1")
    assert backbone.recipe() == {**backbone.RECIPE, "seed": 1}
    other_file = backbone.course_backbone_file()
    assert other_file != default_file and other_file.name.endswith("_seed1.pt")
    seed1 = backbone.load_course_backbone(verbose=False)
    assert torch.load(other_file, weights_only=True)["recipe"]["seed"] == 1
    assert not torch.equal(seed0.fc.weight, seed1.fc.weight)  # really other weights
    monkeypatch.setenv("AUTOGRAD_COURSE_BACKBONE_SEED", "one")
    with pytest.raises(ValueError, match="must be an integer"):
        backbone.recipe()


def test_cli_builds_and_reports(offline_env, tiny_recipe, capsys):
    assert main(["which"]) == 0
    assert "not built yet" in capsys.readouterr().out
    assert main(["backbone"]) == 0
    assert "course backbone ready" in capsys.readouterr().out
    assert main(["which"]) == 0
    assert "(cached)" in capsys.readouterr().out


# ---- the lesson's central number ------------------------------------------------------------


def test_frozen_resnet18_with_a_new_head_trains_5130_parameters():
    model = resnet18()
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(512, 10)
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 5_130
    loss = nn.functional.cross_entropy(model(torch.randn(2, 3, 32, 32)), torch.tensor([0, 1]))
    loss.backward()
    assert all(p.grad is None for name, p in model.named_parameters() if not name.startswith("fc."))
