"""manual_backprop: call the student's backward functions on the grader's inputs (runs in the numpy worker).

Each function answers a list of cases; a case whose call raises answers with the exception's name.
"""


def _arrays(values):
    import numpy as np

    return [np.asarray(v, dtype=np.float64) for v in values]


def _each(cases, answer):
    out = []
    for case in cases:
        try:
            out.append(answer(case))
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out


def conv1d_backward(ns, cases):
    def answer(case):
        dx, dW, db = ns["conv1d_backward"](case["dout"], case["x"], case["W"], int(case["padding"]))
        dx, dW, db = _arrays((dx, dW, db))
        return {"dx": dx, "dW": dW, "db": db}

    return _each(cases, answer)


def rmsnorm_backward(ns, cases):
    def answer(case):
        dh, dg = ns["rmsnorm_backward"](case["dout"], case["h"], case["g"], float(case["eps"]))
        dh, dg = _arrays((dh, dg))
        return {"dh": dh, "dg": dg}

    return _each(cases, answer)


def gelu_backward(ns, cases):
    return _each(cases, lambda case: _arrays([ns["gelu_backward"](case["dout"], case["u"])])[0])


def maxpool1d_backward(ns, cases):
    def answer(case):
        dz = ns["maxpool1d_backward"](case["dout"], case["z"], int(case["kernel"]), int(case["stride"]))
        return _arrays([dz])[0]

    return _each(cases, answer)


def network_backward(ns, cases):
    def answer(case):
        grads = ns["network_backward"](case["cache"], case["params"], case["y"])
        return {name: _arrays([grads[name]])[0] for name in case["cache"].keys() | case["params"].keys()
                if name in grads}

    return _each(cases, answer)


def train(ns, cases):
    def answer(case):
        params = {name: value.copy() for name, value in case["params"].items()}
        losses = ns["train"](params, [(x, y) for x, y in case["batches"]], float(case["lr"]),
                             float(case["momentum"]), float(case["weight_decay"]))
        return {"losses": [float(v) for v in losses], "params": {k: _arrays([v])[0] for k, v in params.items()}}

    return _each(cases, answer)
