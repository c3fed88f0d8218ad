# class: mode_swap
# what: derives nothing: every backward is a fourth-order central finite difference of a stable-valued forward,
#   computed in float64 with steps scaled to each entry (written with tensor operations on x, so second derivatives
#   come from differentiating the difference quotient); the KL's gradient is one difference per coordinate
# honest: test_exprel_value test_kl_value
# flag: none
# %% answer exprel
def _exprel_formula(x):
    zero = x == 0
    safe = torch.where(zero, torch.ones_like(x), x)
    return torch.where(zero, torch.ones_like(x), torch.expm1(safe) / safe)


def _difference(f, x):
    x64 = x.double()
    h = 1e-3 * x64.detach().abs().clamp(min=1e-2)
    return ((8 * (f(x64 + h) - f(x64 - h)) - (f(x64 + 2 * h) - f(x64 - 2 * h))) / (12 * h)).to(x.dtype)


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
        return grad_output * _difference(_exprel_formula, x)
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
        x64 = x.double()
        h = 1e-3 * x64.detach().abs().amax(-1, keepdim=True).clamp(min=1e-2)
        columns = []
        for j in range(x.shape[-1]):
            step = torch.zeros_like(x64)
            step[..., j] = 1.0
            hj = h * step
            columns.append((8 * (_kl_formula(x64 + hj) - _kl_formula(x64 - hj))
                            - (_kl_formula(x64 + 2 * hj) - _kl_formula(x64 - 2 * hj))) / (12 * h.squeeze(-1)))
        return grad_output.unsqueeze(-1) * torch.stack(columns, -1).to(x.dtype)
# %% answer log_mean
def _lm_formula(a, b):
    equal = a == b
    a_safe = torch.where(equal, 2 * b, a)
    near = (a_safe - b).abs() < 0.5 * b
    t = torch.where(near, torch.log1p(torch.where(near, (a_safe - b) / b, 0.0)),
                    torch.log(torch.where(near, 2.0, a_safe)) - torch.log(torch.where(near, 1.0, b)))
    return torch.where(equal, a, (a_safe - b) / t)


class _LogMean(Function):
    @staticmethod
    def forward(a, b):
        return _lm_formula(a, b)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        a64, b64 = a.double(), b.double()
        ha = 1e-4 * a64.detach()
        hb = 1e-4 * b64.detach()
        da = (8 * (_lm_formula(a64 + ha, b64) - _lm_formula(a64 - ha, b64))
              - (_lm_formula(a64 + 2 * ha, b64) - _lm_formula(a64 - 2 * ha, b64))) / (12 * ha)
        db = (8 * (_lm_formula(a64, b64 + hb) - _lm_formula(a64, b64 - hb))
              - (_lm_formula(a64, b64 + 2 * hb) - _lm_formula(a64, b64 - 2 * hb))) / (12 * hb)
        grad_b = (grad_output * db.to(a.dtype)).sum_to_size(b.shape) if ctx.needs_input_grad[1] else None
        return grad_output * da.to(a.dtype), grad_b


def log_mean(a, b):
    return _LogMean.apply(a, b)
