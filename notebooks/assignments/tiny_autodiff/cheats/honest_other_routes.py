# class: honest
# what: correct answers written differently from the solution: unbroadcast by computing the summed axes first;
#   local steps with einsum, 1/cosh**2, np.where and a keepdims-then-reshape sum backward; Kahn's algorithm
#   (in-degrees, a queue) for the order; backward that checks size with np.size; training with log-softmax
#   picked by the one-hot labels
# flag: none
# %% answer unbroadcast
def unbroadcast(grad, shape):
    """Sum grad down to shape: find every axis that broadcasting made, sum them all at once."""
    grad = np.asarray(grad, dtype=np.float64)
    extra = grad.ndim - len(shape)
    padded = (1,) * extra + tuple(shape)
    axes = tuple(i for i, (size, n) in enumerate(zip(padded, grad.shape)) if size == 1 and n != 1 or i < extra)
    summed = grad.sum(axis=axes, keepdims=True) if axes else grad
    return summed.reshape(shape)
# %% answer ops
class Tensor:
    """A float64 array that remembers how it was computed."""

    def __init__(self, data, _prev=(), _op=""):
        self.data = np.array(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)
        self._prev = tuple(_prev)
        self._op = _op
        self._backward = lambda: None

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        return f"Tensor(shape={self.shape}, op={self._op!r})"

    @staticmethod
    def lift(x):
        return x if isinstance(x, Tensor) else Tensor(x)

    def __add__(self, other):
        other = Tensor.lift(other)
        out = Tensor(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += unbroadcast(out.grad, self.shape)
            other.grad += unbroadcast(out.grad, other.shape)

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = Tensor.lift(other)
        out = Tensor(self.data * other.data, (self, other), "*")

        def _backward():
            mine = np.multiply(out.grad, np.broadcast_to(other.data, out.shape))
            theirs = np.multiply(out.grad, np.broadcast_to(self.data, out.shape))
            self.grad += unbroadcast(mine, self.shape)
            other.grad += unbroadcast(theirs, other.shape)

        out._backward = _backward
        return out

    def __matmul__(self, other):
        other = Tensor.lift(other)
        out = Tensor(self.data @ other.data, (self, other), "@")

        def _backward():
            self.grad += np.einsum("nm,km->nk", out.grad, other.data)
            other.grad += np.einsum("nk,nm->km", self.data, out.grad)

        out._backward = _backward
        return out

    def sum(self, axis=None, keepdims=False):
        out = Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")
        kept = self.data.sum(axis=axis, keepdims=True).shape

        def _backward():
            self.grad += np.ones_like(self.data) * np.reshape(out.grad, kept)

        out._backward = _backward
        return out

    def tanh(self):
        out = Tensor(np.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += out.grad / np.cosh(self.data) ** 2

        out._backward = _backward
        return out

    def exp(self):
        out = Tensor(np.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += np.exp(self.data) * out.grad

        out._backward = _backward
        return out

    def log(self):
        out = Tensor(np.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad * np.reciprocal(self.data)

        out._backward = _backward
        return out

    def relu(self):
        out = Tensor(np.maximum(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += np.where(self.data > 0, out.grad, 0.0)

        out._backward = _backward
        return out

    def __pow__(self, k):
        out = Tensor(self.data**k, (self,), f"**{k}")

        def _backward():
            self.grad += out.grad * k * np.power(self.data, k - 1)

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-Tensor.lift(other))

    def __rsub__(self, other):
        return Tensor.lift(other) - self

    def __truediv__(self, other):
        return self * Tensor.lift(other) ** -1

    def __rtruediv__(self, other):
        return Tensor.lift(other) * self**-1

    def mean(self, axis=None, keepdims=False):
        total = self.sum(axis=axis, keepdims=keepdims)
        return total * (total.data.size / self.data.size)

    def backward(self):
        backward(self)
# %% answer topo
def topological_order(root):
    """Kahn's algorithm: count how many consumers each node has, emit a node once all of them are out."""
    consumers, stack, nodes = {id(root): 0}, [root], {id(root): root}
    while stack:
        node = stack.pop()
        for child in node._prev:
            if id(child) not in nodes:
                nodes[id(child)] = child
                consumers[id(child)] = 0
                stack.append(child)
            consumers[id(child)] += 1
    ready, reverse = [root], []
    while ready:
        node = ready.pop()
        reverse.append(node)
        for child in node._prev:
            consumers[id(child)] -= 1
            if consumers[id(child)] == 0:
                ready.append(child)
    return reverse[::-1]
# %% answer backward
def backward(root):
    if np.size(root.data) != 1:
        raise ValueError(f"backward() needs a one-element root, got shape {root.shape}")
    order = topological_order(root)
    inner = [node for node in order if len(node._prev) > 0]
    for node in inner:
        node.grad = np.zeros(node.shape)
    root.grad = root.grad + np.ones(root.shape)
    for node in order[::-1]:
        node._backward()
# %% answer train
def train(X, Y, W1, b1, W2, b2, lr, steps):
    weights = {name: Tensor(value) for name, value in zip(("W1", "b1", "W2", "b2"), (W1, b1, W2, b2))}
    inputs, onehot, history = Tensor(X), np.asarray(Y, dtype=float), []
    for _ in range(steps):
        hidden = (inputs @ weights["W1"] + weights["b1"]).tanh()
        logits = hidden @ weights["W2"] + weights["b2"]
        shift = logits - np.max(logits.data, axis=1, keepdims=True)
        log_probs = shift - shift.exp().sum(axis=1, keepdims=True).log()
        loss = -(log_probs * onehot).sum() / len(onehot)
        history.append(loss.data.item())
        loss.backward()
        for tensor in weights.values():
            tensor.data = tensor.data - lr * tensor.grad
            tensor.grad = np.zeros(tensor.shape)
    return history
