# class: delegate
# what: derives nothing and is exact: every value and derivative is the definition evaluated entry by entry with
#   Python's decimal module at 60 digits (derivatives by central differences there, second derivatives folded into
#   a differentiable backward as grad * (d1 + (x - x.detach()) * d2)); UniformKL evaluates softmax and its Hessian
#   in decimal row by row. Right everywhere, but a million entries take minutes
# flag: none
# %% answer exprel
from decimal import Decimal, localcontext


def _exprel_d(d):
    return (d.exp() - 1) / d if d else Decimal(1)


def _three(f, value):
    """f, f', f'' at the float `value`, by differences at 60 digits."""
    with localcontext() as context:
        context.prec = 60
        t = Decimal(value)
        h = max(Decimal(1), abs(t)) * Decimal("1e-15")
        f0, up, down = f(t), f(t + h), f(t - h)
        up2, down2 = f(t + 2 * h), f(t - 2 * h)
        return float(f0), float((up - down) / (2 * h)), float((up2 - up - down + down2) / (3 * h * h))


class Exprel(Function):
    @staticmethod
    def forward(x):
        flat = [_three(_exprel_d, v) for v in x.detach().reshape(-1).tolist()]
        return torch.tensor([r[0] for r in flat], dtype=x.dtype).reshape(x.shape)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        flat = [_three(_exprel_d, v) for v in x.detach().reshape(-1).tolist()]
        d1 = torch.tensor([r[1] for r in flat], dtype=x.dtype).reshape(x.shape)
        d2 = torch.tensor([r[2] for r in flat], dtype=x.dtype).reshape(x.shape)
        return grad_output * (d1 + (x - x.detach()) * d2)
# %% answer uniform_kl
from decimal import Decimal, localcontext


def _row(values):
    """F, its gradient and its Hessian for one row, in decimal."""
    with localcontext() as context:
        context.prec = 60
        row = [Decimal(v) for v in values]
        n = len(row)
        top = max(row)
        e = [(r - top).exp() for r in row]
        total = sum(e)
        p = [t / total for t in e]
        F = top + (total / n).ln() - sum(row) / n
        grad = [float(q - Decimal(1) / n) for q in p]
        hess = [[float((p[i] if i == j else 0) - p[i] * p[j]) for j in range(n)] for i in range(n)]
        return float(F), grad, hess


class UniformKL(Function):
    @staticmethod
    def forward(x):
        rows = x.detach().reshape(-1, x.shape[-1]).tolist()
        return torch.tensor([_row(r)[0] for r in rows], dtype=x.dtype).reshape(x.shape[:-1])

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        rows = [_row(r) for r in x.detach().reshape(-1, x.shape[-1]).tolist()]
        grad = torch.tensor([r[1] for r in rows], dtype=x.dtype).reshape(x.shape)
        hess = torch.tensor([r[2] for r in rows], dtype=x.dtype).reshape(*x.shape, x.shape[-1])
        step = (x - x.detach()).unsqueeze(-2)
        return grad_output.unsqueeze(-1) * (grad + (hess * step).sum(-1))
# %% answer log_mean
from decimal import Decimal, localcontext


def _lm(a, b):
    return (a - b) / (a.ln() - b.ln()) if a != b else a


def _lm_all(a, b):
    """L, L_a, L_b, L_aa, L_ab, L_bb by differences at 60 digits."""
    with localcontext() as context:
        context.prec = 60
        A, B = Decimal(a), Decimal(b)
        h, k = A * Decimal("1e-15"), B * Decimal("1e-15")
        f = {(i, j): _lm(A + i * h, B + j * k) for i in (-1, 0, 1) for j in (-1, 0, 1)}
        La = (f[1, 0] - f[-1, 0]) / (2 * h)
        Lb = (f[0, 1] - f[0, -1]) / (2 * k)
        Laa = (f[1, 0] - 2 * f[0, 0] + f[-1, 0]) / (h * h)
        Lbb = (f[0, 1] - 2 * f[0, 0] + f[0, -1]) / (k * k)
        Lab = (f[1, 1] - f[1, -1] - f[-1, 1] + f[-1, -1]) / (4 * h * k)
        return [float(v) for v in (f[0, 0], La, Lb, Laa, Lab, Lbb)]


class _LogMean(Function):
    @staticmethod
    def forward(a, b):
        aa, bb = torch.broadcast_tensors(a, b)
        flat = [_lm_all(s, t)[0] for s, t in zip(aa.reshape(-1).tolist(), bb.reshape(-1).tolist())]
        return torch.tensor(flat, dtype=a.dtype).reshape(aa.shape)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        aa, bb = torch.broadcast_tensors(a, b)
        rows = [_lm_all(s, t) for s, t in zip(aa.detach().reshape(-1).tolist(), bb.detach().reshape(-1).tolist())]
        col = [torch.tensor([r[i] for r in rows], dtype=a.dtype).reshape(aa.shape) for i in range(6)]
        da, db = aa - aa.detach(), bb - bb.detach()
        grad_a = grad_output * (col[1] + col[3] * da + col[4] * db)
        grad_b = grad_output * (col[2] + col[4] * da + col[5] * db)
        return grad_a.sum_to_size(a.shape), grad_b.sum_to_size(b.shape) if ctx.needs_input_grad[1] else None


def log_mean(a, b):
    return _LogMean.apply(a, b)
