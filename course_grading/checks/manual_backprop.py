"""Hidden checks of `manual_backprop`: the backward pass of a 1-D ConvNet, derived by hand, graded against PyTorch.

The student's cells run in the `numpy` worker: a Python with NumPy and nothing else, so neither autograd nor a
library backward kernel (`torch.ops.aten.*_backward`) can be reached. References are PyTorch float64 autograd,
computed here, before the worker is asked anything.

Finite differences, complex steps and forward-mode tangents are all ways to *measure* a Jacobian instead of
deriving it. Each costs at least one forward pass per input element, or, with the inputs coloured so that
perturbations do not meet, one per channel (RMSNorm) or per channel and tap (the convolution). The layer checks
use inputs where that is far beyond the call's time limit, while the derived backward takes milliseconds:
thousands of channels for RMSNorm, 64 channels by 9 to 16 taps for the convolution. The tolerance (1e-11 of the
gradient's size) is also below what finite differences reach. Max-pooling is full of exact ties, where a
difference quotient gives a gradient to every tied element and PyTorch gives it to the first one only. GELU is
elementwise: a complex step there is exact and costs one pass, so its point is the one a measuring route can
earn (1 of 10, within a cheat's 20%).

Parts 5 and 6 are graded with the instructor's layers (and Part 5) substituted, so a bug in a layer costs only
that layer's points.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from course_grading.points import Checks, GraderError, Grading, Items, Verdict, verdict

checks = Checks("manual_backprop", feedback_env="numpy")

BASE = ["imports", "given"]
LAYERS = ["conv1d_backward", "rmsnorm_backward", "gelu_backward", "maxpool1d_backward"]
EPS, POOL_KERNEL, POOL_STRIDE = 1e-5, 3, 2  # as in the notebook's given cell
PARAMS = ("W", "b", "g", "V", "c")
INTERMEDIATES = ("logits", "f", "p", "z", "a", "r", "h", "x")
SECONDS = {"conv": 20.0, "rms": 10.0, "gelu": 20.0, "pool": 20.0, "network": 20.0, "train": 30.0}
LAYER_TOL = 1e-11  # of the largest |gradient|: float64 derivations agree with autograd to about 1e-15


def _np_rng(g: Grading, seed: int) -> np.random.Generator:
    return np.random.default_rng(g.rng(seed).getrandbits(64))


def _t(a) -> torch.Tensor:
    return torch.from_numpy(np.array(a, dtype=np.float64)).requires_grad_(True)


def _near(got, want: np.ndarray, tol: float, scale: float = 0.0) -> None:
    """got (from the worker) has want's shape, is finite, and is within tol of want's largest magnitude (or of
    `scale`, when the gradient's terms are larger than the gradient itself)."""
    if isinstance(got, str):
        raise AssertionError(got)
    got = np.asarray(got)
    if got.dtype.kind not in "fiu" or got.shape != want.shape or not np.all(np.isfinite(got)):
        raise AssertionError("shape or type")
    scale = max(float(np.abs(want).max(initial=0.0)), scale, 1e-300)
    if float(np.abs(got.astype(np.float64) - want).max(initial=0.0)) > tol * scale:
        raise AssertionError("not close")


def _hint(got, text: str) -> str:
    """A case's hint; when the student's function raised, say which exception (never its message)."""
    if got is None:
        return "no answer (see below)"
    if isinstance(got, str) and got[:1].isupper():
        return f"{text} (your function raised {got})"
    return text


def _result(points: float, groups: list[Items], reply, what: str, seconds: float) -> Verdict:
    notes = []
    if not reply.ok:
        if "ran out of time" in reply.error:
            notes.append(f"{what} did not answer all the hidden cases within {seconds:g} s: derive the gradient "
                         "and vectorize it (loops over taps or window positions are fine, over elements are not)")
        else:
            notes.append(f"{what} could not be asked: the worker stopped ({reply.error})")
    return verdict(points, groups, notes)


# ---- Part 1: the convolution -----------------------------------------------------------------------------------
CONV_SHAPES = [  # (N, C_in, L, C_out, K, padding): C_in * K up to 2560, so a coloured Jacobian needs that many passes
    (4, 128, 256, 64, 15, 7), (4, 96, 300, 96, 12, 0), (2, 128, 200, 48, 11, 10), (8, 1, 500, 64, 11, 5),
    (5, 64, 240, 1, 9, 3), (4, 48, 333, 48, 6, 3), (1, 160, 128, 64, 16, 2), (6, 32, 64, 96, 16, 15),
    (2, 3, 5, 2, 5, 0), (4, 64, 512, 32, 1, 0)]


def _conv_hint(case) -> str:
    K, P = case["W"].shape[2], case["padding"]
    if case["dout"].shape[2] == 1:
        return "a single output step (K = L, no padding)"
    if K == 1:
        return "a kernel of one tap"
    if P == 0:
        return "no padding"
    if P == K - 1:
        return "the largest padding, K - 1"
    if min(case["x"].shape[1], case["W"].shape[0]) == 1:
        return "one input or output channel"
    return f"{'an even' if K % 2 == 0 else 'an odd'} kernel with padding"


@checks.add("test_conv1d", points=2.5)
def conv(g: Grading) -> Verdict:
    rng = _np_rng(g, 401)
    cases, wants = [], []
    for N, C_in, L, C_out, K, P in CONV_SHAPES:
        x, W, b = rng.normal(size=(N, C_in, L)), rng.normal(size=(C_out, C_in, K)) / np.sqrt(C_in * K), rng.normal(
            size=C_out)
        tx, tW, tb = _t(x), _t(W), _t(b)
        out = F.conv1d(tx, tW, tb, padding=P)
        dout = rng.normal(size=tuple(out.shape))
        out.backward(torch.from_numpy(dout))
        cases.append({"dout": dout, "x": x, "W": W, "padding": P})
        wants.append((tx.grad.numpy(), tW.grad.numpy(), tb.grad.numpy()))
    worker = g.worker("numpy", [*BASE, "conv1d_backward"])
    reply = worker.call("conv1d_backward", cases, seconds=SECONDS["conv"])
    dx, dW, db = g.items("dx", 5), g.items("dW", 4), g.items("db", 1)
    for (case, got), want in zip(g.each(reply, cases), wants, strict=True):
        for group, key, w in ((dx, "dx", want[0]), (dW, "dW", want[1]), (db, "db", want[2])):
            with group.case(_hint(got, f"{key} is wrong with {_conv_hint(case)}")):
                _near(got[key] if isinstance(got, dict) else got, w, LAYER_TOL)
    return _result(2.5, [dx, dW, db], reply, "conv1d_backward", SECONDS["conv"])


# ---- Part 2: RMSNorm ------------------------------------------------------------------------------------------
RMS_SHAPES = [  # (N, C, T, eps, scale of h): thousands of channels, so one pass per channel is far too slow
    (2, 4096, 32, 1e-5, 1.0), (1, 3000, 80, 1e-5, 1.0), (4, 2048, 32, 1e-6, 1.0), (8, 1024, 32, 1e-5, 1.0),
    (3, 2500, 40, 1e-2, 0.05), (2, 3072, 24, 1e-5, 30.0), (2, 2048, 48, 1e-5, 1.0), (1, 4096, 40, 1e-3, 0.1),
    (50, 1, 20, 1e-5, 1.0), (5, 3, 7, 1e-5, 1.0)]


def _rms_hint(case) -> str:
    C, eps = case["h"].shape[1], case["eps"]
    if C == 1:
        return "one channel"
    if np.sqrt((case["h"] ** 2).mean()) < 10 * np.sqrt(eps):
        return "small inputs, where eps matters"
    if np.abs(case["h"]).max() > 20:
        return "large inputs"
    return "many channels" if C > 100 else "a few channels"


@checks.add("test_rmsnorm", points=2)
def rmsnorm(g: Grading) -> Verdict:
    rng = _np_rng(g, 402)
    cases, wants = [], []
    for N, C, T, eps, scale in RMS_SHAPES:
        h, gain = scale * rng.normal(size=(N, C, T)), 1.0 + 0.3 * rng.normal(size=C)
        th, tg = _t(h), _t(gain)
        out = F.rms_norm(th.transpose(1, 2), (C,), tg, eps=eps).transpose(1, 2)
        dout = rng.normal(size=h.shape)
        out.backward(torch.from_numpy(dout))
        cases.append({"dout": dout, "h": h, "g": gain, "eps": eps})
        wants.append((th.grad.numpy(), tg.grad.numpy()))
    worker = g.worker("numpy", [*BASE, "rmsnorm_backward"])
    reply = worker.call("rmsnorm_backward", cases, seconds=SECONDS["rms"])
    dh, dg = g.items("dh", 7), g.items("dg", 1)
    for (case, got), want in zip(g.each(reply, cases), wants, strict=True):
        for group, key, w in ((dh, "dh", want[0]), (dg, "dg", want[1])):
            with group.case(_hint(got, f"{key} is wrong with {_rms_hint(case)}")):
                _near(got[key] if isinstance(got, dict) else got, w, LAYER_TOL)
    return _result(2, [dh, dg], reply, "rmsnorm_backward", SECONDS["rms"])


# ---- Part 3: GELU -----------------------------------------------------------------------------------------------
@checks.add("test_gelu", points=1)
def gelu(g: Grading) -> Verdict:
    rng = _np_rng(g, 403)
    inputs = [rng.normal(size=(4, 8, 50)), 3 * rng.normal(size=(2, 16, 33)), rng.uniform(-30, 30, size=(3, 5, 200)),
              -0.7518 + 1e-3 * rng.normal(size=(1, 4, 64)), np.zeros((2, 2, 3)),
              np.concatenate([rng.uniform(-12, -4, 300), rng.uniform(4, 12, 300)]).reshape(2, 3, 100)]
    cases, wants = [], []
    for u in inputs:
        tu = _t(u)
        dout = rng.normal(size=u.shape)
        F.gelu(tu, approximate="tanh").backward(torch.from_numpy(dout))
        cases.append({"dout": dout, "u": u})
        wants.append(tu.grad.numpy())
    hints = ["inputs near 0", "inputs of a few units", "inputs from -30 to 30", "inputs where the derivative is 0",
             "inputs equal to 0", "inputs far from 0, where tanh is saturated"]
    reply = g.worker("numpy", [*BASE, "gelu_backward"]).call("gelu_backward", cases, seconds=SECONDS["gelu"])
    items = g.items("gelu_backward")
    for (case, got), want, hint in zip(g.each(reply, cases), wants, hints, strict=True):
        with items.case(_hint(got, f"du is wrong for {hint}")):
            _near(got, want, 2e-14, scale=float(np.abs(case["dout"]).max()))  # |gelu'| <= 1.13: dout's size
    return _result(1, [items], reply, "gelu_backward", SECONDS["gelu"])


# ---- Part 4: max-pooling -----------------------------------------------------------------------------------------
def _first_max_reference(dout: np.ndarray, z: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """PyTorch's rule, written out: each window's gradient to its first maximum (a check on the reference)."""
    dz = np.zeros_like(z)
    for j in range(dout.shape[2]):
        window = z[:, :, j * stride: j * stride + kernel]
        first = window.argmax(axis=2)
        n, c = np.indices(first.shape)
        dz[n, c, j * stride + first] += dout[:, :, j]
    return dz


@checks.add("test_maxpool", points=1.5)
def maxpool(g: Grading) -> Verdict:
    rng = _np_rng(g, 404)
    settings = [(3, 2), (3, 2), (2, 2), (3, 1), (4, 1), (5, 2), (2, 3), (4, 5), (3, 3), (1, 1), (6, 4), (3, 2)]
    cases, wants = [], []
    for n, (kernel, stride) in enumerate(settings):
        shape = (int(rng.integers(1, 5)), int(rng.integers(1, 6)), int(rng.integers(kernel, 40)))
        if n == len(settings) - 1:  # negative values, rounded: ties below zero
            z = np.round(-5 - 2 * rng.normal(size=shape), 1)
        elif n % 3 == 1:  # real numbers with ties planted
            z = rng.normal(size=shape)
            z[..., 1::3] = z[..., 0:-1:3][..., : z[..., 1::3].shape[-1]]
        else:  # small integers: ties everywhere
            z = rng.integers(0, 3 + n % 2, size=shape).astype(np.float64)
        tz = _t(z)
        out = F.max_pool1d(tz, kernel, stride)
        dout = rng.normal(size=tuple(out.shape))
        out.backward(torch.from_numpy(dout))
        want = tz.grad.numpy()
        if not np.allclose(want, _first_max_reference(dout, z, kernel, stride), rtol=0, atol=1e-12):
            raise GraderError("PyTorch's max_pool1d no longer sends a tie's gradient to the first maximum")
        cases.append({"dout": dout, "z": z, "kernel": kernel, "stride": stride})
        wants.append(want)
    reply = g.worker("numpy", [*BASE, "maxpool1d_backward"]).call("maxpool1d_backward", cases,
                                                                   seconds=SECONDS["pool"])
    overlap, apart = g.items("overlapping windows (stride < kernel)"), g.items("windows that touch or leave gaps")
    for (case, got), want in zip(g.each(reply, cases), wants, strict=True):
        if case["stride"] < case["kernel"]:
            group, hint = overlap, ("a step in two windows gets both gradients; a tie's gradient goes to the first "
                                    "maximum")
        else:
            group, hint = apart, "a tie's gradient goes to the first maximum, steps outside every window get 0"
        with group.case(_hint(got, hint)):
            _near(got, want, LAYER_TOL)
    return _result(1.5, [overlap, apart], reply, "maxpool1d_backward", SECONDS["pool"])


# ---- Parts 5 and 6: the whole network -----------------------------------------------------------------------------
def _params(rng: np.random.Generator, n_in: int, channels: int, kernel: int, length: int, classes: int,
            head: float = 1.0) -> dict:
    T = length + 2 * (kernel // 2) - kernel + 1
    T2 = (T - POOL_KERNEL) // POOL_STRIDE + 1
    return {"W": rng.normal(size=(channels, n_in, kernel)) / np.sqrt(n_in * kernel),
            "b": 0.2 * rng.normal(size=channels), "g": 1.0 + 0.2 * rng.normal(size=channels),
            "V": head * rng.normal(size=(classes, channels * T2)) / np.sqrt(channels * T2),
            "c": 0.2 * rng.normal(size=classes)}


def _torch_network(x, y, params: dict[str, torch.Tensor], keep: bool = False):
    t = {"x": x}
    t["h"] = F.conv1d(x, params["W"], params["b"], padding=params["W"].shape[2] // 2)
    t["r"] = F.rms_norm(t["h"].transpose(1, 2), (t["h"].shape[1],), params["g"], eps=EPS).transpose(1, 2)
    t["a"] = F.gelu(t["r"], approximate="tanh")
    t["z"] = t["h"] + t["a"]
    t["p"] = F.max_pool1d(t["z"], POOL_KERNEL, POOL_STRIDE)
    t["f"] = t["p"].flatten(1)
    t["logits"] = F.linear(t["f"], params["V"], params["c"])
    if keep:
        for name in INTERMEDIATES[:-1]:
            t[name].retain_grad()
    return F.cross_entropy(t["logits"], torch.from_numpy(y)), t


NETWORK_SHAPES = [(16, 3, 200, 32, 5, 6), (8, 1, 257, 24, 4, 3), (12, 4, 150, 40, 7, 10), (32, 2, 96, 16, 3, 5)]
GROUPS = {"the head": ("logits", "f", "p", "V", "c"), "the residual block": ("z", "a", "r", "g", "h"),
          "the convolution": ("x", "W", "b")}
NETWORK_HINTS = {
    "logits": "logits: the given cross_entropy_backward", "V": "V: the matmul rule for logits = f @ V.T + c",
    "c": "c: a bias broadcast over the batch", "f": "f: the matmul rule for logits = f @ V.T + c",
    "p": "p: the flatten's backward, a reshape back", "z": "z: max-pooling's backward with the network's window",
    "a": "a: z = h + a passes z's gradient on", "r": "r: GELU's backward", "g": "g: RMSNorm's gain",
    "h": "h: h is used twice (the residual and the norm): add both paths",
    "x": "x: the convolution's backward, with the network's padding",
    "W": "W: the convolution's backward, with the network's padding", "b": "b: the convolution's bias"}


@checks.add("test_network", points=1.5)
def network(g: Grading) -> Verdict:
    rng = _np_rng(g, 405)
    cases, wants = [], []
    for N, n_in, L, C, K, classes in NETWORK_SHAPES:
        params = _params(rng, n_in, C, K, L, classes)
        x, y = rng.normal(size=(N, n_in, L)), rng.integers(0, classes, N)
        tp = {k: _t(v) for k, v in params.items()}
        loss, t = _torch_network(_t(x), y, tp, keep=True)
        loss.backward()
        cache = {name: v.detach().numpy().copy() for name, v in t.items()}
        cases.append({"cache": cache, "params": params, "y": y})
        wants.append({name: v.grad.numpy() for name, v in {**t, **tp}.items()})
    worker = g.worker("numpy", [*BASE, *LAYERS, "network_backward"], substitute=LAYERS)
    reply = worker.call("network_backward", cases, seconds=SECONDS["network"])
    groups = {name: g.items(name) for name in GROUPS}
    for (_, got), want in zip(g.each(reply, cases), wants, strict=True):
        for group, names in GROUPS.items():
            for name in names:
                with groups[group].case(_hint(got, NETWORK_HINTS[name])):
                    _near(got[name] if isinstance(got, dict) else got, want[name], 1e-10)
    return _result(1.5, list(groups.values()), reply, "network_backward", SECONDS["network"])


TRAIN_SETTINGS = [  # (N, C_in, L, C, K, classes, steps, lr, momentum, weight_decay)
    (16, 2, 128, 24, 5, 4, 6, 0.002, 0.9, 0.0), (16, 1, 160, 16, 3, 3, 5, 0.003, 0.9, 1e-2),
    (12, 3, 100, 16, 4, 5, 7, 0.01, 0.0, 5e-3), (10, 2, 96, 20, 5, 4, 6, 0.005, 0.0, 0.0)]


def _torch_train(case) -> tuple[list[float], dict[str, np.ndarray]]:
    params = {k: _t(v) for k, v in case["params"].items()}
    optimizer = torch.optim.SGD(list(params.values()), lr=case["lr"], momentum=case["momentum"],
                                weight_decay=case["weight_decay"])
    losses = []
    for x, y in case["batches"]:
        optimizer.zero_grad()
        loss, _ = _torch_network(torch.from_numpy(x), y, params)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, {k: v.detach().numpy() for k, v in params.items()}


@checks.add("test_train", points=1.5)
def train(g: Grading) -> Verdict:
    rng = _np_rng(g, 406)
    cases, wants = [], []
    for N, n_in, L, C, K, classes, steps, lr, momentum, decay in TRAIN_SETTINGS:
        batches = [(rng.normal(size=(N, n_in, L)), rng.integers(0, classes, N)) for _ in range(steps)]
        case = {"params": _params(rng, n_in, C, K, L, classes, head=0.3), "batches": batches, "lr": lr,
                "momentum": momentum, "weight_decay": decay}
        cases.append(case)
        wants.append(_torch_train(case))
    worker = g.worker("numpy", [*BASE, *LAYERS, "network_backward", "train"],
                      substitute=[*LAYERS, "network_backward"])
    reply = worker.call("train", cases, seconds=SECONDS["train"])
    losses, after = g.items("the losses"), g.items("the parameters after training")
    for (case, got), (want_losses, want_params) in zip(g.each(reply, cases), wants, strict=True):
        kind = ("momentum and weight decay" if case["momentum"] and case["weight_decay"] else
                "momentum" if case["momentum"] else "weight decay" if case["weight_decay"] else "plain SGD")
        with losses.case(_hint(got, f"the losses differ from torch.optim.SGD's ({kind}): one per batch, each "
                                    "before its step")):
            _near(np.array(got["losses"]) if isinstance(got, dict) else got, np.array(want_losses), 1e-9)
        with after.case(_hint(got, f"a parameter after training differs from torch.optim.SGD's ({kind})")):
            for name in PARAMS:
                _near(got["params"][name], want_params[name], 1e-9)
    return _result(1.5, [losses, after], reply, "train", SECONDS["train"])
