# class: honest
# what: a correct answer close to micrograd's: Kahn's algorithm for the order (the task forbids recursion), local derivatives through
#   other but equal formulas (exp's from its output, tanh via (e^2x - 1)/(e^2x + 1)), gradients zeroed in the training
#   loop, and backward() setting the root's gradient: the checks must not demand the solution's exact shape.
# %% answer topo
def topological_order(root):
    """Every Value root depends on, each once, each after all the Values in its _prev."""
    # Kahn's algorithm instead of a depth-first walk (the task forbids recursion: graphs can be deep)
    nodes, stack = {}, [root]
    while stack:
        v = stack.pop()
        if id(v) not in nodes:
            nodes[id(v)] = v
            stack.extend(v._prev)
    users = {key: 0 for key in nodes}
    for v in nodes.values():
        for child in set(map(id, v._prev)):
            users[child] += 1
    ready, reverse_order = [root], []
    while ready:
        v = ready.pop()
        reverse_order.append(v)
        for child in {id(c): c for c in v._prev}.values():
            users[id(child)] -= 1
            if users[id(child)] == 0:
                ready.append(child)
    return reverse_order[::-1]
# %% answer engine
import math


class Value:
    """A scalar that remembers how it was computed."""

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    @staticmethod
    def _wrap(other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += out.grad * other.data
            other.grad += out.grad * self.data

        out._backward = _backward
        return out

    def __pow__(self, k):
        assert isinstance(k, (int, float)), "only numbers as exponents"
        out = Value(self.data**k, (self,), f"**{k}")

        def _backward():
            self.grad += (k * self.data ** (k - 1)) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        x = self.data
        t = math.tanh(x) if abs(x) > 20 else (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    # Everything else is built from the operations above (no new _backward needed).
    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        return self * other**-1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    def backward(self):
        topo = topological_order(self)
        for v in topo:
            if v._prev:
                v.grad = 0.0
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()
# %% answer mlp
def train_mlp(xs, ys, w1, b1, w2, b2, lr=0.1, steps=20):
    """Full-batch gradient descent on a tanh MLP with Values; returns the loss before each step."""
    layer1 = [([Value(w) for w in row], Value(b)) for row, b in zip(w1, b1)]
    out_w, out_b = [Value(w) for w in w2], Value(b2)
    params = [p for ws, b in layer1 for p in (*ws, b)] + out_w + [out_b]
    history = []
    for _ in range(steps):
        for p in params:
            p.grad = 0.0
        errors = []
        for x, y in zip(xs, ys):
            hidden = [sum((wi * xi for wi, xi in zip(ws, x)), b).tanh() for ws, b in layer1]
            pred = sum((wo * h for wo, h in zip(out_w, hidden)), out_b)
            errors.append((pred - y) ** 2)
        loss = sum(errors) * (1.0 / len(xs))
        history.append(loss.data)
        loss.backward()
        for p in params:
            p.data += -lr * p.grad
    return history
