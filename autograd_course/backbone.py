"""The resnet18 backbone of lesson 6: ImageNet weights when available, else the course's own.

The lesson must run offline and on a fresh clone. So :func:`load_backbone` uses
torchvision's real ImageNet weights only when they are already in the torch hub
cache (or when the learner allows downloads with ``AUTOGRAD_COURSE_ONLINE=1``);
otherwise it falls back to a resnet18 that :func:`pretrain` trains here, in well
under a minute, on a SOURCE task of synthetic letters (no digits, no target
labels), and caches as a ``state_dict`` under ``build/`` (or
``$AUTOGRAD_COURSE_CACHE``). Nothing here touches the network unless that
variable is set.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import ResNet18_Weights, resnet18

from . import data
from .data import cache_dir  # backbone.cache_dir stays part of this module's API

__all__ = [
    "RECIPE",
    "cache_dir",
    "choose_backbone",
    "course_backbone_file",
    "imagenet_weights_file",
    "load_backbone",
    "load_course_backbone",
    "pretrain",
    "recipe",
]

ONLINE_ENV = "AUTOGRAD_COURSE_ONLINE"
BACKBONE_ENV = "AUTOGRAD_COURSE_BACKBONE"
SEED_ENV = "AUTOGRAD_COURSE_BACKBONE_SEED"

#: Everything that determines the course backbone. A cached file made with a
#: different recipe is rebuilt, so changing a number here can never leave a
#: stale backbone behind.
RECIPE: dict[str, Any] = {
    "version": 1,
    "source_task": "letters",
    "classes": len(data.LETTERS),
    "size": 32,
    "steps": 100,
    "batch_size": 64,
    "lr": 0.002,
    "weight_decay": 0.05,
    "seed": 0,
}


def recipe() -> dict[str, Any]:
    """:data:`RECIPE`, with the seed taken from ``$AUTOGRAD_COURSE_BACKBONE_SEED`` when set.

    Another seed gives another, equally valid backbone. ``make test`` runs lesson 6 and
    the finetuning self-check against one, so an output that only holds for the exact
    weights of seed 0 fails in CI instead of on a learner's machine, whose CPU rounds
    differently and so never reproduces seed 0's weights bit for bit either.
    """
    seed = os.environ.get(SEED_ENV, "").strip()
    if not seed:
        return dict(RECIPE)
    try:
        value = int(seed)
    except ValueError:
        raise ValueError(f"${SEED_ENV} must be an integer, got {seed!r}") from None
    return {**RECIPE, "seed": value}


def imagenet_weights_file() -> Path:
    """The file ``torch.hub`` would load ``ResNet18_Weights.DEFAULT`` from (it may not exist)."""
    filename: str = os.path.basename(urlparse(ResNet18_Weights.DEFAULT.url).path)
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def course_backbone_file() -> Path:
    """Where the course-pretrained backbone is cached (it may not exist yet); one file per seed."""
    current = recipe()
    suffix = "" if current["seed"] == RECIPE["seed"] else f"_seed{current['seed']}"
    return cache_dir() / f"resnet18_letters_v{current['version']}{suffix}.pt"


def choose_backbone(source: str | None = None) -> str:
    """Decide ``"imagenet"`` or ``"course"`` without touching the network.

    ``source`` (or ``$AUTOGRAD_COURSE_BACKBONE``) may force one: ``"imagenet"``,
    ``"course"`` or ``"auto"`` (the default): ImageNet weights if the hub cache
    has them or downloads are allowed, else the course backbone.
    """
    choice = (source or os.environ.get(BACKBONE_ENV) or "auto").strip().lower()
    if choice not in {"auto", "imagenet", "course"}:
        raise ValueError(
            f"backbone source must be 'auto', 'imagenet' or 'course', got {choice!r} "
            f"(from the argument or ${BACKBONE_ENV})"
        )
    if choice != "auto":
        return choice
    if imagenet_weights_file().is_file() or data.online_allowed():
        return "imagenet"
    return "course"


@contextlib.contextmanager
def _isolated_torch_state() -> Iterator[None]:
    """Leave the caller's RNG and determinism flag exactly as they were.

    Whether the backbone was just built or read from the cache must not change
    the random numbers a notebook draws afterwards.
    """
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(was_deterministic)


@contextlib.contextmanager
def _weights_only_loads() -> Iterator[None]:
    """Make torchvision's own loader use ``torch.load(..., weights_only=True)``.

    ``resnet18(weights=...)`` calls ``torch.hub.load_state_dict_from_url``, which
    passes ``weights_only=False``; the course only ever unpickles tensors.
    """
    saved = {k: os.environ.get(k) for k in ("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")}
    os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = "1"
    os.environ.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def pretrain(
    path: str | os.PathLike[str] | None = None,
    *,
    steps: int | None = None,
    batch_size: int | None = None,
    verbose: bool = True,
) -> nn.Module:
    """Train a resnet18 from scratch on the letters SOURCE task and save its ``state_dict``.

    Letters in many fonts, preprocessed exactly like the digits, teach the
    network pen strokes at the digits' scale, so its frozen features transfer
    to the digits without ever seeing one. Deterministic for a given machine
    and thread count. ``steps``/``batch_size`` override :data:`RECIPE` (the
    tests use tiny values); only the full recipe is a valid cache, so a
    smaller run saved to the default path is rebuilt on the next load.
    """
    used = recipe()
    if steps is not None:
        used["steps"] = int(steps)
    if batch_size is not None:
        used["batch_size"] = int(batch_size)
    n_steps, batch = int(used["steps"]), int(used["batch_size"])
    if n_steps < 1 or batch < 2:
        raise ValueError(f"need steps >= 1 and batch_size >= 2, got {n_steps} and {batch}")
    out = Path(path) if path is not None else course_backbone_file()
    start = time.perf_counter()
    if verbose:
        print(f"pretraining the course backbone (seed {used['seed']}) on {used['classes']} classes of "
              f"synthetic letters ({n_steps} steps of {batch} images)...", flush=True)
    with _isolated_torch_state():
        torch.use_deterministic_algorithms(True)
        torch.manual_seed(int(used["seed"]))
        masks = data._glyph_masks()
        model: nn.Module = resnet18(num_classes=int(used["classes"]))
        model.train()
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=float(used["lr"]), weight_decay=float(used["weight_decay"])
        )
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=float(used["lr"]), total_steps=n_steps, pct_start=0.2
        )
        report_every = max(1, n_steps // 5)
        for step in range(n_steps):
            x, y = data.letter_glyphs(
                batch, size=int(used["size"]), seed=int(used["seed"]) * 1_000_003 + step, masks=masks
            )
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if verbose and (step + 1) % report_every == 0 and step + 1 < n_steps:
                print(f"  step {step + 1}/{n_steps}: loss {loss.item():.2f} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
        optimizer.zero_grad(set_to_none=True)
        model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    torch.save({"recipe": used, "state_dict": model.state_dict()}, tmp)
    os.replace(tmp, out)  # atomic: a concurrent reader never sees half a file
    if verbose:
        print(f"done in {time.perf_counter() - start:.0f} s (final loss {loss.item():.2f}); saved {out}")
    return model


def load_course_backbone(
    path: str | os.PathLike[str] | None = None, *, build: bool = True, verbose: bool = True
) -> nn.Module:
    """The course-pretrained resnet18 (``fc`` still has the letters head), built if missing.

    Loads with ``torch.load(..., weights_only=True)``. A file made with another
    :data:`RECIPE` is rebuilt (when ``build``), never silently reused.
    """
    file = Path(path) if path is not None else course_backbone_file()
    if file.is_file():
        try:
            saved = torch.load(file, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise RuntimeError(
                f"cannot read the cached course backbone {file} with weights_only=True ({exc}); "
                "delete it and run `python -m autograd_course backbone` to rebuild it"
            ) from exc
        if not isinstance(saved, dict) or "state_dict" not in saved:
            raise RuntimeError(f"{file} is not a course backbone file; delete it to rebuild it")
        if saved.get("recipe") == recipe():
            with _isolated_torch_state():
                model: nn.Module = resnet18(num_classes=int(RECIPE["classes"]))
            model.load_state_dict(saved["state_dict"])
            return model
        if verbose:
            print("the cached course backbone was made with another recipe: rebuilding it")
    if not build:
        raise FileNotFoundError(
            f"no course backbone at {file}: run `python -m autograd_course backbone` to build it"
        )
    pretrain(file, verbose=True)  # long work shows its progress, even when the caller wants no description
    # Read it back rather than return the trained object: a fresh clone then gets exactly
    # what every later (cached) run gets, with no leftover .grad from pretraining.
    return load_course_backbone(file, build=False, verbose=verbose)


def load_backbone(verbose: bool = True, *, source: str | None = None) -> tuple[nn.Module, str]:
    """A torchvision resnet18 for finetuning, and a one-line description of its weights.

    ImageNet weights (``resnet18(weights=ResNet18_Weights.DEFAULT)``) when the
    torch hub cache already has them or ``AUTOGRAD_COURSE_ONLINE=1``; otherwise
    the course backbone, pretrained on synthetic letters and cached. ``source``
    or ``$AUTOGRAD_COURSE_BACKBONE`` can force ``"imagenet"`` or ``"course"``.
    The model is returned in ``train()`` mode, as torchvision returns it; the
    global RNG is left untouched.
    """
    choice = choose_backbone(source)
    if choice == "imagenet":
        cached = imagenet_weights_file().is_file()
        if not cached and not data.online_allowed():
            raise RuntimeError(
                f"ImageNet weights for resnet18 are not in the torch hub cache ({imagenet_weights_file()}) "
                f"and downloads are off: set {ONLINE_ENV}=1 to download them, or use the course backbone"
            )
        with _isolated_torch_state(), _weights_only_loads():
            model = resnet18(weights=ResNet18_Weights.DEFAULT)
        where = "from the torch hub cache" if cached else f"downloaded ({ONLINE_ENV}=1)"
        description = f"ImageNet weights: torchvision ResNet18_Weights.{ResNet18_Weights.DEFAULT.name} ({where})"
    else:
        model = load_course_backbone(verbose=verbose)
        if source is not None:
            why = f"chosen with source={source!r}"
        elif os.environ.get(BACKBONE_ENV, "").strip().lower() == "course":
            why = f"chosen with {BACKBONE_ENV}=course"
        else:
            why = "no ImageNet weights in the torch hub cache"
        description = (
            f"course backbone: resnet18 pretrained from scratch on {RECIPE['classes']} classes "
            f"of synthetic letters ({why})"
        )
    if verbose:
        print(description)
    return model, description
