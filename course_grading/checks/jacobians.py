"""Hidden checks of `jacobians`: derivatives of large things, from products only.

Part 1, the VJPs of X -> inv(X), X -> X^T X, X -> log|det X| and (A, B) -> A^-1 B derived by hand,
runs in the `numpy` worker: there is no autograd to import. Its matrices are 200 x 200 to 320 x 320,
and each function's cases get 30 s in a worker of their own. A numerical VJP (finite differences or
the complex step) needs one evaluation of the function per entry of the input, 40,000 to 100,000
matrix factorisations: it cannot finish. The derivation takes milliseconds. References are PyTorch
float64 autograd, computed here.

Part 2 serves each function from an oracle (`ORACLES`, a process of its own): the student's code
gets `vjp(v)` and `jvp(u)` of a Jacobian it never holds, one real vector of the right length per
call, and the oracle counts the products. The budgets are the lower bounds: each product gives one
number per row (JVP) or per column (VJP), so a dense m x n Jacobian needs min(n, m) of them and a
band of half-width b needs 2b + 1.

Part 3 runs in the `torch` worker (RLIMIT_DATA 3 GiB) on ReLU networks with about 25,000
parameters. Integer data and weights that are multiples of 1/16 make pre-activations exact, and each
hidden unit's bias puts it exactly at its kink for one example: the Hessian (about 5 GB in float64)
cannot be built, and a difference of gradients across a kink is off by orders of magnitude. Every
exact composition of modes agrees there (relu' = 0 at 0, relu'' = 0). The power iteration gets its
operator from an oracle too (such a Hessian, or a Householder operator with a negative dominant
eigenvalue; over 20,000 dimensions, at most 1,000 products): its code never holds the matrix, the
network or the eigenvalues. References: double backward, here; the largest eigenvalue from SciPy's
Lanczos (`eigsh`) on the same products.
"""

from __future__ import annotations

import numpy as np

from course_grading.points import Checks, GraderError, Grading, Items

checks = Checks("jacobians", feedback_env="torch")

PART1_SECONDS = 30.0


def _close(got, want, rtol: float) -> None:
    """Normwise: ||got - want|| <= rtol * ||want||, same shape, finite."""
    want = np.asarray(want, dtype=np.float64)
    if not isinstance(got, np.ndarray) or got.dtype.kind not in "iuf":
        raise AssertionError("not a real array")
    got = got.astype(np.float64)
    if got.shape != want.shape or not np.all(np.isfinite(got)):
        raise AssertionError("wrong shape or not finite")
    if np.linalg.norm(got - want) > rtol * np.linalg.norm(want):
        raise AssertionError("not close")


# ---- Part 1: matrix functions, backward by hand ----------------------------------------------------------
def _square(rng: np.random.Generator, n: int, negative: bool = False) -> np.ndarray:
    """A well-conditioned n x n matrix with columns of different scales (determinant < 0 if asked)."""
    X = (2.0 * np.eye(n) + rng.normal(size=(n, n)) / np.sqrt(n)) * np.exp(rng.uniform(-1, 1, size=n))
    X = X[rng.permutation(n)]
    if (np.linalg.slogdet(X)[0] < 0) != negative:
        X[0] = -X[0]
    return X


def _torch_vjp(function, X: np.ndarray, G) -> np.ndarray:
    import torch

    Xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    function(Xt).backward(torch.as_tensor(G, dtype=torch.float64))
    return Xt.grad.numpy()


def _part1(g: Grading, name: str, cases: list[dict]):
    """The student's answers to one function's cases, from a numpy worker of its own (its own time limit)."""
    worker = g.worker("numpy", ["imports", "matrix_vjps"], variables={"COURSE_PART": name})
    reply = worker.call(name, cases, seconds=PART1_SECONDS)
    if reply.ok:
        return reply, ""
    if "out of time" in reply.error:
        return reply, (f" (it ran out of time: {PART1_SECONDS:g} s for all the cases; a VJP made of a few matrix "
                       "products takes milliseconds at 300 x 300, a numerical Jacobian cannot finish)")
    return reply, " (the grader's Python stopped while running it: it crashed or ran out of memory)"


def _one_input(g: Grading, name: str, cases: list[dict], function, hint: str) -> Items:
    reply, late = _part1(g, name, cases)
    items = g.items(name)
    for case, got in g.each(reply, cases):
        with items.case(hint + late):
            _close(got, _torch_vjp(function, case["X"], case["G"]), 1e-8)
    return items


@checks.add("test_inverse", points=1)
def inverse(g: Grading) -> Items:
    import torch

    rng = np.random.default_rng(101)
    cases = [{"X": _square(rng, n, negative=n % 2 == 1), "G": rng.normal(size=(n, n))}
             for n in (200, 233, 260, 287, 300)]
    return _one_input(g, "inverse_vjp", cases, torch.linalg.inv,
                      "inverse_vjp(X, G) differs from what X.grad holds after torch.linalg.inv(X).backward(G)")


@checks.add("test_gram", points=1)
def gram(g: Grading) -> Items:
    rng = np.random.default_rng(102)
    cases = []
    for n, k in ((300, 150), (160, 260), (220, 220), (400, 120), (250, 180)):
        cases.append({"X": rng.normal(size=(n, k)), "G": rng.normal(size=(k, k))})  # G not symmetric
    return _one_input(g, "gram_vjp", cases, lambda X: X.T @ X,
                      "gram_vjp(X, G) differs from what X.grad holds after (X.T @ X).backward(G), for X of shape "
                      "(n, k) with n != k or n == k, and G not symmetric")


@checks.add("test_logdet", points=1)
def logdet(g: Grading) -> Items:
    import torch

    rng = np.random.default_rng(103)
    cases = [{"X": _square(rng, n, negative=negative), "G": float(rng.normal() * 3)}
             for n, negative in ((260, False), (280, True), (300, True), (320, False))]
    return _one_input(g, "logdet_vjp", cases, lambda X: torch.linalg.slogdet(X).logabsdet,
                      "logdet_vjp(X, g) differs from what X.grad holds after (g * log|det X|).backward(), for "
                      "determinants of either sign")


@checks.add("test_solve", points=1)
def solve(g: Grading) -> list[Items]:
    import torch

    rng = np.random.default_rng(104)
    cases = []
    for n, k in ((200, 1), (240, 40), (270, 7), (300, 20), (222, 3)):
        cases.append({"A": _square(rng, n, negative=k % 2 == 0), "B": rng.normal(size=(n, k)),
                      "G": rng.normal(size=(n, k))})
    reply, late = _part1(g, "solve_vjp", cases)
    a_items, b_items = g.items("solve_vjp: A_bar"), g.items("solve_vjp: B_bar")
    for case, got in g.each(reply, cases):
        A = torch.tensor(case["A"], requires_grad=True)
        B = torch.tensor(case["B"], requires_grad=True)
        torch.linalg.solve(A, B).backward(torch.tensor(case["G"]))
        with a_items.case("A_bar differs from what A.grad holds after torch.linalg.solve(A, B).backward(G)" + late):
            _close(got[0], A.grad.numpy(), 1e-8)
        with b_items.case("B_bar differs from what B.grad holds after torch.linalg.solve(A, B).backward(G)" + late):
            _close(got[1], B.grad.numpy(), 1e-8)
    return [a_items, b_items]


# ---- Part 2: Jacobians from an oracle that counts -----------------------------------------------------------
def dense_jacobian(case: dict) -> np.ndarray:
    """The Jacobian at x of f(x) = tanh(A x) * (B x), for A, B, x drawn from the case's seed: (m, n)."""
    rng = np.random.default_rng(case["seed"])
    n, m = case["n"], case["m"]
    A, B, x = rng.normal(size=(m, n)) / np.sqrt(n), rng.normal(size=(m, n)), rng.normal(size=n)
    t = np.tanh(A @ x)
    return (1 - t**2)[:, None] * (B @ x)[:, None] * A + t[:, None] * B


def banded_jacobian(case: dict) -> np.ndarray:
    """An n x n Jacobian with J[i, j] = 0 when |i - j| > b (a stencil's), every band entry nonzero."""
    rng = np.random.default_rng(case["seed"])
    n, b = case["n"], case["b"]
    i, j = np.indices((n, n))
    values = rng.uniform(0.5, 2.0, size=(n, n)) * rng.choice([-1.0, 1.0], size=(n, n))
    return np.where(np.abs(i - j) <= b, values, 0.0)


class Products:
    """Serves vjp(v) = v J and jvp(u) = J u of one hidden Jacobian: one real vector per call."""

    ops = ("vjp", "jvp")

    def __init__(self, J: np.ndarray):
        self.J = J

    @staticmethod
    def _vector(value, size: int, name: str) -> np.ndarray:
        a = np.asarray(value)
        if a.dtype.kind not in "biuf":
            raise ValueError(f"{name} must hold real numbers")
        if a.shape != (size,):
            raise ValueError(f"{name} must be one vector of shape ({size},)")
        return a.astype(np.float64)

    def vjp(self, v):
        return self._vector(v, self.J.shape[0], "v") @ self.J

    def jvp(self, u):
        return self.J @ self._vector(u, self.J.shape[1], "u")


ORACLES = {"dense": lambda case: Products(dense_jacobian(case)),
           "banded": lambda case: Products(banded_jacobian(case))}


def _products(g: Grading, oracle: str, function: str, cases: list[dict], public: list[str]):
    """Run the student's function on each case's products; what it returned, and what the oracle served."""
    served = g.oracle(oracle, cases)
    worker = g.worker("numpy", ["imports", function], oracle=served)
    reply = worker.call(function, [{k: c[k] for k in public} for c in cases], seconds=240)
    counts = g.finish(worker, served)["counts"]
    if len(counts) != len(cases):
        raise GraderError("the oracle reported no counts")
    return reply, counts


@checks.add("test_jacobian", points=1)
def jacobian(g: Grading) -> list[Items]:
    shapes = [(3, 40), (40, 3), (25, 25), (1, 30), (30, 1), (12, 13), (13, 12), (7, 60), (60, 7), (1, 1)]
    cases = [{"seed": 200 + k, "n": n, "m": m} for k, (n, m) in enumerate(shapes)]
    reply, counts = _products(g, "dense", "jacobian", cases, ["n", "m"])
    values = g.items("J from the products", weight=1)
    cheap = g.items("J with at most min(n, m) products", weight=1)
    for (case, got), served in zip(g.each(reply, cases), counts, strict=True):
        want = dense_jacobian(case)
        with values.case("J is wrong: it must be an (m, n) array with J[i, j] = d f_i / d x_j"):
            _close(got, want, 1e-12)
        with cheap.case("J needs min(n, m) products: one VJP per row when m <= n, else one JVP per column"):
            _close(got, want, 1e-12)
            assert sum(served.values()) <= min(case["n"], case["m"])
    return [values, cheap]


@checks.add("test_banded", points=2)
def banded(g: Grading) -> list[Items]:
    sizes = [(7, 1), (50, 1), (400, 2), (1000, 3), (600, 0), (9, 4), (5, 3), (300, 5), (800, 1), (64, 7)]
    cases = [{"seed": 300 + k, "n": n, "b": b} for k, (n, b) in enumerate(sizes)]
    reply, counts = _products(g, "banded", "banded_jacobian", cases, ["n", "b"])
    values = g.items("the banded J", weight=1)
    cheap = g.items("the banded J from at most 2b + 1 products", weight=2)
    for (case, got), served in zip(g.each(reply, cases), counts, strict=True):
        want = banded_jacobian(case)
        with values.case("J is wrong: an (n, n) array, zero outside the band, for n up to 1000 and b up to 7 "
                         "(also n < 2b + 1)"):
            _close(got, want, 1e-12)
        with cheap.case("more than 2b + 1 products (or a wrong J): columns whose rows never overlap can share "
                        "one JVP"):
            _close(got, want, 1e-12)
            assert sum(served.values()) <= min(case["n"], 2 * case["b"] + 1)
    return [values, cheap]


# ---- Part 3: Hessian-vector products and the top eigenvalue ------------------------------------------------
KEYS = ("W1", "b1", "W2", "b2")


def mlp_case(seed: int, N: int, d: int, h: int, c: int) -> dict:
    """A ReLU network's cross-entropy loss at a point where every hidden unit sits at its kink for one example.

    X is integers in [-2, 2] and W1 multiples of 1/16, so X @ W1 is exact in float64 whatever the order of
    the sums; b1[j] = -(X[i_j] @ W1[:, j]) makes pre-activation (i_j, j) exactly 0.
    """
    rng = np.random.default_rng(seed)
    X = rng.integers(-2, 3, size=(N, d)).astype(np.float64)
    W1 = rng.integers(-4, 5, size=(d, h)) / 16.0
    b1 = -np.einsum("jd,dj->j", X[rng.integers(0, N, size=h)], W1)
    params = {"W1": W1, "b1": b1, "W2": rng.normal(size=(h, c)) * 0.05, "b2": rng.normal(size=c) * 0.01}
    Y = np.eye(c)[rng.integers(0, c, size=N)]
    v = {k: rng.normal(size=p.shape) for k, p in params.items()}
    return {"X": X, "Y": Y, "params": params, "v": v}


def mlp_loss(X, Y):
    """The loss the drivers build too: mean cross-entropy of relu(X W1 + b1) W2 + b2 (max taken out)."""
    import torch

    X, Y = torch.as_tensor(X), torch.as_tensor(Y)

    def loss(p):
        z = torch.relu(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        top = z.detach().max(1, keepdim=True).values
        return ((z - top).exp().sum(1).log() + top[:, 0] - (z * Y).sum(1)).mean()

    return loss


def reference_hvp(case: dict, v: dict) -> dict:
    """H v by double backward, in float64."""
    import torch

    loss = mlp_loss(case["X"], case["Y"])
    leaves = {k: torch.tensor(case["params"][k], requires_grad=True) for k in KEYS}
    grads = torch.autograd.grad(loss(leaves), [leaves[k] for k in KEYS], create_graph=True)
    dot = sum((gr * torch.as_tensor(np.asarray(v[k], dtype=np.float64))).sum() for gr, k in zip(grads, KEYS,
                                                                                                    strict=True))
    return {k: t.numpy() for k, t in zip(KEYS, torch.autograd.grad(dot, [leaves[k] for k in KEYS]), strict=True)}


def _close_dict(got, want: dict, rtol: float) -> None:
    if not isinstance(got, dict) or sorted(got) != sorted(want):
        raise AssertionError("not a dict with the same keys")
    for k in want:
        _close(got[k], want[k], rtol)


# (seed, N, d, h, c): every one has more than 20,000 parameters.
HVP_NETS = [(401, 64, 32, 600, 8), (402, 48, 40, 500, 10), (403, 96, 24, 800, 6), (404, 80, 30, 700, 7)]


@checks.add("test_hvp", points=1.5)
def hvp(g: Grading) -> Items:
    cases = [mlp_case(*net) for net in HVP_NETS]
    worker = g.worker("torch", ["setup", "imports", "curvature"], variables={"COURSE_PART": "hvp"})
    reply = worker.call("hvp", cases, seconds=60)
    items = g.items("hvp")
    hint = ("hvp(loss, params, v) differs from H v (a dict like params) for a network with about 25,000 parameters "
            "at ReLU kinks: compose modes, never build H, no finite differences")
    for case, got in g.each(reply, cases):
        with items.case(hint):
            _close_dict(got, reference_hvp(case, case["v"]), 1e-8)
    return items


def householder_case(seed: int, sizes: dict, top: float) -> dict:
    """A symmetric operator Q diag(lam) Q with Q = I - 2 w w^T: known eigenvalues, the dominant one `top`."""
    rng = np.random.default_rng(seed)
    n = sum(int(np.prod(s)) for s in sizes.values())
    w = rng.normal(size=n)
    lam = rng.uniform(-1.0, 1.0, size=n) * abs(top) * 0.6
    lam[rng.integers(n)] = top
    v0 = {k: rng.normal(size=s) for k, s in sizes.items()}
    return {"w": w / np.linalg.norm(w), "lam": lam, "shapes": {k: tuple(s) for k, s in sizes.items()}, "v0": v0}


# What the oracle holds for each eigenvalue case (the worker gets only v0): a network's loss Hessian at a kinked
# point, or a Householder operator. Over 20,000 dimensions each: a dense matrix (over 3 GiB) cannot be built.
EIGEN_CASES = [{"kind": "mlp", "net": [411, 64, 32, 600, 8]}, {"kind": "mlp", "net": [413, 96, 24, 800, 6]},
               {"kind": "mlp", "net": [414, 48, 40, 500, 10]},
               {"kind": "householder", "seed": 421, "sizes": {"a": [12000], "b": [100, 100]}, "top": -7.5},
               {"kind": "householder", "seed": 422, "sizes": {"w": [150, 150], "c": [5]}, "top": 4.0}]
MAX_MATVECS = 1000


def eigen_case(spec: dict) -> dict:
    if spec["kind"] == "householder":
        return {"kind": "householder", **householder_case(spec["seed"], spec["sizes"], spec["top"])}
    seed, *net = spec["net"]
    return {"kind": "mlp", **mlp_case(seed, *net), "v0": mlp_case(seed + 50, *net)["v"]}


def _flat(d: dict, keys) -> np.ndarray:
    return np.concatenate([np.asarray(d[k], dtype=np.float64).reshape(-1) for k in keys])


def _apply(case: dict, v: dict) -> dict:
    """The case's operator on a dict of arrays."""
    if case["kind"] == "householder":
        keys = list(case["shapes"])
        x = _flat(v, keys)
        w = case["w"]
        x = x - 2 * w * (w @ x)
        x = case["lam"] * x
        x = x - 2 * w * (w @ x)
        parts = np.split(x, np.cumsum([int(np.prod(s)) for s in case["shapes"].values()])[:-1])
        return {k: part.reshape(case["shapes"][k]) for k, part in zip(keys, parts, strict=True)}
    return reference_hvp(case, v)


class Operator:
    """Serves matvec(v) = H v for one eigenvalue case; v a dict of real arrays shaped like v0."""

    ops = ("matvec",)

    def __init__(self, spec: dict):
        self.case = eigen_case(spec)
        self.shapes = {k: np.shape(a) for k, a in self.case["v0"].items()}

    def matvec(self, v):
        if not isinstance(v, dict) or sorted(v) != sorted(self.shapes):
            raise ValueError(f"v must be a dict with the keys {sorted(self.shapes)}")
        arrays = {}
        for k, shape in self.shapes.items():
            a = np.asarray(v[k])
            if a.dtype.kind not in "biuf" or a.shape != shape:
                raise ValueError(f"v[{k!r}] must hold real numbers, shape {shape}")
            arrays[k] = a.astype(np.float64)
        return _apply(self.case, arrays)


ORACLES["operator"] = Operator


def _top_reference(case: dict) -> float:
    if case["kind"] == "householder":
        return float(case["lam"][np.argmax(np.abs(case["lam"]))])
    from scipy.sparse.linalg import LinearOperator, eigsh

    shapes = {k: np.shape(case["params"][k]) for k in KEYS}
    sizes = [int(np.prod(s)) for s in shapes.values()]
    n = sum(sizes)

    def matvec(x):
        parts = np.split(np.asarray(x, dtype=np.float64).reshape(-1), np.cumsum(sizes)[:-1])
        return _flat(reference_hvp(case, {k: p.reshape(shapes[k]) for k, p in zip(KEYS, parts, strict=True)}),
                     KEYS)

    values = eigsh(LinearOperator((n, n), matvec=matvec, dtype=np.float64), k=2, which="LM", tol=1e-12,
                   return_eigenvectors=False, v0=_flat(case["v0"], KEYS))
    values = sorted(values, key=abs, reverse=True)
    if abs(values[1]) > 0.85 * abs(values[0]):
        raise GraderError("an eigenvalue case without a clear gap: power iteration would be too slow")
    return float(values[0])


@checks.add("test_top_eigenvalue", points=1.5)
def top_eigenvalue(g: Grading) -> Items:
    served = g.oracle("operator", EIGEN_CASES)
    worker = g.worker("torch", ["setup", "imports", "curvature"], oracle=served)
    cases = [eigen_case(spec) for spec in EIGEN_CASES]
    reply = worker.call("top_eigenvalue", [{"v0": c["v0"]} for c in cases], seconds=90)
    counts = g.finish(worker, served)["counts"]
    if len(counts) != len(cases):
        raise GraderError("the oracle reported no counts")
    items = g.items("top_eigenvalue")
    for (case, got), used in zip(g.each(reply, cases), counts, strict=True):
        with items.case("top_eigenvalue(matvec, v0): the eigenvalue of largest magnitude (sign included, within "
                        "1e-6 relative) and a unit vector v with ||H v - lam v|| <= 1e-3 |lam|, as a dict like v0, "
                        f"from at most {MAX_MATVECS} products"):
            assert sum(used.values()) <= MAX_MATVECS
            want = _top_reference(case)
            lam = float(got["lam"])
            assert abs(lam - want) <= 1e-6 * abs(want)
            keys = list(case["v0"])
            assert sorted(got["v"]) == sorted(keys)
            v = {k: np.asarray(got["v"][k], dtype=np.float64) for k in keys}
            assert all(v[k].shape == np.shape(case["v0"][k]) for k in keys)
            flat = _flat(v, keys)
            assert abs(np.linalg.norm(flat) - 1) <= 1e-6
            assert np.linalg.norm(_flat(_apply(case, v), keys) - want * flat) <= 1e-3 * abs(want)
    return items
