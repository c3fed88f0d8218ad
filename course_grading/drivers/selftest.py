"""Drivers for the grading package's own tests (tests/test_grading_*.py)."""


def call(ns, payload):
    """Call the student's function named in the payload with the given arguments."""
    return ns[payload["name"]](*payload.get("args", []))


def probe(ns, payload):
    """What this worker can see: each path exists or not, each module imports or not."""
    import importlib
    import os

    seen = {path: os.path.exists(path) for path in payload.get("paths", [])}
    modules = {}
    for name in payload.get("modules", []):
        try:
            importlib.import_module(name)
            modules[name] = True
        except Exception:  # noqa: BLE001
            modules[name] = False
    return {"paths": seen, "modules": modules, "uid": os.getuid()}


def jacobian_rows(ns, cases):
    """Hand the student's function a vjp() that asks the oracle, for each case."""
    from ._oracle import ask

    out = []
    for k, case in enumerate(cases):
        out.append(ns["jacobian"](lambda v, k=k: ask(k, "vjp", v), case["m"]))
    return out
