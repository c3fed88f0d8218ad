# class: delegate
# what: lets PyTorch and dagviz do the work the task forbids: the predictions are computed by running the
#   snippet, record() runs each program with torch, graph_nodes() and path_counts() read dagviz's walk.
# flag: review
# %% answer predictions
import torch as _t

_a = _t.tensor([1.0, 2.0, 3.0], requires_grad=True)
_b = _t.tensor([4.0, 5.0, 6.0])
_c = _a * _b
_v = _c.view(3, 1)
_s = _c.sum()
_u0, _u1, _u2 = _a.unbind()
_m, _i = _c.max(dim=0)
_b.add_(_a)
_d = _a.detach()
with _t.no_grad():
    _h = _c * 2
predictions = {
    k: (x.is_leaf, x.requires_grad, None if x.grad_fn is None else type(x.grad_fn).__name__)
    for k, x in dict(a=_a, b=_b, c=_c, v=_v, s=_s, u1=_u1, m=_m, i=_i, d=_d, h=_h).items()
}
# %% answer record
import torch


def record(program):
    env = {}
    for step in program:
        op, out, args = step["op"], step.get("out"), [env.get(a) for a in step.get("args", [])]
        with torch.set_grad_enabled(not step.get("no_grad", False)):
            if op == "leaf":
                env[out] = torch.linspace(0.5, 1.5, 4).requires_grad_(step["requires_grad"])
            elif op in ("add", "mul", "sub"):
                env[out] = {"add": args[0] + args[1], "mul": args[0] * args[1], "sub": args[0] - args[1]}[op]
            elif op in ("exp", "tanh", "sum", "detach"):
                env[out] = getattr(args[0], op)()
            elif op == "view":
                env[out] = args[0].view(-1)
            elif op == "unbind":
                env.update(zip(out, args[0].unbind()))
            elif op == "max":
                env.update(zip(out, args[0].max(dim=0)))
            else:
                getattr(args[0], op)(args[1])
    return {k: (v.is_leaf, v.requires_grad, None if v.grad_fn is None else type(v.grad_fn).__name__)
            for k, v in env.items()}
# %% answer walk
import dagviz


def graph_nodes(t):
    if t.grad_fn is None:
        return []
    return [node.name for node in dagviz.trace(t).functions()]


def path_counts(t):
    if t.grad_fn is None:
        return []
    graph = dagviz.trace(t)
    leaves = [n for n in graph.functions() if n.kind == "leaf"]
    return [(n.tensor, 1) for n in leaves]
