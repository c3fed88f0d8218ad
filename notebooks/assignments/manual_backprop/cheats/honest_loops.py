# class: honest
# what: a correct answer that vectorizes less: Python loops over the output steps of the convolution (einsum per
#   step), over the time steps of RMSNorm, over the windows of max-pooling; the slow end of what the time limits
#   must accept (they are there against measuring Jacobians, not against loops over steps).
# %% answer conv1d_backward
def conv1d_backward(dout, x, W, padding):
    N, C_in, L = x.shape
    C_out, _, K = W.shape
    T = dout.shape[2]
    xp = np.zeros((N, C_in, L + 2 * padding))
    xp[:, :, padding : padding + L] = x
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    db = np.zeros(C_out)
    for t in range(T):                      # output step t read xp[:, :, t : t + K]
        g = dout[:, :, t]                   # (N, C_out)
        dW += np.einsum("no,nck->ock", g, xp[:, :, t : t + K])
        dxp[:, :, t : t + K] += np.einsum("no,ock->nck", g, W)
        db += g.sum(axis=0)
    return dxp[:, :, padding : padding + L], dW, db
# %% answer rmsnorm_backward
def rmsnorm_backward(dout, h, g, eps):
    N, C, T = h.shape
    dh = np.zeros_like(h)
    dg = np.zeros(C)
    for t in range(T):
        v, d = h[:, :, t], dout[:, :, t]                       # (N, C)
        s = 1.0 / np.sqrt((v * v).mean(axis=1, keepdims=True) + eps)
        dg += (d * v * s).sum(axis=0)
        dv = d * g
        dh[:, :, t] = s * dv - v * s**3 * (dv * v).sum(axis=1, keepdims=True) / C
    return dh, dg
# %% answer gelu_backward
def gelu_backward(dout, u):
    c = np.sqrt(2.0 / np.pi)
    th = np.tanh(c * (u + 0.044715 * u * u * u))
    left = 0.5 * (1.0 + th)
    right = 0.5 * u * (1.0 - th) * (1.0 + th) * c * (1.0 + 0.134145 * u * u)
    return dout * (left + right)
# %% answer maxpool1d_backward
def maxpool1d_backward(dout, z, kernel, stride):
    dz = np.zeros(z.shape)
    N, C, _ = z.shape
    rows, cols = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for j in range(dout.shape[2]):
        start = j * stride
        first = np.argmax(z[:, :, start : start + kernel], axis=2)    # np.argmax: the first of tied maxima
        dz[rows, cols, start + first] += dout[:, :, j]                # one position per (n, c): no repeats
    return dz
# %% answer network_backward
def network_backward(cache, params, y):
    grads = {}
    grads["logits"] = cross_entropy_backward(cache["logits"], y)
    grads["V"] = grads["logits"].T @ cache["f"]
    grads["c"] = grads["logits"].sum(0)
    grads["f"] = grads["logits"] @ params["V"]
    grads["p"] = grads["f"].reshape(cache["p"].shape)
    grads["z"] = maxpool1d_backward(grads["p"], cache["z"], POOL_KERNEL, POOL_STRIDE)
    grads["a"] = grads["z"]
    grads["r"] = gelu_backward(grads["a"], cache["r"])
    dh, grads["g"] = rmsnorm_backward(grads["r"], cache["h"], params["g"], EPS)
    grads["h"] = dh + grads["z"]
    grads["x"], grads["W"], grads["b"] = conv1d_backward(grads["h"], cache["x"], params["W"], params["W"].shape[2] // 2)
    return grads
# %% answer train
def train(params, batches, lr, momentum=0.0, weight_decay=0.0):
    bufs = None
    losses = []
    for x, y in batches:
        loss, cache = forward(x, y, params)
        grads = network_backward(cache, params, y)
        if bufs is None:
            bufs = {k: grads[k] + weight_decay * params[k] for k in PARAMS}
        else:
            for k in PARAMS:
                bufs[k] = momentum * bufs[k] + grads[k] + weight_decay * params[k]
        for k in PARAMS:
            params[k] -= lr * bufs[k]
        losses.append(float(loss))
    return losses
