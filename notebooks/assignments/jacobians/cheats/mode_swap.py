# class: mode_swap
# what: answers each mode with the other: the "VJP" Jacobian is built column by column with torch.func.jvp,
#   the "JVP" Jacobian row by row with torch.autograd.grad, and Hypot's jvp computes the local derivative
#   with a backward pass. Each uses one pass per row or column, just of the wrong kind.
# flag: none
# %% answer jacobian_vjp
def jacobian_vjp(f, x):
    x = x.detach()
    cols = []
    for j in range(x.numel()):
        u = torch.zeros(x.numel(), dtype=x.dtype)
        u[j] = 1.0
        y, col = torch.func.jvp(f, (x,), (u.view(x.shape),))
        cols.append(col.reshape(-1))
    return torch.stack(cols, dim=1).reshape(*y.shape, *x.shape)
# %% answer jacobian_jvp
def jacobian_jvp(f, x):
    x = x.detach().requires_grad_()
    y = f(x)
    rows = []
    for i in range(y.numel()):
        v = torch.zeros(y.numel(), dtype=y.dtype)
        v[i] = 1.0
        (row,) = torch.autograd.grad(y, x, grad_outputs=v.view(y.shape), retain_graph=True)
        rows.append(row)
    return torch.stack(rows).reshape(*y.shape, *x.shape)
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
        x, y, _ = ctx.saved_tensors
        with torch.enable_grad():
            a, b = x.detach().requires_grad_(), y.detach().requires_grad_()
            da, db = torch.autograd.grad(torch.sqrt(a * a + b * b).sum(), (a, b))
        return da * x_t + db * y_t
