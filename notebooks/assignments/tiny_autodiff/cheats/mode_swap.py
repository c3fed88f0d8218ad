# class: mode_swap
# what: answers reverse mode with forward mode: every Value carries the derivatives of itself with respect
#   to every leaf (dual numbers), so gradients come out right, but no _backward step exists and backward()
#   only copies the forward-mode derivatives into the leaves. topological_order() is honest.
# honest: test_topo
# flag: none
# %% answer topo
def topological_order(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if id(child) not in seen)
    return order
# %% answer engine
import math


class Value:
    def __init__(self, data, _children=(), _op="", partials=None):
        self.data, self.grad, self._prev, self._op = float(data), 0.0, tuple(_children), _op
        self._backward = lambda: None
        self.partials = partials if partials is not None else {id(self): (self, 1.0)}

    @staticmethod
    def _wrap(other):
        return other if isinstance(other, Value) else Value(other)

    @staticmethod
    def _mix(*terms):
        out = {}
        for value, factor in terms:
            for key, (leaf, d) in value.partials.items():
                prev = out.get(key, (leaf, 0.0))[1]
                out[key] = (leaf, prev + factor * d)
        return out

    def __add__(self, other):
        other = self._wrap(other)
        return Value(self.data + other.data, (self, other), "+", self._mix((self, 1.0), (other, 1.0)))

    def __mul__(self, other):
        other = self._wrap(other)
        return Value(self.data * other.data, (self, other), "*", self._mix((self, other.data), (other, self.data)))

    def __pow__(self, k):
        return Value(self.data**k, (self,), "**", self._mix((self, k * self.data ** (k - 1))))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", self._mix((self, 1 - t * t)))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), "exp", self._mix((self, e)))

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._wrap(other))

    def __truediv__(self, other):
        return self * self._wrap(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    def backward(self):
        for leaf, d in self.partials.values():
            if not leaf._prev:
                leaf.grad += d
# %% answer mlp
def train_mlp(xs, ys, w1, b1, w2, b2, lr=0.1, steps=20):
    W1 = [[Value(w) for w in row] for row in w1]
    B1 = [Value(b) for b in b1]
    W2 = [Value(w) for w in w2]
    B2 = Value(b2)
    params = [w for row in W1 for w in row] + B1 + W2 + [B2]
    losses = []
    for _ in range(steps):
        total = Value(0.0)
        for x, y in zip(xs, ys):
            h = [(sum((w * xi for w, xi in zip(row, x)), Value(0.0)) + b).tanh() for row, b in zip(W1, B1)]
            total = total + (sum((w * hj for w, hj in zip(W2, h)), Value(0.0)) + B2 - y) ** 2
        loss = total / len(xs)
        losses.append(loss.data)
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
            p.grad = 0.0
            p.partials = {id(p): (p, 1.0)}
    return losses
