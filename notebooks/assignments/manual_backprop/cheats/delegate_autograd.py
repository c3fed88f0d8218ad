# class: delegate
# what: every layer function rebuilds its layer with requires_grad and lets autograd differentiate it
#   (torch.autograd.grad, .backward()); manual_backward and sgd_step call the notebook's own
#   autograd_reference.
# flag: review
# %% answer cross_entropy_backward
def cross_entropy_backward(logits, y):
    with torch.enable_grad():
        t = logits.detach().requires_grad_(True)
        F.cross_entropy(t, y).backward()
    return t.grad
# %% answer linear_backward
def linear_backward(dout, x, W):
    with torch.enable_grad():
        x, W = x.detach().requires_grad_(True), W.detach().requires_grad_(True)
        b = torch.zeros(W.shape[0], dtype=W.dtype, requires_grad=True)
        return torch.autograd.grad(x @ W.T + b, (x, W, b), dout)
# %% answer leaky_relu_backward
def leaky_relu_backward(dout, pre, slope):
    with torch.enable_grad():
        pre = pre.detach().requires_grad_(True)
        return torch.autograd.grad(F.leaky_relu(pre, slope), pre, dout)[0]
# %% answer batchnorm_backward
def batchnorm_backward(dout, bnraw, gain, var_inv):
    with torch.enable_grad():
        h = (bnraw / var_inv).detach().requires_grad_(True)  # any input with these statistics
        g, b = gain.detach().requires_grad_(True), torch.zeros_like(gain, requires_grad=True)
        out = g * (h - h.mean(0)) * (h.var(0, unbiased=False) + EPS) ** -0.5 + b
        return torch.autograd.grad(out, (h, g, b), dout)
# %% answer manual_backward
def manual_backward(cache, params, y):
    return autograd_reference(cache["x"], y, params)
# %% answer sgd_step
def sgd_step(params, x, y, lr):
    loss, _ = forward(x, y, params)
    grads = autograd_reference(x, y, params)
    for name in NAMES:
        params[name] -= lr * grads[name]
    return loss.item()
