# class: mode_swap
# what: the finite differences of lesson 2 instead of a derivation: central differences, one forward pass of the
#   given layer per input element (per weight too), for every layer; GELU's elementwise difference quotient in one
#   vectorized pass. Too slow for the convolution and RMSNorm on the hidden sizes, not accurate enough for GELU's
#   tolerance, and wrong at max-pooling's ties (a tie split in halves).
# %% answer conv1d_backward
def conv1d_backward(dout, x, W, padding):
    step = 1e-6
    b = np.zeros(W.shape[0])

    def measure(array, forward):
        grad = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            keep = array[i]
            array[i] = keep + step
            up = (forward() * dout).sum()
            array[i] = keep - step
            down = (forward() * dout).sum()
            array[i] = keep
            grad[i] = (up - down) / (2 * step)
        return grad

    x, W = x.copy(), W.copy()
    dx = measure(x, lambda: conv1d(x, W, b, padding))
    dW = measure(W, lambda: conv1d(x, W, b, padding))
    db = measure(b, lambda: conv1d(x, W, b, padding))
    return dx, dW, db
# %% answer rmsnorm_backward
def rmsnorm_backward(dout, h, g, eps):
    step = 1e-6
    h, g = h.copy(), g.copy()
    grads = []
    for array in (h, g):
        grad = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            keep = array[i]
            array[i] = keep + step
            up = (rmsnorm(h, g, eps) * dout).sum()
            array[i] = keep - step
            down = (rmsnorm(h, g, eps) * dout).sum()
            array[i] = keep
            grad[i] = (up - down) / (2 * step)
        grads.append(grad)
    return grads[0], grads[1]
# %% answer gelu_backward
def gelu_backward(dout, u):
    step = 1e-5
    return dout * (gelu(u + step) - gelu(u - step)) / (2 * step)
# %% answer maxpool1d_backward
def maxpool1d_backward(dout, z, kernel, stride):
    step = 1e-6
    z = z.copy()
    dz = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        keep = z[i]
        z[i] = keep + step
        up = (maxpool1d(z, kernel, stride) * dout).sum()
        z[i] = keep - step
        down = (maxpool1d(z, kernel, stride) * dout).sum()
        z[i] = keep
        dz[i] = (up - down) / (2 * step)
    return dz
