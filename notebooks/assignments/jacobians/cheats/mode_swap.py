# class: mode_swap
# what: answers with the wrong kind of pass: Part 1's VJPs from complex-step JVPs, one per entry of the input;
#   Part 2's Jacobians always row by row from VJPs, and the band one JVP per column; Part 3's Hessian-vector
#   products as central differences of reverse-mode gradients (first order twice instead of composing modes)
# flag: none
# %% answer matrix_vjps
def _vjp_from_jvps(f, X, G, h=1e-30):
    """<G, dY/dX_ij> for every entry: one complex-step JVP per entry of X."""
    out = np.zeros(X.shape)
    for index in np.ndindex(*X.shape):
        Z = X.astype(complex)
        Z[index] += 1j * h
        out[index] = (np.asarray(G) * (f(Z).imag / h)).sum()
    return out


def inverse_vjp(X, G):
    return _vjp_from_jvps(np.linalg.inv, X, G)


def gram_vjp(X, G):
    return _vjp_from_jvps(lambda Z: Z.T @ Z, X, G)


def logdet_vjp(X, g):
    return _vjp_from_jvps(lambda Z: np.log(np.linalg.det(Z) * np.sign(np.linalg.det(X))), X, g)


def solve_vjp(A, B, G):
    return (_vjp_from_jvps(lambda Z: np.linalg.solve(Z, B), A, G), _vjp_from_jvps(lambda Z: np.linalg.solve(A, Z), B, G))
# %% answer jacobian
def jacobian(vjp, jvp, n, m):
    return np.stack([vjp(e) for e in np.eye(m)])
# %% answer banded_jacobian
def banded_jacobian(jvp, n, b):
    return np.stack([jvp(e) for e in np.eye(n)], axis=1)
# %% answer curvature
def hvp(loss, params, v, h=1e-6):
    grad = torch.func.grad(loss)
    plus = grad({k: params[k] + h * v[k] for k in params})
    minus = grad({k: params[k] - h * v[k] for k in params})
    return {k: (plus[k] - minus[k]) / (2 * h) for k in params}
