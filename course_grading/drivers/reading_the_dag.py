"""reading_the_dag: call the student's record() and graph walks on the grader's inputs (stdlib worker).

Each case gets its own deep copy of its input (an answer that changes its input cannot change the next
case's), and its answer is turned into plain data here, case by case: a value that is not plain data
(a set, an object of the student's) fails that case only, as the name of the exception.
"""

import copy


def _plain(value, depth=0):
    if depth > 60:
        raise ValueError("nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k) if isinstance(k, str) else _key(k): _plain(v, depth + 1) for k, v in value.items()}
    for kind in (int, float, str):  # a subclass (one that compares equal to anything): its plain value
        if isinstance(value, kind):
            return kind(value)
    raise TypeError(f"not plain data: {type(value).__name__}")


def _key(key):
    raise TypeError(f"dictionary keys must be str, not {type(key).__name__}")


def _each(function, inputs):
    out = []
    for item in inputs:
        try:
            out.append(_plain(function(copy.deepcopy(item))))
        except Exception as exc:  # noqa: BLE001 (a student's function may raise anything)
            out.append(type(exc).__name__)
    return out


def record(ns, programs):
    return _each(ns["record"], programs)


def breadth_first(ns, graphs):
    return _each(ns["breadth_first"], graphs)


def path_counts(ns, graphs):
    return _each(ns["path_counts"], graphs)
