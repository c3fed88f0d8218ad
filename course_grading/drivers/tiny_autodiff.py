"""tiny_autodiff: call the student's array engine on the grader's inputs (runs in the numpy worker)."""


def unbroadcast(ns, cases):
    import numpy as np

    out = []
    for case in cases:
        try:
            out.append(np.asarray(ns["unbroadcast"](np.array(case["grad"]), tuple(case["shape"])), dtype=float))
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out


def local_step(ns, cases):
    """One operation on fresh Tensors: its value, its inputs, and what its _backward adds, once and twice."""
    T = ns["Tensor"]
    out = []
    for case in cases:
        try:
            ins = [T(x) for x in case["inputs"]]
            res = _apply(ns, case["op"], ins, case.get("arg"))
            prev = sorted(next((i for i, x in enumerate(ins) if x is p), -1) for p in res._prev)
            res.grad = case["upstream"] * 1.0
            res._backward()
            once = [x.grad.copy() for x in ins]
            res._backward()
            out.append({"value": res.data, "prev": prev, "once": once, "twice": [x.grad for x in ins]})
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out


def _apply(ns, op, ins, arg):
    if op == "mul":
        return ins[0] * ins[1]
    if op == "matmul":
        return ins[0] @ ins[1]
    if op == "sum":
        axis = tuple(arg["axis"]) if isinstance(arg["axis"], list) else arg["axis"]
        return ins[0].sum(axis=axis, keepdims=arg["keepdims"])
    if op == "pow":
        return ins[0] ** arg
    return getattr(ins[0], op)()


def _build(ns, program, leaves):
    """Nodes of a program: the leaves, then one node per step ([op, i, j]) on earlier nodes."""
    T = ns["Tensor"]
    nodes = [T(x) for x in leaves]
    for op, i, j in program:
        a, b = nodes[i], nodes[j]
        if op == "add":
            nodes.append(a + b)
        elif op == "mul":
            nodes.append(a * b)
        elif op == "tanh":
            nodes.append(a.tanh())
        elif op == "exp":
            nodes.append(a.exp())
        elif op == "sum0":
            nodes.append(a.sum(axis=0, keepdims=True))
        elif op == "matmul":
            nodes.append(a @ b)
    return nodes


def topo(ns, cases):
    """For each program: the student's order of its nodes, as indices into the program's nodes."""
    out = []
    for case in cases:
        try:
            nodes = _build(ns, case["program"], case["leaves"])
            root = nodes[-1]
            index = {id(n): k for k, n in enumerate(nodes)}
            order = ns["topological_order"](root)
            out.append([index.get(id(n), -1) for n in order])
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out


def backward(ns, cases):
    """Run backward twice; log which nodes' _backward ran, in order; read the leaves' gradients."""
    out = []
    for case in cases:
        try:
            nodes = _build(ns, case["program"], case["leaves"])
            root = nodes[-1].sum() if case.get("reduce") else nodes[-1]
            nodes.append(root)
            calls = []
            for k, node in enumerate(nodes):
                original = node._backward

                def logged(original=original, k=k, calls=calls):
                    calls.append(k)
                    original()

                node._backward = logged
            root.backward()
            first = [n.grad.copy() for n in nodes]
            first_calls = list(calls)
            root.backward()
            out.append({"calls": first_calls, "grads": first, "again": [n.grad for n in nodes]})
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out


def nonscalar(ns, shapes):
    """backward() of a root with more than one element must raise ValueError, like PyTorch."""
    import numpy as np

    out = []
    for shape in shapes:
        T = ns["Tensor"]
        try:
            (T(np.ones(shape)) * 2.0).backward()
            out.append("no error")
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out


def train(ns, cases):
    out = []
    for case in cases:
        try:
            losses = ns["train"](case["X"], case["Y"], case["W1"].copy(), case["b1"].copy(), case["W2"].copy(),
                                 case["b2"].copy(), case["lr"], case["steps"])
            out.append([float(v) for v in losses])
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out
