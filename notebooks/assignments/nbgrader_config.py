# nbgrader configuration for the course's graded assignments.
#
# nbgrader reads this file when you run `nbgrader ...` from this folder (notebooks/assignments/);
# `assignments.py` (the self-check behind `make assignments`) loads it too. All paths are computed
# from this file's location, so the checkout can live anywhere.
#
#   source notebooks   notebooks/assignments/<name>/<name>.ipynb   (committed, solutions inside markers)
#   student versions   release/<name>/<name>.ipynb                 (generated, git-ignored)
#   course root        build/nbgrader/                             (submitted/, autograded/, feedback/,
#                                                                   gradebook.db, grades.csv; git-ignored)
import pathlib

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

_here = pathlib.Path(__file__).resolve().parent
_repo = _here.parents[1]

_course_root = _repo / "build" / "nbgrader"
_course_root.mkdir(parents=True, exist_ok=True)  # nbgrader refuses to start without its root

c.CourseDirectory.course_id = "autograd_course"
c.CourseDirectory.root = str(_course_root)
# Absolute step directories override the root: the sources stay where they are committed and the
# student versions land in release/ at the top of the checkout.
c.CourseDirectory.source_directory = str(_here)
c.CourseDirectory.release_directory = str(_repo / "release")
# Only the assignment folders are assignments (not this file, the driver or caches).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# What a student sees in place of a solution (nbgrader's default, written out on purpose: the
# self-check relies on stubs raising NotImplementedError).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# `nbgrader export` writes the grades next to the gradebook, not into the source folder.
c.CsvExportPlugin.to = str(_course_root / "grades.csv")

# Autograding executes student code: give each cell at most two minutes.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
