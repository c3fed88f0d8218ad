# class: mode_swap
# what: answers breadth-first with depth-first: graph_nodes() walks the graph depth-first (as lesson 1 does)
#   and path_counts() lists the leaves in depth-first order; the prediction parts are left unanswered.
# flag: none
# %% answer walk
def graph_nodes(t):
    return [type(fn).__name__ for fn in _dfs(t)]


def _dfs(t):
    if t.grad_fn is None:
        return []
    seen, order, stack = set(), [], [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        order.append(fn)
        stack.extend(n for n, _ in reversed(fn.next_functions) if n is not None)
    return order


def path_counts(t):
    order = _dfs(t)
    counts = {fn: 0 for fn in order}
    if order:
        counts[order[0]] = 1
    for fn in order:
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                counts[nxt] += counts[fn]
    return [(fn.variable, counts[fn]) for fn in order if type(fn).__name__ == "AccumulateGrad"]
