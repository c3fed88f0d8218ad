# class: delegate
# what: writes forwards that get the values right (honestly) and hands every derivative to autograd: backward
#   switches recording back on, evaluates the same stable-valued formula (torch.where with safe inputs, the max
#   shift, log1p/expm1) and returns torch.autograd.grad of it with create_graph, so second derivatives work too;
#   log_mean is the stable-valued formula itself, differentiated by autograd
# honest: test_exprel_value test_kl_value
# flag: none
# %% answer exprel
def _exprel_formula(x):
    zero = x == 0
    safe = torch.where(zero, torch.ones_like(x), x)
    return torch.where(zero, torch.ones_like(x), torch.expm1(safe) / safe)


class Exprel(Function):
    @staticmethod
    def forward(x):
        return _exprel_formula(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            inner = x if x.requires_grad else x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(_exprel_formula(inner), inner, grad_output, create_graph=True)
        return grad
# %% answer uniform_kl
def _kl_formula(x):
    d = x - x.mean(-1, keepdim=True)
    m = d.amax(-1, keepdim=True)
    return (m.squeeze(-1) - d.mean(-1)) + torch.log1p(torch.expm1(d - m).mean(-1))


class UniformKL(Function):
    @staticmethod
    def forward(x):
        return _kl_formula(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            inner = x if x.requires_grad else x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(_kl_formula(inner), inner, grad_output, create_graph=True)
        return grad
# %% answer log_mean
def log_mean(a, b):
    equal = a == b
    a_safe = torch.where(equal, 2 * b, a)
    near = (a_safe - b).abs() < 0.5 * b
    t = torch.where(near, torch.log1p(torch.where(near, (a_safe - b) / b, 0.0)),
                    torch.log(torch.where(near, 2.0, a_safe)) - torch.log(torch.where(near, 1.0, b)))
    return torch.where(equal, a, (a_safe - b) / t)
