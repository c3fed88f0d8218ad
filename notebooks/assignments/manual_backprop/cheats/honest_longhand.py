# class: honest
# what: a correct answer written long-hand, backprop-ninja style (softmax from exp and sums, BatchNorm through bndiff, var,
#   var_inv and the mean, one step at a time; leaky ReLU through a float mask; in-place SGD under no_grad): the work
#   count and the conversion count must leave room for it.
# %% answer cross_entropy_backward
def cross_entropy_backward(logits, y):
    n = logits.shape[0]
    shifted = logits - logits.max(1, keepdim=True).values
    counts = shifted.exp()
    counts_sum = counts.sum(1, keepdim=True)
    probs = counts * counts_sum ** -1
    dlogits = probs.clone()
    dlogits[range(n), y] -= 1
    dlogits = dlogits / n
    return dlogits
# %% answer linear_backward
def linear_backward(dout, x, W):
    dx = torch.matmul(dout, W)
    dW = torch.matmul(dout.transpose(0, 1), x)
    db = torch.sum(dout, dim=0)
    return dx, dW, db
# %% answer leaky_relu_backward
def leaky_relu_backward(dout, pre, slope):
    mask = (pre > 0).to(dout.dtype)
    local = mask + (1 - mask) * slope
    return dout * local
# %% answer batchnorm_backward
def batchnorm_backward(dout, bnraw, gain, var_inv):
    n = dout.shape[0]
    dgain = (bnraw * dout).sum(0)
    dbias = dout.sum(0)
    dbnraw = gain * dout
    bndiff = bnraw / var_inv                  # hprebn - mean
    dbndiff = dbnraw * var_inv
    dvar_inv = (dbnraw * bndiff).sum(0)
    dvar = (-0.5 * var_inv**3) * dvar_inv     # var_inv = (var + eps) ** -0.5
    dbndiff2 = (2.0 / n) * bndiff * dvar      # var = mean(bndiff ** 2)
    dbndiff = dbndiff + dbndiff2
    dhprebn = dbndiff.clone()
    dmean = -dbndiff.sum(0)
    dhprebn = dhprebn + dmean / n
    return dhprebn, dgain, dbias
# %% answer manual_backward
def manual_backward(cache, params, y):
    grads = {}
    grads["logits"] = cross_entropy_backward(cache["logits"], y)
    dh, dW2, db2 = linear_backward(grads["logits"], cache["h"], params["W2"])
    grads.update(h=dh, W2=dW2, b2=db2)
    grads["hpreact"] = leaky_relu_backward(dh, cache["hpreact"], SLOPE)
    dhprebn, dgain, dbias = batchnorm_backward(grads["hpreact"], cache["bnraw"], params["bngain"], cache["var_inv"])
    grads.update(hprebn=dhprebn, bngain=dgain, bnbias=dbias)
    dx, dW1, db1 = linear_backward(dhprebn, cache["x"], params["W1"])
    grads.update(x=dx, W1=dW1, b1=db1)
    return grads
# %% answer sgd_step
def sgd_step(params, x, y, lr):
    loss, cache = forward(x, y, params)
    grads = manual_backward(cache, params, y)
    with torch.no_grad():
        for name in params:
            params[name].sub_(lr * grads[name])
    return float(loss)
