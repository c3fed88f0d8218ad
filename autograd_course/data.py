"""Offline data sets for the course.

Every lesson must run without internet, so the default data set is scikit-learn's
bundled handwritten digits (1,797 images, 10 classes), turned into small
ImageNet-normalized RGB tensors that a torchvision resnet18 accepts. CIFAR-10
through torchvision stays available for learners who opt in online
(``AUTOGRAD_COURSE_ONLINE=1``).

The course backbone is pretrained on :func:`letter_glyphs`: letters rendered
from the fonts that ship with matplotlib and then put through the *same*
preprocessing as the digits (32x32 bitmap, 4x4 block counts, 8x8 image with 17
grey levels). It contains no digits and none of the target labels.
"""

from __future__ import annotations

import functools
import os
import string
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "CACHE_ENV",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "LETTERS",
    "cache_dir",
    "denormalize",
    "cifar10",
    "digits_rgb",
    "letter_glyphs",
    "online_allowed",
    "to_rgb",
]

#: torchvision's ImageNet statistics: the real resnet18 weights expect inputs
#: normalized with them, so the course uses them for every data set.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: Source classes of the course backbone: capital letters and the lower-case
#: letters whose shape differs from their capital once scaled to fill the box.
LETTERS = string.ascii_uppercase + "abdefghijklmnqrtuy"

#: Fonts bundled with matplotlib (so always present, offline) used for the glyphs.
FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "STIXGeneral.ttf",
    "STIXGeneralItalic.ttf",
    "STIXGeneralBol.ttf",
    "cmr10.ttf",
    "cmss10.ttf",
    "cmtt10.ttf",
    "cmti10.ttf",
)

_TRUE = {"1", "true", "yes", "on"}
CACHE_ENV = "AUTOGRAD_COURSE_CACHE"


def online_allowed() -> bool:
    """True only if the user opted in to downloads with ``AUTOGRAD_COURSE_ONLINE=1``.

    The course never touches the network otherwise, so lessons behave the same
    on a laptop on a train and in CI.
    """
    return os.environ.get("AUTOGRAD_COURSE_ONLINE", "").strip().lower() in _TRUE


def cache_dir() -> Path:
    """Where built artifacts live: ``$AUTOGRAD_COURSE_CACHE``, else ``build/`` of the checkout.

    An installed (non-editable) copy has no checkout around it, so it falls back
    to ``~/.cache/autograd-course``.
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    root = Path(__file__).resolve().parent.parent
    if (root / "dagviz").is_dir() and (root / "notebooks").is_dir():
        return root / "build"
    return Path.home() / ".cache" / "autograd-course"


def to_rgb(gray: Tensor, size: int = 32) -> Tensor:
    """Turn ``(N, H, W)`` grey images in [0, 1] into ImageNet-normalized ``(N, 3, size, size)``.

    Bilinear upsampling keeps the digits smooth; the three identical channels and
    the ImageNet statistics let an unmodified torchvision resnet18 take them.
    """
    if gray.ndim != 3:
        raise ValueError(f"expected grey images of shape (N, H, W), got {tuple(gray.shape)}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    x = gray.to(torch.float32).unsqueeze(1)
    if x.shape[-2:] != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = x.clamp(0.0, 1.0).expand(-1, 3, -1, -1)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def denormalize(x: Tensor) -> Tensor:
    """Undo :func:`to_rgb`'s normalization, for showing images with matplotlib (values in [0, 1])."""
    mean = torch.tensor(IMAGENET_MEAN).view(-1, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(-1, 1, 1)
    return (x * std + mean).clamp(0.0, 1.0)


def digits_rgb(size: int = 32, seed: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """scikit-learn's handwritten digits as ``(x_train, y_train, x_test, y_test)``.

    Images are ``float32`` of shape ``(N, 3, size, size)``, ImageNet-normalized;
    labels are ``int64`` in 0..9. The split is stratified and fixed by ``seed``
    (1,347 training and 450 test images), so every run and every learner gets the
    same held-out set.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0  # 8x8, values 0..16
    labels = digits.target.astype(np.int64)
    idx_train, idx_test = train_test_split(
        np.arange(len(labels)), test_size=0.25, stratify=labels, random_state=seed
    )
    idx_train.sort()
    idx_test.sort()
    gray = torch.from_numpy(images)
    y = torch.from_numpy(labels)
    return to_rgb(gray[idx_train], size), y[idx_train], to_rgb(gray[idx_test], size), y[idx_test]


@functools.lru_cache(maxsize=1)
def _glyph_masks(resolution: int = 64) -> tuple[Tensor, Tensor]:
    """Rasterize every letter of every bundled font once: ``(masks, labels)``.

    Each glyph is scaled to fill the box like the digits' normalized bitmaps, and
    supersampled 2x2 so the later random transforms stay smooth. Cached: the
    result is only ever read, never modified.
    """
    import matplotlib
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    font_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    fonts = [font_dir / name for name in FONT_FILES if (font_dir / name).is_file()]
    if not fonts:
        raise FileNotFoundError("matplotlib's bundled fonts were not found; reinstall matplotlib")
    sub = 2 * resolution
    centers = (np.arange(sub) + 0.5) / sub
    gx, gy = np.meshgrid(centers, 1.0 - centers)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    masks, labels = [], []
    for font in fonts:
        prop = FontProperties(fname=str(font))
        for label, char in enumerate(LETTERS):
            path = TextPath((0, 0), char, size=1.0, prop=prop)
            verts = path.vertices
            lo, hi = verts.min(axis=0), verts.max(axis=0)
            scale = 0.8 / max(hi - lo)  # the longer side fills 80% of the box
            center = (lo + hi) / 2
            transformed = path.transformed(
                matplotlib.transforms.Affine2D().translate(*-center).scale(scale).translate(0.5, 0.5)
            )
            inside = transformed.contains_points(points).reshape(sub, sub)
            mask = inside.reshape(resolution, 2, resolution, 2).mean(axis=(1, 3))
            masks.append(mask.astype(np.float32))
            labels.append(label)
    return torch.from_numpy(np.stack(masks)), torch.tensor(labels, dtype=torch.int64)


def letter_glyphs(
    n: int, size: int = 32, seed: int = 0, *, masks: tuple[Tensor, Tensor] | None = None
) -> tuple[Tensor, Tensor]:
    """``n`` randomly distorted letters, preprocessed exactly like the digits: ``(x, y)``.

    This is the SOURCE task of the course backbone: ``len(LETTERS)`` classes of
    letters (no digits) in many fonts, randomly rotated, sheared, scaled, shifted
    and thickened, then binarized at 32x32 and block-counted into 8x8 images with
    17 grey levels (how the UCI digits were made) before :func:`to_rgb`.
    Pass ``masks=_glyph_masks()`` to reuse the rasterized fonts between calls.
    """
    glyphs, glyph_labels = masks if masks is not None else _glyph_masks()
    g = torch.Generator().manual_seed(seed)
    pick = torch.randint(len(glyphs), (n,), generator=g)
    src = glyphs[pick].unsqueeze(1)

    angle = (torch.rand(n, generator=g) - 0.5) * (2 * 0.35)  # about +-20 degrees
    shear = (torch.rand(n, generator=g) - 0.5) * 0.6
    sx = 0.6 + 0.45 * torch.rand(n, generator=g)  # digits are taller than wide
    sy = 0.9 + 0.25 * torch.rand(n, generator=g)
    shift = (torch.rand(n, 2, generator=g) - 0.5) * 0.2
    cos, sin = torch.cos(angle), torch.sin(angle)
    # inverse map (output -> input coordinates) for affine_grid
    a = torch.stack([torch.stack([cos, -sin + shear], -1), torch.stack([sin, cos], -1)], -2)
    a = a / torch.stack([sx, sy], -1).unsqueeze(-1)
    theta = torch.cat([a, shift.unsqueeze(-1)], -1)
    grid = F.affine_grid(theta, [n, 1, 32, 32], align_corners=False)
    warped = F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    # pen thickness: mostly as rendered, sometimes thicker (a dilation)
    thick = F.max_pool2d(warped, 3, stride=1, padding=1)
    level = torch.rand(n, 1, 1, 1, generator=g)
    bitmap = torch.where(level < 0.75, warped, thick)
    threshold = 0.3 + 0.4 * torch.rand(n, 1, 1, 1, generator=g)
    bitmap = (bitmap > threshold).to(torch.float32)
    gray = F.avg_pool2d(bitmap, 4).squeeze(1)  # 8x8, multiples of 1/16 like the digits
    return to_rgb(gray, size), glyph_labels[pick]


def cifar10(
    root: str | os.PathLike[str] | None = None,
    n_train: int = 5000,
    n_test: int = 1000,
    seed: int = 0,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """A seeded, class-balanced subset of CIFAR-10 via torchvision (online opt-in only).

    Downloads only when ``AUTOGRAD_COURSE_ONLINE=1``; an already downloaded copy
    under ``root`` is used without the network. Same format as :func:`digits_rgb`
    (32x32, ImageNet-normalized).
    """
    from torchvision.datasets import CIFAR10

    if root is None:
        root = cache_dir() / "cifar10"
    root = Path(root)
    online = online_allowed()
    present = (root / "cifar-10-batches-py").is_dir()
    if not (online or present):
        raise RuntimeError(
            "CIFAR-10 is not downloaded and downloads are off. Set AUTOGRAD_COURSE_ONLINE=1 to "
            "allow torchvision to download it, or use autograd_course.data.digits_rgb() offline."
        )
    parts = []
    for train, n in ((True, n_train), (False, n_test)):
        ds = CIFAR10(str(root), train=train, download=online and not present)
        images = torch.from_numpy(ds.data).permute(0, 3, 1, 2).to(torch.float32) / 255.0
        labels = torch.tensor(ds.targets, dtype=torch.int64)
        g = torch.Generator().manual_seed(seed + int(train))
        per_class = n // 10
        keep = torch.cat(
            [c_idx[torch.randperm(len(c_idx), generator=g)[:per_class]]
             for c_idx in (torch.nonzero(labels == c).squeeze(1) for c in range(10))]
        ).sort().values
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        parts += [((images[keep] - mean) / std).contiguous(), labels[keep]]
    return parts[0], parts[1], parts[2], parts[3]
