# nbgrader configuration for the course's graded assignments: every setting is in
# course_grading/config.py (paths are computed from this file's location, so the checkout can live
# anywhere). nbgrader reads this file when it runs at the top of the checkout: the nbgrader commands,
# JupyterLab's Formgrader (`make lab` opens JupyterLab here) and the self-check (`make assignments`).
import pathlib

from course_grading.config import configure

configure(get_config(), pathlib.Path(__file__).resolve().parent)  # noqa: F821 (traitlets provides get_config)
