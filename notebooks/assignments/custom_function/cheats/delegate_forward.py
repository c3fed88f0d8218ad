# class: delegate
# what: backward itself is one multiplication, but the derivative it multiplies by was computed by autograd
#   when the Function ran: setup_context differentiates the forward (a leaf made with nn.Parameter, so no
#   requires_grad_ in sight, and torch.func.grad for LogSumExp) and saves the local derivative.
# flag: review
# %% answer logcosh
import torch.func as _tf


def _local_derivative(fn, *inputs):
    """d fn / d input for each input, elementwise, computed by autograd and saved for backward."""
    with torch.enable_grad():
        leaves = [torch.nn.Parameter(t.detach().clone()) for t in inputs]
        return [d.detach() for d in torch.autograd.grad(fn(*leaves).sum(), leaves)]


class LogCosh(Function):
    @staticmethod
    def forward(x):
        a = x.abs()
        return a + torch.log1p(torch.exp(-2 * a)) - math.log(2.0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*_local_derivative(LogCosh.forward, inputs[0]))

    @staticmethod
    def backward(ctx, grad_output):
        (slope,) = ctx.saved_tensors
        return grad_output * slope
# %% answer logsumexp
class LogSumExp(Function):
    @staticmethod
    def forward(x):
        m = x.amax(dim=-1, keepdim=True)
        return (m + torch.log(torch.exp(x - m).sum(dim=-1, keepdim=True))).squeeze(-1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(_tf.grad(lambda t: LogSumExp.forward(t).sum())(inputs[0].detach()))

    @staticmethod
    def backward(ctx, grad_output):
        (softmax,) = ctx.saved_tensors
        return grad_output.unsqueeze(-1) * softmax
# %% answer logaddexp
class LogAddExp(Function):
    @staticmethod
    def forward(a, b):
        return torch.maximum(a, b) + torch.log1p(torch.exp(-(a - b).abs()))

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, b = inputs
        shape = output.shape
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(*_local_derivative(LogAddExp.forward, a.expand(shape), b.expand(shape)))

    @staticmethod
    def backward(ctx, grad_output):
        da, db = ctx.saved_tensors
        return (grad_output * da).sum_to_size(ctx.shapes[0]), (grad_output * db).sum_to_size(ctx.shapes[1])
