# class: library_kernel
# what: takes the derivatives from PyTorch's own kernels instead of deriving them: UniformKL's backward is
#   aten._softmax minus 1/n (its second derivative then comes from aten._softmax_backward_data), Exprel's
#   backward is torch.func.vjp of expm1(x)/x with the limit filled in at 0, log_mean differentiates
#   torch.special.xlogy-based logs; the forwards are the formulas as written
# flag: review
# %% answer exprel
class Exprel(Function):
    @staticmethod
    def forward(x):
        safe = torch.where(x == 0, torch.ones_like(x), x)
        return torch.where(x == 0, torch.ones_like(x), torch.expm1(safe) / safe)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        _, vjp = torch.func.vjp(lambda t: torch.expm1(t) / t, x)
        (grad,) = vjp(grad_output)
        return torch.where(x == 0, grad_output / 2, grad)
# %% answer uniform_kl
class UniformKL(Function):
    @staticmethod
    def forward(x):
        return torch.logsumexp(x, -1) - math.log(x.shape[-1]) - x.mean(-1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        p = torch.ops.aten._softmax(x, -1, False)
        return grad_output.unsqueeze(-1) * (p - 1 / x.shape[-1])
# %% answer log_mean
def log_mean(a, b):
    logs = torch.special.xlogy(torch.ones_like(a), a) - torch.special.xlogy(torch.ones_like(b), b)
    return torch.where(a == b, a, (a - b) / logs)
