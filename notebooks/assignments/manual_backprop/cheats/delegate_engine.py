# class: delegate
# what: lets a reverse-mode engine of its own (tiny_autodiff's, pasted into the answer cell) differentiate RMSNorm
#   written as elementary operations, instead of deriving its backward. It earns those points (GELU would go the
#   same way): the engine applies the chain rule one operation at a time, as lesson 10 section 3 does by hand, and
#   no output can tell the two apart; the review scan shows it to the instructor (._backward, .backward). Such an
#   engine has no slicing, padding or max: the convolution and the pooling still need their derivation.
# honest: test_rmsnorm
# flag: review
# %% answer rmsnorm_backward
class Node:
    def __init__(self, data, parents=()):
        self.data, self.parents, self.grad = np.asarray(data, dtype=float), parents, None
        self._backward = lambda: None

    def _add_grad(self, g):
        while g.ndim > self.data.ndim:
            g = g.sum(axis=0)
        for axis, n in enumerate(self.data.shape):
            if n == 1 and g.shape[axis] != 1:
                g = g.sum(axis=axis, keepdims=True)
        self.grad = g if self.grad is None else self.grad + g

    def __add__(self, other):
        other = other if isinstance(other, Node) else Node(other)
        out = Node(self.data + other.data, (self, other))
        out._backward = lambda: (self._add_grad(out.grad), other._add_grad(out.grad))
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Node) else Node(other)
        out = Node(self.data * other.data, (self, other))
        out._backward = lambda: (self._add_grad(out.grad * other.data), other._add_grad(out.grad * self.data))
        return out

    def __pow__(self, k):
        out = Node(self.data**k, (self,))
        out._backward = lambda: self._add_grad(out.grad * k * self.data ** (k - 1))
        return out

    def mean1(self):
        out = Node(self.data.mean(axis=1, keepdims=True), (self,))
        out._backward = lambda: self._add_grad(np.broadcast_to(out.grad / self.data.shape[1], self.data.shape))
        return out

    def tanh(self):
        out = Node(np.tanh(self.data), (self,))
        out._backward = lambda: self._add_grad(out.grad * (1 - out.data**2))
        return out

    def backward(self, grad):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node.parents)
        self.grad = grad
        for node in reversed(order):
            if node.grad is not None:
                node._backward()


def rmsnorm_backward(dout, h, g, eps):
    H, G = Node(h), Node(g[:, None])
    (H * ((H**2).mean1() + eps) ** -0.5 * G).backward(dout)
    return H.grad, G.grad[:, 0]
