# class: mode_swap
# what: measures every Jacobian instead of deriving it, as cleverly as a generic route can: complex steps (exact to
#   the last bit, no step-size error) with coloured perturbations, so that inputs which never meet in an output are
#   probed in the same pass (one pass per input channel and tap for the convolution, one per channel for RMSNorm,
#   one per window offset for max-pooling), and the whole network by complex steps on every intermediate. GELU is
#   elementwise, so one complex pass measures it exactly: that point is the one a measuring route earns; the
#   convolution and RMSNorm cannot finish in their time limits, ties defeat max-pooling, the network is too big.
# flag: review
# %% answer conv1d_backward
def conv1d_backward(dout, x, W, padding):
    # the convolution is linear: a unit perturbation measures it exactly. Colour (input channel c, step mod K):
    # every output step reads exactly one perturbed input of that colour.
    N, C, L = x.shape
    K = W.shape[2]
    T = dout.shape[2]
    zero = np.zeros(W.shape[0])
    dx = np.zeros_like(x)
    steps = np.arange(L)
    for c in range(C):
        for r in range(K):
            probe = np.zeros_like(x)
            probe[:, c, r::K] = 1.0
            seen = (conv1d(probe, W, zero, padding) * dout).sum(axis=1)      # (N, T)
            cum = np.concatenate([np.zeros((N, 1)), np.cumsum(seen, axis=1)], axis=1)
            mine = steps[r::K]
            lo, hi = np.clip(mine + padding - K + 1, 0, T), np.clip(mine + padding + 1, 0, T)
            dx[:, c, mine] = cum[:, hi] - cum[:, lo]
    dW = np.zeros_like(W)
    for c in range(C):
        for k in range(K):
            probe = np.zeros_like(W)
            probe[:, c, k] = 1.0                                              # each output channel its own weight
            dW[:, c, k] = (conv1d(x, probe, zero, padding) * dout).sum(axis=(0, 2))
    return dx, dW, dout.sum(axis=(0, 2))
# %% answer rmsnorm_backward
def rmsnorm_backward(dout, h, g, eps):
    step = 1e-30
    dh = np.zeros_like(h)
    for c in range(h.shape[1]):                   # channel c at every example and step in one complex pass
        probe = h.astype(complex)
        probe[:, c, :] += 1j * step
        dh[:, c, :] = (rmsnorm(probe, g, eps).imag / step * dout).sum(axis=1)
    dg = (rmsnorm(h, g.astype(complex) + 1j * step, eps).imag / step * dout).sum(axis=(0, 2))
    return dh, dg
# %% answer gelu_backward
def gelu_backward(dout, u):
    return dout * gelu(u + 1e-30j).imag / 1e-30
# %% answer maxpool1d_backward
def maxpool1d_backward(dout, z, kernel, stride):
    # one pass per offset modulo (kernel + stride): perturbed steps never share a window
    period = kernel + stride
    base = maxpool1d(z, kernel, stride)
    dz = np.zeros_like(z)
    for r in range(period):
        probe = z.copy()
        probe[:, :, r::period] += 1e-7
        moved = (maxpool1d(probe, kernel, stride) - base) / 1e-7 * dout     # (N, C, T2)
        for j in range(dout.shape[2]):
            hit = [i for i in range(j * stride, j * stride + kernel) if i % period == r]
            if hit:
                dz[:, :, hit[0]] += moved[:, :, j]
    return dz
# %% answer network_backward
def network_backward(cache, params, y):
    # complex steps through the rest of the network from every intermediate, one element at a time
    step = 1e-30

    def tail(name, value):
        c = dict(cache)
        c[name] = value
        if name in ("x", "h"):
            h = conv1d(c["x"], params["W"], params["b"], params["W"].shape[2] // 2) if name == "x" else c["h"]
            r = rmsnorm(h, params["g"])
            z = h + gelu(r)
        elif name == "r":
            z = cache["h"] + gelu(value)
        elif name == "a":
            z = cache["h"] + value
        else:
            z = c["z"]
        p = maxpool1d(z, POOL_KERNEL, POOL_STRIDE) if name not in ("p", "f", "logits") else c["p"]
        f = p.reshape(len(y), -1) if name not in ("f", "logits") else c["f"]
        logits = f @ params["V"].T + params["c"] if name != "logits" else value
        shifted = logits - logits.real.max(axis=1, keepdims=True)
        return (np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(y)), y]).mean()

    grads = {}
    for name in ("logits", "f", "p", "z", "a", "r", "h", "x"):
        value = cache[name].astype(complex)
        grad = np.zeros(value.shape)
        for i in np.ndindex(value.shape):
            value[i] += 1j * step
            grad[i] = tail(name, value).imag / step
            value[i] -= 1j * step
        grads[name] = grad
    return grads
# %% answer train
def train(params, batches, lr, momentum=0.0, weight_decay=0.0):
    step = 1e-30
    buffers = {k: np.zeros_like(v) for k, v in params.items()}
    losses = []
    for x, y in batches:
        losses.append(float(forward(x, y, params)[0]))
        for name in PARAMS:
            grad = np.zeros(params[name].shape)
            for i in np.ndindex(grad.shape):
                probe = {k: v.astype(complex) for k, v in params.items()}
                probe[name][i] += 1j * step
                grad[i] = forward(x, y, probe)[0].imag / step
            buffers[name] = momentum * buffers[name] + grad + weight_decay * params[name]
        for name in PARAMS:
            params[name] -= lr * buffers[name]
    return losses
