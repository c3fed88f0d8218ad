# class: honest
# what: a correct answer written differently from the solution: the convolution's dx as a full correlation of the
#   padded dout with the flipped kernel and dW from sliding windows (einsum); RMSNorm one line at a time through m
#   and s; GELU through sech^2 from cosh; max-pooling by sliding windows, argmax and np.add.at on flat indices;
#   the chain in another order; SGD with velocity and decay kept apart and new arrays put in the dict.
# %% answer conv1d_backward
def conv1d_backward(dout, x, W, padding):
    from numpy.lib.stride_tricks import sliding_window_view

    K = W.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    windows = sliding_window_view(xp, K, axis=2)                 # (N, C_in, T, K)
    dW = np.einsum("not,nctk->ock", dout, windows, optimize=True)
    # every input step t' receives dout[t] * W[k] for t + k = t': a correlation of dout, padded by K - 1,
    # with the kernel flipped in time and transposed in channels
    dpad = np.pad(dout, ((0, 0), (0, 0), (K - 1, K - 1)))
    flipped = W[:, :, ::-1]
    dxp = np.zeros_like(xp)
    for k in range(K):
        dxp += np.einsum("oc,not->nct", flipped[:, :, k], dpad[:, :, k : k + xp.shape[2]], optimize=True)
    dx = dxp[:, :, padding : xp.shape[2] - padding]
    db = np.einsum("not->o", dout)
    return dx, dW, db
# %% answer rmsnorm_backward
def rmsnorm_backward(dout, h, g, eps):
    C = h.shape[1]
    m = np.mean(h * h, axis=1, keepdims=True)
    s = (m + eps) ** -0.5
    rhat = h * s
    gain = g.reshape(1, -1, 1)
    dg = np.sum(dout * rhat, axis=(0, 2))
    drhat = dout * gain
    dh = drhat * s                                   # path 1: h directly
    ds = np.sum(drhat * h, axis=1, keepdims=True)
    dm = -0.5 * (m + eps) ** -1.5 * ds
    dh = dh + 2.0 * h / C * dm                       # path 2: through the mean of squares
    return dh, dg
# %% answer gelu_backward
def gelu_backward(dout, u):
    v = np.sqrt(2 / np.pi) * (u + 0.044715 * u**3)
    with np.errstate(over="ignore"):
        sech2 = 1.0 / np.cosh(v) ** 2               # cosh overflows far out: 1/inf = 0, the right limit
    dv = np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * u**2)
    return dout * (0.5 + 0.5 * np.tanh(v) + 0.5 * u * sech2 * dv)
# %% answer maxpool1d_backward
def maxpool1d_backward(dout, z, kernel, stride):
    from numpy.lib.stride_tricks import sliding_window_view

    N, C, L = z.shape
    T2 = dout.shape[2]
    windows = sliding_window_view(z, kernel, axis=2)[:, :, ::stride][:, :, :T2]   # (N, C, T2, kernel)
    where = np.arange(T2) * stride + windows.argmax(axis=3)                    # first maximum of each window
    flat = (np.arange(N)[:, None, None] * C + np.arange(C)[None, :, None]) * L + where
    dz = np.zeros(N * C * L)
    np.add.at(dz, flat.ravel(), dout.ravel())
    return dz.reshape(N, C, L)
# %% answer network_backward
def network_backward(cache, params, y):
    N = cache["x"].shape[0]
    out = {}
    dlogits = cross_entropy_backward(cache["logits"], y)
    out["logits"] = dlogits
    out["c"] = np.sum(dlogits, axis=0)
    out["V"] = np.einsum("nk,nj->kj", dlogits, cache["f"])
    out["f"] = np.einsum("nk,kj->nj", dlogits, params["V"])
    out["p"] = np.reshape(out["f"], (N,) + cache["p"].shape[1:])
    dz = maxpool1d_backward(out["p"], cache["z"], POOL_KERNEL, POOL_STRIDE)
    out["z"] = dz
    out["a"] = dz.copy()
    out["r"] = gelu_backward(out["a"], cache["r"])
    dh_norm, dg = rmsnorm_backward(out["r"], cache["h"], params["g"], EPS)
    out["g"] = dg
    out["h"] = dh_norm + dz
    K = params["W"].shape[2]
    dx, dW, db = conv1d_backward(out["h"], cache["x"], params["W"], K // 2)
    out.update(x=dx, W=dW, b=db)
    return out
# %% answer train
def train(params, batches, lr, momentum=0.0, weight_decay=0.0):
    velocity = {}
    history = []
    for step, (x, y) in enumerate(batches):
        loss, cache = forward(x, y, params)
        history.append(float(loss))
        grads = network_backward(cache, params, y)
        for name in ("W", "b", "g", "V", "c"):
            d = grads[name]
            if weight_decay:
                d = d + weight_decay * params[name]
            if momentum:
                velocity[name] = d if step == 0 else momentum * velocity[name] + d
                d = velocity[name]
            params[name] = params[name] - lr * d
    return history
