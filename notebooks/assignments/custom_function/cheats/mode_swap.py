# class: mode_swap
# what: answers the reverse-mode question with forward mode: each backward pushes the incoming gradient
#   through the forward as a tangent (dual numbers, torch.autograd.forward_ad). For the elementwise
#   Functions one jvp is the vjp (LogAddExp: tangents (g, 0) and (0, g), then summed to each input's shape);
#   for LogSumExp one jvp per column of the row gives the softmax. The forward formulas are the stable ones.
# flag: review
# %% answer logcosh
import torch.autograd.forward_ad as _dual


def _tangent(fn, primals, tangents):
    with _dual.dual_level():
        duals = [_dual.make_dual(p.detach(), t.detach()) for p, t in zip(primals, tangents)]
        return _dual.unpack_dual(fn(*duals)).tangent


class LogCosh(Function):
    @staticmethod
    def forward(x):
        a = x.abs()
        return a + torch.log1p(torch.exp(-2 * a)) - math.log(2.0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return _tangent(LogCosh.forward, (x,), (grad_output,))
# %% answer logsumexp
class LogSumExp(Function):
    @staticmethod
    def forward(x):
        m = x.amax(dim=-1, keepdim=True)
        return (m + torch.log(torch.exp(x - m).sum(dim=-1, keepdim=True))).squeeze(-1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        columns = []
        for j in range(x.shape[-1]):
            e = torch.zeros_like(x)
            e[..., j] = 1.0
            columns.append(_tangent(LogSumExp.forward, (x,), (e,)))
        return grad_output.unsqueeze(-1) * torch.stack(columns, dim=-1)
# %% answer logaddexp
class LogAddExp(Function):
    @staticmethod
    def forward(a, b):
        return torch.maximum(a, b) + torch.log1p(torch.exp(-(a - b).abs()))

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        shape = grad_output.shape
        a_full, b_full = a.expand(shape), b.expand(shape)
        zero = torch.zeros(shape, dtype=grad_output.dtype)
        grad_a = _tangent(LogAddExp.forward, (a_full, b_full), (grad_output, zero)).sum_to_size(a.shape)
        grad_b = _tangent(LogAddExp.forward, (a_full, b_full), (zero, grad_output)).sum_to_size(b.shape)
        return grad_a, grad_b
