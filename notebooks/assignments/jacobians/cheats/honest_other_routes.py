# class: honest
# what: correct answers written differently from the solution: the VJPs with solves and einsum instead of inverses
#   (and the inverse's VJP as the JVP at X^T, which is what the adjoint turns out to be); the cheaper-mode Jacobian
#   choosing columns when they tie and stacking whole products; the band read row by row (each row's entries
#   found in the products of their columns' groups);
#   Hessian-vector products by double backward (reverse over reverse, create_graph=True) on a flat vector; power
#   iteration on one concatenated vector, stopping when the Rayleigh quotient settles
# flag: none
# %% answer matrix_vjps
def inverse_vjp(X, G):
    # dY = -Y dX Y; its adjoint -Y^T G Y^T is the same map at X^T: -(X^T)^-1 G (X^T)^-1
    left = np.linalg.solve(X.T, G)
    return -np.linalg.solve(X, left.T).T


def gram_vjp(X, G):
    return np.einsum("nk,jk->nj", X, G) + np.einsum("nk,kj->nj", X, G)


def logdet_vjp(X, g):
    return np.linalg.solve(X.T, np.eye(len(X))) * g


def solve_vjp(A, B, G):
    inv = np.linalg.inv(A)
    B_bar = inv.T @ G
    return -np.einsum("ik,jk->ij", B_bar, inv @ B), B_bar
# %% answer jacobian
def jacobian(vjp, jvp, n, m):
    if n <= m:
        return np.stack([jvp(np.eye(n)[j]) for j in range(n)], axis=1).reshape(m, n)
    return np.stack([vjp(np.eye(m)[i]) for i in range(m)], axis=0).reshape(m, n)
# %% answer banded_jacobian
def banded_jacobian(jvp, n, b):
    # row by row: row i of the product of group c holds J[i, j] for the one column j of the group in i-b .. i+b
    width = 2 * b + 1
    J = np.zeros((n, n))
    for group in range(min(width, n)):
        direction = (np.arange(n) % width == group).astype(float)
        mixed = np.asarray(jvp(direction))
        for i in range(n):
            cols = [j for j in range(max(0, i - b), min(n, i + b + 1)) if j % width == group]
            if cols:
                J[i, cols[0]] = mixed[i]
    return J
# %% answer curvature
def hvp(loss, params, v):
    names = list(params)
    sizes = [params[k].numel() for k in names]
    flat = torch.cat([params[k].detach().reshape(-1) for k in names]).requires_grad_(True)
    pieces = dict(zip(names, (p.reshape(params[k].shape) for k, p in zip(names, flat.split(sizes)))))
    (grad,) = torch.autograd.grad(loss(pieces), flat, create_graph=True)
    direction = torch.cat([v[k].reshape(-1) for k in names])
    (out,) = torch.autograd.grad(grad @ direction, flat)
    return {k: p.reshape(params[k].shape) for k, p in zip(names, out.split(sizes))}


def top_eigenvalue(matvec, v0, max_steps=500):
    names = list(v0)
    shapes = [v0[k].shape for k in names]
    sizes = [v0[k].numel() for k in names]

    def as_dict(x):
        return {k: p.reshape(s) for k, p, s in zip(names, x.split(sizes), shapes)}

    def as_flat(d):
        return torch.cat([d[k].reshape(-1) for k in names])

    x = as_flat(v0)
    x = x / torch.linalg.vector_norm(x)
    previous = None
    for _ in range(max_steps):
        y = as_flat(matvec(as_dict(x)))
        rayleigh = float(x @ y)
        if previous is not None and abs(rayleigh - previous) <= 1e-12 * abs(rayleigh):
            break
        previous = rayleigh
        x = y / torch.linalg.vector_norm(y)
    return rayleigh, as_dict(x)
