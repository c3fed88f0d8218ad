"""jacobians: call the student's functions on the grader's inputs (Part 1 and 2 in the numpy worker, 3 in torch)."""

def _each(cases, answer):
    """One answer per case; an exception becomes its name (the grader fails that case)."""
    out = []
    for k, case in enumerate(cases):
        try:
            out.append(answer(k, case))
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out


def _matrix(value):
    import numpy as np

    return np.asarray(value, dtype=np.float64)


def inverse_vjp(ns, cases):
    return _each(cases, lambda k, c: _matrix(ns["inverse_vjp"](c["X"].copy(), c["G"].copy())))


def gram_vjp(ns, cases):
    return _each(cases, lambda k, c: _matrix(ns["gram_vjp"](c["X"].copy(), c["G"].copy())))


def logdet_vjp(ns, cases):
    return _each(cases, lambda k, c: _matrix(ns["logdet_vjp"](c["X"].copy(), float(c["G"]))))


def solve_vjp(ns, cases):
    def answer(k, case):
        A_bar, B_bar = ns["solve_vjp"](case["A"].copy(), case["B"].copy(), case["G"].copy())
        return [_matrix(A_bar), _matrix(B_bar)]

    return _each(cases, answer)


def _products(k):
    """vjp(v) and jvp(u) of case k's function, each one request to the grader's oracle."""
    import numpy as np

    from ._oracle import ask

    return (lambda v: np.asarray(ask(k, "vjp", v), dtype=np.float64),
            lambda u: np.asarray(ask(k, "jvp", u), dtype=np.float64))


def jacobian(ns, cases):
    return _each(cases, lambda k, c: _matrix(ns["jacobian"](*_products(k), c["n"], c["m"])))


def banded_jacobian(ns, cases):
    return _each(cases, lambda k, c: _matrix(ns["banded_jacobian"](_products(k)[1], c["n"], c["b"])))


# ---- Part 3 (torch) ---------------------------------------------------------------------------------------
def _loss(case):
    """The same network loss as the checks' mlp_loss: cross-entropy of relu(X W1 + b1) W2 + b2."""
    import torch

    X, Y = torch.from_numpy(case["X"]), torch.from_numpy(case["Y"])

    def loss(p):
        z = torch.relu(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        top = z.detach().max(1, keepdim=True).values
        return ((z - top).exp().sum(1).log() + top[:, 0] - (z * Y).sum(1)).mean()

    return loss


def _tensors(arrays):
    import torch

    return {k: torch.tensor(a, dtype=torch.float64) for k, a in arrays.items()}


def _arrays(value):
    """A dict of tensors (or arrays) as a dict of float64 arrays."""
    import numpy as np
    import torch

    if not isinstance(value, dict):
        raise TypeError("expected a dict")
    return {str(k): (t.detach().to(torch.float64).numpy() if isinstance(t, torch.Tensor) else
                     np.asarray(t, dtype=np.float64)) for k, t in value.items()}


def hvp(ns, cases):
    return _each(cases, lambda k, c: _arrays(ns["hvp"](_loss(c), _tensors(c["params"]), _tensors(c["v"]))))


def top_eigenvalue(ns, cases):
    """The student's power iteration on the grader's operator, served by the oracle one product at a time."""
    import numpy as np
    import torch

    from ._oracle import ask

    def operator(k):
        def matvec(v):
            sent = {key: (t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t))
                    for key, t in v.items()}
            return {key: torch.from_numpy(np.asarray(a, dtype=np.float64)) for key, a in ask(k, "matvec", sent).items()}

        return matvec

    def answer(k, case):
        lam, v = ns["top_eigenvalue"](operator(k), _tensors(case["v0"]))
        return {"lam": float(lam), "v": _arrays(v)}

    return _each(cases, answer)
