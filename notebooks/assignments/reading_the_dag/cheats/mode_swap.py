# class: mode_swap
# what: answers breadth-first with depth-first (lesson 1's stack walk), and counts paths by following every one of
#   them (an explicit stack, no recursion): right on small graphs, never finishes where there are 2**30 paths
# flag: none
# %% answer breadth_first
def breadth_first(graph):
    nodes, order, seen, stack = graph["nodes"], [], set(), [graph["root"]]
    while stack:
        k = stack.pop()
        if k in seen:
            continue
        seen.add(k)
        order.append(k)
        stack.extend(j for j in reversed(nodes[k]["next"]) if j is not None)
    return order
# %% answer path_counts
def path_counts(graph):
    nodes, counts, stack = graph["nodes"], {}, [graph["root"]]
    while stack:  # one stack entry per path: every path is followed to its end
        k = stack.pop()
        if nodes[k]["name"] == "AccumulateGrad":
            counts[nodes[k]["leaf"]] = counts.get(nodes[k]["leaf"], 0) + 1
        stack.extend(j for j in nodes[k]["next"] if j is not None)
    return counts
