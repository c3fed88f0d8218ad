# class: honest
# what: a correct answer by the other routes the task allows: rows from y.backward(gradient=v) read off x.grad,
#   columns from torch.autograd.forward_ad dual numbers, pass counts from math.prod: the pass counting, the watch on
#   library Jacobians and the scan must leave room for them.
# %% answer jacobian_vjp
def jacobian_vjp(f, x):
    x = x.detach().clone().requires_grad_(True)
    y = f(x)
    J = torch.zeros(*y.shape, *x.shape, dtype=y.dtype)
    flat = J.view(y.numel(), *x.shape)
    for i in range(y.numel()):
        v = torch.zeros_like(y).reshape(-1)
        v[i] = 1
        x.grad = None
        y.backward(gradient=v.reshape(y.shape), retain_graph=True)
        flat[i] = x.grad
    return J
# %% answer jacobian_jvp
def jacobian_jvp(f, x):
    import torch.autograd.forward_ad as fwAD

    x = x.detach()
    columns = []
    for j in range(x.numel()):
        tangent = torch.zeros(x.numel(), dtype=x.dtype)
        tangent[j] = 1
        with fwAD.dual_level():
            out = f(fwAD.make_dual(x, tangent.reshape(x.shape)))
            y, column = fwAD.unpack_dual(out)
        columns.append(column.reshape(-1))
    return torch.stack(columns, dim=-1).reshape(*y.shape, *x.shape)
# %% answer hypot
class Hypot(torch.autograd.Function):
    """r = sqrt(x**2 + y**2), elementwise."""

    @staticmethod
    def forward(x, y):
        return torch.sqrt(x * x + y * y)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, y = inputs
        ctx.save_for_backward(x, y, output)
        ctx.save_for_forward(x, y, output)

    @staticmethod
    def backward(ctx, grad_r):
        x, y, r = ctx.saved_tensors
        return grad_r * x / r, grad_r * y / r

    @staticmethod
    def jvp(ctx, x_t, y_t):
        """The output's tangent, from the inputs' tangents x_t and y_t."""
        x, y, r = ctx.saved_tensors
        return x / r * x_t + y / r * y_t
# %% answer passes
import math


def passes(x_shape, y_shape):
    return dict(vjp=math.prod(y_shape), jvp=math.prod(x_shape))


def cheaper(x_shape, y_shape):
    n = passes(x_shape, y_shape)
    return "either" if n["vjp"] == n["jvp"] else min(n, key=n.get)
