# class: library_kernel
# what: answers every layer with PyTorch's own backward kernels, which issue 16 found answering the old version of
#   this assignment cheaply: aten.convolution_backward, aten.gelu_backward and aten.max_pool2d_with_indices_backward
#   (exact, and 5 of the 10 points where PyTorch can be imported; RMSNorm has no CPU backward kernel). There is no
#   PyTorch in the numpy worker to call.
# flag: review
# %% answer conv1d_backward
def conv1d_backward(dout, x, W, padding):
    import torch

    t = [torch.from_numpy(np.ascontiguousarray(a)) for a in (dout, x, W)]
    dx, dW, db = torch.ops.aten.convolution_backward(*t, [W.shape[0]], [1], [padding], [1], False, [0], 1,
                                                     [True, True, True])
    return dx.numpy(), dW.numpy(), db.numpy()
# %% answer gelu_backward
def gelu_backward(dout, u):
    import torch

    return torch.ops.aten.gelu_backward(torch.from_numpy(dout), torch.from_numpy(u), approximate="tanh").numpy()
# %% answer maxpool1d_backward
def maxpool1d_backward(dout, z, kernel, stride):
    import torch

    z4 = torch.from_numpy(np.ascontiguousarray(z))[:, :, None, :]
    _, indices = torch.ops.aten.max_pool2d_with_indices(z4, [1, kernel], [1, stride])
    grad = torch.ops.aten.max_pool2d_with_indices_backward(torch.from_numpy(dout)[:, :, None, :], z4, [1, kernel],
                                                           [1, stride], [0, 0], [1, 1], False, indices)
    return grad[:, :, 0, :].numpy()
