"""Hidden checks of `custom_function`: three functions, their values and their derivatives, graded on numbers.

The student's cells run in the `torch` worker; the drivers call their `Exprel`, `UniformKL` and
`log_mean` on half a million to a million hidden points per call, in float32 and float64, and send back values,
first derivatives (their backward, through `torch.autograd.grad`) and second derivatives (autograd
through their backward, `create_graph=True`). References are computed here, in float64, by formulas
checked against mpmath at 60 digits on thousands of random points of every regime when they were
written (`reference_*` below: within a few units of float64 rounding).

How the rule "derive a stable forward *and* backward" is made true without watching the process:

* Every graded case mixes ordinary points with points where autograd through a formula that only gets
  the *values* right gives NaN, 0 or a few correct digits: x = 0 and |x| < 0.5 for exprel (cancellation
  and torch.where's NaN trap), nearly equal logits for the KL (p - 1/n), a close to b for the log mean.
  So delegating the derivatives to autograd, to finite differences or to forward mode earns no
  derivative case, while a case still separates one mistake from another (zeros, small |x|, large |x|).
* Every case holds the same points in float32 *and* float64: float64 is checked to 1e-12 relative, which
  no finite difference reaches (so a float64 finite difference cannot answer the float32 half either).
* Each call has about a million points and a time limit an honest, vectorised answer meets a hundred times
  over: evaluating the definition at high precision element by element (decimal, mpmath, sympy) cannot.
"""

from __future__ import annotations

import math

import numpy as np

from course_grading.points import Checks, Grading, Items

checks = Checks("custom_function", feedback_env="torch")

REL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}
EPS = {np.dtype(np.float32): float(np.finfo(np.float32).eps), np.dtype(np.float64): float(np.finfo(np.float64).eps)}
ROUNDING = 32  # rows of the KL: errors allowed in units of the row's own rounding (see _kl_verdicts)
SECONDS = {"exprel": 60.0, "uniform_kl": 30.0, "log_mean": 60.0}  # per part; honest answers: a few seconds


# ---- references (float64, validated against mpmath; the tests compare them at random points) -----------
_F0 = [1 / math.factorial(k + 1) for k in range(24)]  # |x| < 1: the next terms are below 1e-24
_F1 = [k / math.factorial(k + 1) for k in range(1, 25)]
_F2 = [k * (k - 1) / math.factorial(k + 1) for k in range(2, 26)]


def _horner(coefficients, x):
    out = np.zeros_like(x)
    for c in reversed(coefficients):
        out = out * x + c
    return out


def reference_exprel(x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(e^x - 1)/x and its first two derivatives: Taylor series for |x| < 1, closed forms beyond."""
    x = np.asarray(x, dtype=np.float64)
    small = np.abs(x) < 1
    xs, xb = np.where(small, x, 0.0), np.where(small, 1.0, x)
    with np.errstate(over="ignore"):
        q = np.exp(xb) / xb
        f = np.where(small, _horner(_F0, xs), np.expm1(xb) / xb)
        f1 = np.where(small, _horner(_F1, xs), q * (1 - 1 / xb) + 1 / xb**2)
        f2 = np.where(small, _horner(_F2, xs), q * (1 - 2 / xb + 2 / xb**2) - 2 / xb**3)
    return f, f1, f2


def reference_kl(x, u, v) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """F = log mean exp(x) - mean x over the last axis, u * dF/dx, and u * H v."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[-1]
    d = x - x.mean(-1, keepdims=True)
    m = d.max(-1, keepdims=True)
    value = (m[..., 0] - d.mean(-1)) + np.log1p(np.expm1(d - m).mean(-1))
    z = x - x.max(-1, keepdims=True)
    e = z - np.log1p(np.expm1(z).mean(-1, keepdims=True))  # log(n p)
    grad = u[..., None] * np.expm1(e) / n
    p = np.exp(e) / n
    hvp = u[..., None] * p * (v - (p * v).sum(-1, keepdims=True))
    return value, grad, hvp


def reference_log_mean(a, b) -> tuple[np.ndarray, ...]:
    """L(a, b) = (a - b)/(log a - log b) = b exprel(log(a/b)); L_a, L_b; L_aa, L_ab, L_bb.

    The derivatives are meant for a, b in [1e-3, 1e3]; the value holds for any positive pair: far apart it
    is (a - b)/(log a - log b) itself, with no a/b that could overflow."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    near = np.abs(a - b) < 0.5 * b
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        t = np.where(near, np.log1p(np.where(near, a - b, 0.0) / b), np.log(a) - np.log(b))
        e0, e1, e2 = reference_exprel(t)
        c = e2 - e1
        value = np.where(near, b * e0, (a - b) / np.where(near, 1.0, t))
        return value, e1 * np.exp(-t), e0 - e1, c * np.exp(-t) / a, -c / a, c / b


# ---- comparing what came back --------------------------------------------------------------------------------
def _result(got, shape, dtype) -> np.ndarray:
    """The worker's array, if it has the input's shape and dtype (else ValueError)."""
    if not isinstance(got, np.ndarray) or got.shape != tuple(shape) or got.dtype != dtype:
        raise ValueError("wrong shape or dtype")
    return got.astype(np.float64)


def _ok(got, want, rel, atol=0.0) -> np.ndarray:
    """Per element: finite, and within rel * |want| + atol of want."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.isfinite(got) & (np.abs(got - want) <= rel * np.abs(want) + atol)


def _grade(items: Items, cases: list[tuple[str, str]], masks: list[dict], reply, labels_of) -> None:
    """One item per case; a case passes when every element it covers passed in every tensor."""
    if not reply.ok:
        why = "ran out of time" if "time" in reply.error else "stopped"
        for hint, _ in cases:
            items.fail(f"{hint} (the call {why}: write everything with tensor operations, no Python loops over "
                       "entries; see the notes at the top)")
        return
    for hint, name in cases:
        with items.case(hint):
            assert all(np.all(ok[labels_of(k, name)]) for k, ok in enumerate(masks))


def _answers(reply, n: int) -> list:
    return reply.value if reply.ok and isinstance(reply.value, list) and len(reply.value) == n else [None] * n


def _part(g: Grading, name: str, cells: list[str], make, seconds: float, substitute=()) -> tuple:
    """(payload, labels, reply) of a part: one call answers all of its test cells (values, first and second
    derivatives), so every cell's call carries the full cost that the time limit is set against."""
    cache = g.__dict__.setdefault("_custom_function_parts", {})
    if name not in cache:
        payload, labels = make()
        worker = g.worker("torch", cells, substitute=substitute)
        cache[name] = (payload, labels, worker.call(name, payload, seconds=seconds))
    return cache[name]


# ---- Part 1: Exprel -----------------------------------------------------------------------------------------
EXPREL_CASES = [
    ("x = 0 and tiny |x| (among ordinary x), float32 and float64", "zeros"),
    ("small |x| below 0.5 (among ordinary x), float32 and float64", "small"),
    ("large |x| (among x = 0 and tiny |x|), float32 and float64", "large"),
]
EXPREL_SETS = {"zeros": ("zero", "moderate"), "small": ("near", "moderate"), "large": ("large", "zero")}
_EXPREL_KINDS = ("zero", "near", "moderate", "large")


def _exprel_points(seed: int):
    """Regime labels and the points: float64 as a 512 x 1024 matrix, float32 as a vector of 2^19."""
    gen = np.random.default_rng(seed)
    n = 1 << 19
    labels = gen.choice(4, size=n, p=[0.2, 0.4, 0.2, 0.2])
    sign = gen.choice([-1.0, 1.0], size=n)
    out = []
    for dtype, tiny, near, big in ((np.float64, (-300, -30), (-9, math.log10(0.5)), 700.0),
                                   (np.float32, (-37, -20), (-5.5, math.log10(0.5)), 80.0)):
        x = np.where(labels == 0, 10.0 ** gen.uniform(*tiny, n), 0.0)
        x = np.where((labels == 0) & (gen.random(n) < 0.25), 0.0, x)  # a quarter of them exactly 0
        x = np.where(labels == 1, 10.0 ** gen.uniform(*near, n), x)
        x = np.where(labels == 2, gen.uniform(0.5, 5.0, n), x)
        x = np.where(labels == 3, np.exp(gen.uniform(math.log(5.0), math.log(big), n)), x)
        out.append((sign * x).astype(dtype))
    x64, x32 = out
    return labels, x64.reshape(512, 1024), x32


def _exprel_payload(seed: int) -> tuple[dict, np.ndarray]:
    labels, x64, x32 = _exprel_points(seed)
    gen = np.random.default_rng(seed + 1)
    tensors = []
    for x in (x64, x32):
        w = gen.uniform(0.5, 1.5, x.shape).astype(x.dtype)
        v = (gen.choice([-1.0, 1.0], x.shape) * gen.uniform(0.5, 1.5, x.shape)).astype(x.dtype)
        tensors.append({"x": x, "w": w, "v": v})
    return {"tensors": tensors}, labels


def _exprel_check(g: Grading, name: str, key: str) -> Items:
    payload, labels, reply = _part(g, "exprel", ["imports", "exprel"], lambda: _exprel_payload(1101),
                                   SECONDS["exprel"])
    masks = []
    for case, got in zip(payload["tensors"], _answers(reply, len(payload["tensors"])), strict=True):
        x = case["x"]
        f, f1, f2 = reference_exprel(x.astype(np.float64))
        want = {"value": f, "grad": f1 * case["w"], "grad2": f2 * case["w"] * case["v"]}[key]
        try:
            mine = _result(got[key], x.shape, x.dtype)
            masks.append(_ok(mine, want, REL[x.dtype]).reshape(-1))
        except Exception:  # noqa: BLE001 (missing, malformed or an exception's name)
            masks.append(np.zeros(x.size, dtype=bool))
    items = g.items(name)
    _grade(items, EXPREL_CASES, masks, reply,
           lambda k, case: np.isin(labels, [_EXPREL_KINDS.index(s) for s in EXPREL_SETS[case]]))
    return items


@checks.add("test_exprel_value", points=0.5)
def exprel_value(g: Grading) -> Items:
    return _exprel_check(g, "Exprel values", "value")


@checks.add("test_exprel_grad", points=1.75)
def exprel_grad(g: Grading) -> Items:
    return _exprel_check(g, "Exprel first derivatives (your backward)", "grad")


@checks.add("test_exprel_grad2", points=1.25)
def exprel_grad2(g: Grading) -> Items:
    return _exprel_check(g, "Exprel second derivatives (autograd through your backward)", "grad2")


# ---- Part 2: UniformKL ------------------------------------------------------------------------------------
KL_KINDS = ("uniform0", "uniformc", "moderate", "huge", "offset")
KL_CASES = [
    ("rows of nearly equal entries around 0 (among ordinary rows)", ("uniform0", "moderate")),
    ("rows of nearly equal entries around another value (among rows around large offsets)", ("uniformc", "offset")),
    ("rows with entries up to 10^4 in size (among nearly equal rows)", ("huge", "uniform0")),
    ("a 1-D input (one long row of nearly equal entries; the result is 0-dimensional)", "vector"),
    ("a 3-D input (a batch of rows of every kind)", "batch"),
]


def _kl_rows(gen, shape, n, dtype, kinds):
    """Rows of the given kinds (an array of labels of shape `shape`), each of n entries."""
    f32 = dtype == np.float32
    rows = np.zeros((*shape, n))
    spread = 10.0 ** np.where(kinds < 2, gen.uniform(-3.5, -2, shape) if f32 else gen.uniform(-8, -4, shape), 0)
    base = gen.standard_normal((*shape, n))
    rows = np.where((kinds == 0)[..., None], spread[..., None] * base, rows)
    offset = gen.choice([-1.0, 1.0], shape) * gen.uniform(0.5, 5.0, shape)
    rows = np.where((kinds == 1)[..., None], offset[..., None] + spread[..., None] * base, rows)
    rows = np.where((kinds == 2)[..., None], 2.0 * base, rows)
    huge = gen.choice([-1.0, 1.0], (*shape, n)) * 10.0 ** gen.uniform(2, 4, (*shape, n))
    tie = gen.random(shape) < 0.3  # some rows whose largest entry appears twice
    huge[..., 1] = np.where(tie, huge.max(-1), huge[..., 1])
    huge[..., 0] = np.where(tie, huge.max(-1), huge[..., 0])
    rows = np.where((kinds == 3)[..., None], huge, rows)
    far = gen.choice([-1.0, 1.0], shape) * 10.0 ** gen.uniform(2, 3.5, shape)
    rows = np.where((kinds == 4)[..., None], far[..., None] + base, rows)
    return rows.astype(dtype)


def _kl_payload(seed: int):
    gen = np.random.default_rng(seed)
    tensors, labels = [], []
    for dtype in (np.float64, np.float32):
        for layout in ("rows", "batch", "vector"):
            if layout == "rows":
                kinds = gen.choice(5, size=(1 << 16,))
                x = _kl_rows(gen, kinds.shape, 8, dtype, kinds)
            elif layout == "batch":
                kinds = gen.choice(5, size=(1 << 7, 4))
                x = _kl_rows(gen, kinds.shape, 33, dtype, kinds)
            else:
                kinds = np.array(0)
                x = _kl_rows(gen, (), 4096, dtype, kinds)
            u = gen.uniform(0.5, 1.5, kinds.shape).astype(dtype)
            v = gen.uniform(-1.0, 1.0, x.shape).astype(dtype)
            tensors.append({"x": x, "u": np.asarray(u), "v": v})
            labels.append((layout, kinds))
    return {"tensors": tensors}, labels


def _kl_verdicts(case, got, order) -> np.ndarray:
    """Per row: did the value (order 0), the gradient (1), or the gradient and the Hessian-vector product (2)
    come back right? Errors are allowed in relative terms (1e-5 in float32, 1e-12 in float64) or up to
    ROUNDING units of the row's own rounding: eps * spread for F (the naive formula errs by eps * |log n + x|),
    eps * max(1, max|x|) * max|grad| for the gradient, eps * sqrt(n) * max(1, max|x|) * u * max(p |v|) for
    u H v (its sums over the row round like sqrt(n) terms)."""
    x = case["x"]
    dtype, shape = x.dtype, x.shape[:-1]
    rel, eps = REL[dtype], EPS[dtype]
    x64 = x.astype(np.float64)
    u, v = case["u"].astype(np.float64), case["v"].astype(np.float64)
    value, grad, hvp = reference_kl(x64, np.asarray(u), v)
    if order == 0:
        spread = np.abs(x64 - x64.mean(-1, keepdims=True)).max(-1)
        return _ok(_result(got["value"], shape, dtype), value, rel, ROUNDING * eps * spread)
    scale = np.maximum(1.0, np.abs(x64).max(-1, keepdims=True))
    atol = ROUNDING * eps * scale * np.abs(grad).max(-1, keepdims=True)
    good = _ok(_result(got["grad"], x.shape, dtype), grad, rel, atol).all(-1)
    if order == 2:
        p = np.exp(x64 - x64.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        atol = ROUNDING * eps * math.sqrt(x.shape[-1]) * scale * np.abs(u)[..., None] * (
            p * np.abs(v)).max(-1, keepdims=True)
        good &= _ok(_result(got["grad2"], x.shape, dtype), hvp, rel, atol).all(-1)
    return good


def _kl_check(g: Grading, name: str, order: int) -> Items:
    payload, labels, reply = _part(g, "uniform_kl", ["imports", "uniform_kl"], lambda: _kl_payload(2101),
                                   SECONDS["uniform_kl"])
    masks = []
    for case, got in zip(payload["tensors"], _answers(reply, len(payload["tensors"])), strict=True):
        rows = case["x"].shape[:-1]
        try:
            masks.append(np.asarray(_kl_verdicts(case, got, order), dtype=bool).reshape(-1))
        except Exception:  # noqa: BLE001
            masks.append(np.zeros(max(1, int(np.prod(rows))), dtype=bool))

    def covered(k, kinds_or_layout):
        layout, kinds = labels[k]
        kinds = np.asarray(kinds).reshape(-1)
        if isinstance(kinds_or_layout, str):
            return np.full(kinds.shape, layout == kinds_or_layout)
        return np.isin(kinds, [KL_KINDS.index(s) for s in kinds_or_layout]) & (layout == "rows")

    items = g.items(name)
    _grade(items, KL_CASES, masks, reply, covered)
    return items


@checks.add("test_kl_value", points=1)
def kl_value(g: Grading) -> Items:
    return _kl_check(g, "UniformKL values", 0)


@checks.add("test_kl_grad", points=2.5)
def kl_grad(g: Grading) -> Items:
    return _kl_check(g, "UniformKL gradients (your backward)", 1)


@checks.add("test_kl_hessian", points=1)
def kl_hessian(g: Grading) -> Items:
    return _kl_check(g, "UniformKL Hessian-vector products (autograd through your backward; the gradient "
                     "must be right too)", 2)


# ---- Part 3: log_mean -------------------------------------------------------------------------------------
LOG_MEAN_CASES = [
    ("a equal to b (among pairs far apart), float32 and float64", ("equal", "far"), "pairs"),
    ("a close to b (among pairs far apart), float32 and float64", ("close", "far"), "pairs"),
    ("b a constant number that does not require grad, a equal to it, close to it or far from it",
     ("equal", "close", "far"), "scalar"),
]
EXTREME_CASE = ("values for a and b of any size, so far apart that a/b is beyond the float range, float32 and "
                "float64", ("equal", "far"), "extreme")
_LM_KINDS = ("equal", "close", "far")
_LM_RANGE = {np.dtype(np.float64): 300, np.dtype(np.float32): 30}  # values: 10^-R to 10^R


def _log_mean_pairs(gen, n, dtype, b=None, extreme=False):
    """Pairs labelled equal, close or far: in [1e-3, 1e3], against a fixed b, or (extreme) spread over the
    dtype's whole range, where only equal and far pairs are drawn (close pairs of tiny numbers would have a
    subnormal a - b)."""
    kinds = gen.choice(3, size=n, p=[0.2, 0.0, 0.8] if extreme else [0.25, 0.5, 0.25])
    span = _LM_RANGE[np.dtype(dtype)] if extreme else 3
    a = 10.0 ** gen.uniform(-span, span, n)
    base = a if b is None else np.full(n, float(b))
    low = -6 if dtype == np.float32 else -12
    close = base * (1 + gen.choice([-1.0, 1.0], n) * 10.0 ** gen.uniform(low, -2, n))
    other = np.where(kinds == 0, base, np.where(kinds == 1, close, 10.0 ** gen.uniform(-span, span, n)))
    if b is None:
        a_out, b_out = a.astype(dtype), other.astype(dtype)
    else:
        a_out, b_out = other.astype(dtype), np.asarray(b, dtype=dtype)
    kinds = np.where(a_out == b_out, 0, np.where(kinds == 0, 1, kinds))  # rounding may make a pair equal
    return kinds, a_out, b_out


def _log_mean_payload(seed: int):
    gen = np.random.default_rng(seed)
    tensors, labels = [], []
    for dtype in (np.float64, np.float32):
        for layout in ("pairs", "scalar", "extreme"):
            b = 10.0 ** gen.uniform(-2, 2) if layout == "scalar" else None
            size = 1 << (16 if layout == "extreme" else 18)
            kinds, a, bb = _log_mean_pairs(gen, size, dtype, b, extreme=layout == "extreme")
            w = gen.uniform(0.5, 1.5, a.shape).astype(dtype)
            va = gen.uniform(-1.0, 1.0, a.shape).astype(dtype)
            vb = gen.uniform(-1.0, 1.0, a.shape).astype(dtype)
            tensors.append({"a": a, "b": bb, "b_grad": layout != "scalar", "w": w, "va": va, "vb": vb})
            labels.append((layout, kinds))
    return {"tensors": tensors}, labels


def _log_mean_verdicts(case, got, values_only: bool) -> tuple[np.ndarray, np.ndarray]:
    a, b = case["a"], case["b"]
    dtype, rel = a.dtype, REL[a.dtype]
    w, va, vb = (case[k].astype(np.float64) for k in ("w", "va", "vb"))
    L, La, Lb, Laa, Lab, Lbb = reference_log_mean(a.astype(np.float64), b.astype(np.float64))
    first = _ok(_result(got["value"], a.shape, dtype), L, rel)
    if values_only:
        return first, first
    first &= _ok(_result(got["grads"][0], a.shape, dtype), w * La, rel)
    if case["b_grad"]:
        first &= _ok(_result(got["grads"][1], a.shape, dtype), w * Lb, rel)
        terms = (w * Laa * va, w * Lab * vb, w * Lab * va, w * Lbb * vb)
        second = _ok(_result(got["second"][0], a.shape, dtype), terms[0] + terms[1], rel,
                     rel * (np.abs(terms[0]) + np.abs(terms[1])))
        second &= _ok(_result(got["second"][1], a.shape, dtype), terms[2] + terms[3], rel,
                      rel * (np.abs(terms[2]) + np.abs(terms[3])))
    else:
        second = _ok(_result(got["second"][0], a.shape, dtype), w * Laa * va, rel)
    return first, second


@checks.add("test_log_mean", points=2)
def log_mean(g: Grading) -> list[Items]:
    payload, labels, reply = _part(g, "log_mean", ["imports", "exprel", "log_mean"], lambda: _log_mean_payload(3101),
                                   SECONDS["log_mean"], substitute=["exprel"])
    firsts, seconds = [], []
    for k, (case, got) in enumerate(zip(payload["tensors"], _answers(reply, len(payload["tensors"])), strict=True)):
        try:
            first, second = _log_mean_verdicts(case, got, values_only=labels[k][0] == "extreme")
        except Exception:  # noqa: BLE001
            first = second = np.zeros(case["a"].size, dtype=bool)
        firsts.append(first)
        seconds.append(second)
    every = [*LOG_MEAN_CASES, EXTREME_CASE]

    def covered(k, case):
        layout, kinds = labels[k]
        spec = next(c for c in every if c[0] == case)
        return np.isin(kinds, [_LM_KINDS.index(s) for s in spec[1]]) & (layout == spec[2])

    one = g.items("log_mean values and first derivatives", weight=2)
    two = g.items("log_mean second derivatives", weight=1)
    _grade(one, [(hint, hint) for hint, _, _ in every], firsts, reply, covered)
    _grade(two, [(hint, hint) for hint, _, _ in LOG_MEAN_CASES], seconds, reply, covered)
    return [one, two]
