"""custom_function: call the student's Functions on the grader's inputs (runs in the torch worker).

One call per part gets a few large tensors (float32 and float64) and returns, per tensor, the value, the
first derivatives (the student's backward, through `torch.autograd.grad` with `create_graph=True`) and the
second derivatives (differentiating that gradient: autograd runs the backward's own operations
backwards). A stage that raises is reported by the exception's name and ends that tensor's stages; what
came before it is still sent. The grader compares; nothing here decides.
"""


def _stages(results: dict, steps) -> dict:
    """Run (key, step) pairs in order; a step that raises records its exception's name and stops."""
    for key, step in steps:
        try:
            results[key] = step()
        except Exception as exc:  # noqa: BLE001
            results[key] = type(exc).__name__
            break
    return results


def _elementwise(function, x, w, v) -> dict:
    import torch

    x = torch.from_numpy(x).requires_grad_(True)
    held = {}

    def value():
        held["y"] = function(x)
        return held["y"]

    def grad():
        (held["g"],) = torch.autograd.grad(held["y"], x, torch.from_numpy(w), create_graph=True)
        return held["g"]

    def grad2():
        return torch.autograd.grad(held["g"], x, torch.from_numpy(v))[0]

    return _stages({}, [("value", value), ("grad", grad), ("grad2", grad2)])


def exprel(ns, payload):
    """Exprel.apply(x); its gradient for incoming weights w; the derivative of that gradient along v."""
    return [_elementwise(lambda t: ns["Exprel"].apply(t), case["x"], case["w"], case["v"])
            for case in payload["tensors"]]


def uniform_kl(ns, payload):
    """UniformKL.apply(x) over the last dimension; its gradient for incoming weights u (one per row); the
    Hessian-vector product u * H v, by differentiating that gradient along v."""
    return [_elementwise(lambda t: ns["UniformKL"].apply(t), case["x"], case["u"], case["v"])
            for case in payload["tensors"]]


def log_mean(ns, payload):
    """log_mean(a, b), its gradients for incoming weights w, and the second derivatives along (va, vb).

    When `b_grad` is false, b is a constant (it does not require grad): only a's derivatives are asked.
    """
    import torch

    out = []
    for case in payload["tensors"]:
        a = torch.from_numpy(case["a"]).requires_grad_(True)
        b = torch.from_numpy(case["b"]).requires_grad_(bool(case["b_grad"]))
        inputs = (a, b) if case["b_grad"] else (a,)
        directions = (torch.from_numpy(case["va"]), torch.from_numpy(case["vb"]))
        held = {}

        def value(a=a, b=b, held=held):
            held["y"] = ns["log_mean"](a, b)
            return held["y"]

        def grads(inputs=inputs, held=held, w=case["w"]):
            held["g"] = torch.autograd.grad(held["y"], inputs, torch.from_numpy(w), create_graph=True)
            return list(held["g"])

        def second(inputs=inputs, held=held, directions=directions):
            along = sum((g * d).sum() for g, d in zip(held["g"], directions[: len(inputs)], strict=True))
            return list(torch.autograd.grad(along, inputs))

        out.append(_stages({}, [("value", value), ("grads", grads), ("second", second)]))
    return out
