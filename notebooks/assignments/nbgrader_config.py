# nbgrader configuration for the course's graded assignments.
#
# nbgrader reads this file when it runs in this folder; `nbgrader_config.py` at the top of the
# checkout loads it too, so the nbgrader commands, JupyterLab's Formgrader (`make lab`) and the
# self-check (`make assignments`) all use the same settings. Paths are computed from this file's
# location, so the checkout can live anywhere.
#
#   source notebooks  notebooks/assignments/<name>/<name>.ipynb  (committed; solutions and hidden tests:
#                                                                 keep your copy of the course private)
#   student versions  release/<name>/<name>.ipynb                (generated, git-ignored, `make clean` removes)
#   course root       $AUTOGRAD_COURSE_GRADING_ROOT, default grading/ at the top of the checkout
#                     (submitted/, autograded/, feedback/, gradebook.db, grades.csv; git-ignored and never
#                     touched by `make clean`: it holds your students' work and grades, back it up)
#   exchange          $AUTOGRAD_COURSE_EXCHANGE, default /srv/nbgrader/exchange (JupyterHub)
import os
import pathlib
import sys

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

_here = pathlib.Path(__file__).resolve().parent
_repo = _here.parents[1]
if str(_here) not in sys.path:
    sys.path.insert(0, str(_here))  # the course's preprocessors (grading_preprocessors.py)
# No __pycache__/ in this folder: nbgrader (and its Formgrader) take every folder here for an assignment.
_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
from grading_preprocessors import (  # noqa: E402
    HideHiddenTests,
    NormalizeTestOutputs,
    SandboxedExecute,
    ScanAnswers,
)

sys.dont_write_bytecode = _write_bytecode

_course_root = pathlib.Path(os.environ.get("AUTOGRAD_COURSE_GRADING_ROOT") or _repo / "grading").expanduser()
_course_root = _course_root.resolve()
for _generated in (_repo / "build", _repo / "release"):
    if _course_root == _generated or _generated in _course_root.parents:
        raise ValueError(
            f"the nbgrader course root {_course_root} is inside {_generated.name}/, which `make clean` deletes: "
            "set AUTOGRAD_COURSE_GRADING_ROOT to a folder outside build/ and release/ (the default is grading/)"
        )
_course_root.mkdir(parents=True, exist_ok=True)  # nbgrader refuses to start without its root
_exchange = os.environ.get("AUTOGRAD_COURSE_EXCHANGE") or "/srv/nbgrader/exchange"

c.CourseDirectory.course_id = "autograd_course"
c.CourseDirectory.root = str(_course_root)
# Absolute step directories override the root: the sources stay where they are committed and the
# student versions land in release/ at the top of the checkout.
c.CourseDirectory.source_directory = str(_here)
c.CourseDirectory.release_directory = str(_repo / "release")
# Never released, never copied next to a submission: each assignment's cheat corpus and caches.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "cheats"]
c.Exchange.root = _exchange

# What a student sees in place of a solution (nbgrader's default, written out on purpose: the
# self-check relies on stubs raising NotImplementedError).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# ---- autograding: contained, guarded, scanned ------------------------------------------------
# nbgrader's own list, with Execute replaced by SandboxedExecute and two steps added (see
# grading_preprocessors.py and notebooks/assignments/README.md, "What the autograder enforces").
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    NormalizeTestOutputs,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    ScanAnswers,  # after the scores are saved (it may hold them), before late penalties use them
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Execute.timeout = int(os.environ.get("AUTOGRAD_COURSE_CELL_TIMEOUT", 120))  # seconds per cell
c.Execute.interrupt_on_timeout = True
c.SandboxedExecute.wall_time = int(os.environ.get("AUTOGRAD_COURSE_WALL_TIME", 900))  # seconds per notebook
c.SandboxedExecute.memory_mb = 3072  # RLIMIT_DATA of the kernel
c.SandboxedExecute.containment = os.environ.get("AUTOGRAD_COURSE_CONTAINMENT", "auto")
# The kernel must not read the sources (solutions, hidden tests, cheat corpus), the gradebook and
# other students' work, or the exchange.
c.SandboxedExecute.hidden_paths = [str(_here), str(_course_root), _exchange]

# Late submissions lose 10% of the notebook's score per started day.
c.AssignLatePenalties.plugin_class = "grading_preprocessors.PercentPerDayLate"
c.PercentPerDayLate.percent_per_day = 10.0

# ---- feedback and export ----------------------------------------------------------------------
c.GenerateFeedback.preprocessors = [
    HideHiddenTests,
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# `nbgrader export` writes the grades next to the gradebook, not into the source folder.
c.CsvExportPlugin.to = str(_course_root / "grades.csv")

# ---- collecting from an LMS (nbgrader zip_collect) ------------------------------------------
# Put the LMS download in <course root>/downloaded/<assignment>/archive/. Files are matched as
# <student_id>_<notebook>.ipynb, optionally <student_id>_<YYYYmmddTHHMMSS>_<notebook>.ipynb with the
# submission time; change the expression to your LMS's file names.
c.ZipCollectApp.strict = True
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[A-Za-z0-9.-]+)_(?:(?P<timestamp>\d{8}T\d{6})_)?(?P<file_id>[^/]+\.ipynb)$"
)
