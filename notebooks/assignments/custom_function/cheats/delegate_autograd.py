# class: delegate
# what: each backward recomputes its forward with gradients switched back on and lets autograd
#   differentiate it (torch.autograd.grad, .backward()), with create_graph where a double backward is asked.
# flag: review
# %% answer logcosh
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
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            return torch.autograd.grad(LogCosh.forward(x), x, grad_output)
# %% answer logsumexp
class LogSumExp(Function):
    @staticmethod
    def forward(x):
        return torch.logsumexp(x, dim=-1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        create = torch.is_grad_enabled()
        with torch.enable_grad():
            xx = x if create else x.detach().requires_grad_(True)
            return torch.autograd.grad(torch.logsumexp(xx, dim=-1), xx, grad_output, create_graph=create)
# %% answer logaddexp
class LogAddExp(Function):
    @staticmethod
    def forward(a, b):
        return torch.logaddexp(a, b)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        with torch.enable_grad():
            a, b = a.detach().requires_grad_(True), b.detach().requires_grad_(True)
            torch.logaddexp(a, b).backward(grad_output)
        return a.grad, b.grad
