# class: honest
# what: a second correct answer by other routes: the VJPs written from the differentials with einsum; the Jacobian
#   from a list of products; the band with a mask applied to each group's product at once; Hessian-vector products
#   by reverse over forward (torch.autograd.forward_ad dual numbers, then one backward pass through the tangent);
#   the top eigenvalue by iterating with H twice per step (H^2 has the same top eigenvector, with a wider gap) and a
#   residual test
# flag: none
# %% answer matrix_vjps
def inverse_vjp(X, G):
    Y = np.linalg.inv(X)
    return -np.einsum("ji,jk,lk->il", Y, G, Y, optimize=True)


def gram_vjp(X, G):
    return X @ G.T + X @ G


def logdet_vjp(X, g):
    return g * np.linalg.inv(X.T)


def solve_vjp(A, B, G):
    Ainv = np.linalg.inv(A)
    Y = Ainv @ B
    B_bar = Ainv.T @ G
    return -(B_bar @ Y.T), B_bar
# %% answer jacobian
def jacobian(vjp, jvp, n, m):
    if m <= n:
        rows = []
        for i in range(m):
            v = np.zeros(m)
            v[i] = 1
            rows.append(vjp(v))
        return np.array(rows)
    columns = []
    for j in range(n):
        u = np.zeros(n)
        u[j] = 1
        columns.append(jvp(u))
    return np.array(columns).T
# %% answer banded_jacobian
def banded_jacobian(jvp, n, b):
    i, j = np.indices((n, n))
    band = np.abs(i - j) <= b
    J = np.zeros((n, n))
    for c in range(min(n, 2 * b + 1)):
        in_group = np.arange(n) % (2 * b + 1) == c
        mixed = jvp(in_group.astype(np.float64))
        J += band * in_group[None, :] * mixed[:, None]
    return J
# %% answer curvature
from torch.autograd import forward_ad


def hvp(loss, params, v):
    leaves = {k: p.detach().clone().requires_grad_(True) for k, p in params.items()}
    with forward_ad.dual_level():
        duals = {k: forward_ad.make_dual(leaves[k], v[k]) for k in leaves}
        directional = forward_ad.unpack_dual(loss(duals)).tangent  # grad(L) . v, recorded for backward
    grads = torch.autograd.grad(directional, list(leaves.values()))
    return dict(zip(leaves, grads))


def top_eigenvalue(matvec, v0, max_steps=500):
    def norm(d):
        return torch.sqrt(sum((t * t).sum() for t in d.values()))

    v = {k: t / norm(v0) for k, t in v0.items()}
    for _ in range(max_steps):
        w = matvec(v)
        lam = sum((v[k] * w[k]).sum() for k in v)
        if norm({k: w[k] - lam * v[k] for k in v}) <= 1e-5 * abs(lam):
            break
        ww = matvec(w)  # H^2 v: same eigenvectors, eigenvalues squared
        v = {k: t / norm(ww) for k, t in ww.items()}
    return float(lam), v
