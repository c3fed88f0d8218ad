# nbgrader configuration when nbgrader runs at the top of the checkout: JupyterLab's Formgrader
# (`make lab` opens JupyterLab here) and `nbgrader ...` commands typed here. Everything is set in
# notebooks/assignments/nbgrader_config.py; this file only loads it.
import pathlib

load_subconfig(str(pathlib.Path(__file__).resolve().parent / "notebooks" / "assignments" / "nbgrader_config.py"))  # noqa: F821
