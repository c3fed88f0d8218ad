# class: mode_swap
# what: measures only what one pass can measure, and gives up the rest at once so that no call runs out of time:
#   GELU by one complex step (exact), RMSNorm's gain by one complex step (each g_c touches only channel c), the
#   convolution's bias as the sum the forward adds; zeros for every gradient that would need a pass per channel.
#   The most a measuring route gets without deriving anything that couples elements.
# flag: review
# %% answer conv1d_backward
def conv1d_backward(dout, x, W, padding):
    T = dout.shape[2]
    ones = np.ones((x.shape[0], W.shape[0], T))
    db = (ones * dout).sum(axis=(0, 2))   # the bias is added once per example and step
    return np.zeros_like(x), np.zeros_like(W), db
# %% answer rmsnorm_backward
def rmsnorm_backward(dout, h, g, eps):
    step = 1e-30
    dg = (rmsnorm(h, g + 1j * step, eps).imag / step * dout).sum(axis=(0, 2))
    return np.zeros_like(h), dg
# %% answer gelu_backward
def gelu_backward(dout, u):
    return dout * gelu(u + 1e-30j).imag / 1e-30
# %% answer maxpool1d_backward
def maxpool1d_backward(dout, z, kernel, stride):
    # one pass: raise every element a little; each window's max moves, and its gradient goes to all raised elements
    moved = maxpool1d(z + 1e-7, kernel, stride) - maxpool1d(z, kernel, stride)
    dz = np.zeros_like(z)
    span = stride * (dout.shape[2] - 1) + 1
    for i in range(kernel):
        dz[:, :, i : i + span : stride] += dout * moved / 1e-7 / kernel
    return dz
