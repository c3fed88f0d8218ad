"""Checks and oracles for the grading package's own tests (no notebook)."""

from __future__ import annotations

import numpy as np

from course_grading.points import Checks

checks = Checks("selftest", feedback_env=None)


class Linear:
    """y = A x for a hidden A: serves vjp(v) = v A and jvp(u) = A u, nothing else."""

    ops = ("vjp", "jvp")

    def __init__(self, case):
        self.A = np.asarray(case["A"], dtype=np.float64)

    def vjp(self, v):
        return np.asarray(v, dtype=np.float64) @ self.A

    def jvp(self, u):
        return self.A @ np.asarray(u, dtype=np.float64)


ORACLES = {"linear": Linear}
