# class: mode_swap
# what: never derives a local gradient: every _backward is a central finite difference of the operation's own
#   forward, element by element, in NumPy (and topological_order is a breadth-first walk from the root, reversed)
# flag: none
# %% answer ops
class Tensor:
    def __init__(self, data, _prev=(), _op=""):
        self.data = np.array(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)
        self._prev = tuple(_prev)
        self._op = _op
        self._backward = lambda: None

    @property
    def shape(self):
        return self.data.shape

    @staticmethod
    def lift(x):
        return x if isinstance(x, Tensor) else Tensor(x)

    def _numeric(self, forward, inputs):
        out = Tensor(forward(*[x.data for x in inputs]), inputs, "fd")

        def _backward():
            for k, x in enumerate(inputs):
                flat = x.data.reshape(-1)
                grad = np.zeros_like(flat)
                for i in range(flat.size):
                    args = [y.data.copy() for y in inputs]
                    plus, minus = args[k].reshape(-1).copy(), args[k].reshape(-1).copy()
                    plus[i] += 1e-6
                    minus[i] -= 1e-6
                    args[k] = plus.reshape(x.shape)
                    hi = forward(*args)
                    args[k] = minus.reshape(x.shape)
                    lo = forward(*args)
                    grad[i] = np.sum((hi - lo) / 2e-6 * out.grad)
                x.grad += grad.reshape(x.shape)

        out._backward = _backward
        return out

    def __add__(self, other):
        return self._numeric(lambda a, b: a + b, (self, Tensor.lift(other)))

    def __mul__(self, other):
        return self._numeric(lambda a, b: a * b, (self, Tensor.lift(other)))

    def __matmul__(self, other):
        return self._numeric(lambda a, b: a @ b, (self, Tensor.lift(other)))

    def sum(self, axis=None, keepdims=False):
        return self._numeric(lambda a: a.sum(axis=axis, keepdims=keepdims), (self,))

    def tanh(self):
        return self._numeric(np.tanh, (self,))

    def exp(self):
        return self._numeric(np.exp, (self,))

    def log(self):
        return self._numeric(np.log, (self,))

    def relu(self):
        return self._numeric(lambda a: np.maximum(a, 0.0), (self,))

    def __pow__(self, k):
        return self._numeric(lambda a: a**k, (self,))

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-Tensor.lift(other))

    def __truediv__(self, other):
        return self * Tensor.lift(other) ** -1

    def mean(self, axis=None, keepdims=False):
        total = self.sum(axis=axis, keepdims=keepdims)
        return total * (total.data.size / self.data.size)

    def backward(self):
        backward(self)
# %% answer topo
def topological_order(root):
    order, queue, seen = [], [root], {id(root)}
    while queue:
        node = queue.pop(0)
        order.append(node)
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                queue.append(child)
    return order[::-1]
