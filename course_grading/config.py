"""The course's nbgrader configuration, as a function of where the course lives.

`nbgrader_config.py` at the top of the checkout calls `configure(c, <checkout>)`, so the nbgrader
commands, JupyterLab's Formgrader and the self-check all use the same settings:

    source notebooks  notebooks/assignments/<name>/<name>.ipynb  (solutions and hidden tests: keep your copy private)
    hidden checks     course_grading/checks/<name>.py            (this package; never in the student pack)
    student versions  release/<name>/<name>.ipynb                (generated, git-ignored)
    course root       $AUTOGRAD_COURSE_GRADING_ROOT, default grading/ at the top of the checkout
                      (submitted/, autograded/, feedback/, gradebook.db, grades.csv; back it up)
    exchange          $AUTOGRAD_COURSE_EXCHANGE, default /srv/nbgrader/exchange (JupyterHub)
"""

from __future__ import annotations

import os
import pathlib

# nbgrader's own autograde list, with Execute and SaveAutoGrades replaced (see autograde.py).
AUTOGRADE = [
    "course_grading.autograde.TrustedGrade",
    "nbgrader.preprocessors.LimitOutput",
    "course_grading.autograde.SaveTrustedGrades",
    "course_grading.autograde.ReviewNotes",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def course_root(checkout: pathlib.Path) -> pathlib.Path:
    root = pathlib.Path(os.environ.get("AUTOGRAD_COURSE_GRADING_ROOT") or checkout / "grading").expanduser().resolve()
    for generated in (checkout / "build", checkout / "release"):
        if root == generated or generated in root.parents:
            raise ValueError(f"the nbgrader course root {root} is inside {generated.name}/, which `make clean` "
                             "deletes: set AUTOGRAD_COURSE_GRADING_ROOT to a folder outside build/ and release/")
    return root


def configure(c, checkout: pathlib.Path) -> None:
    """Fill nbgrader's config object `c` for the course checked out at `checkout`."""
    checkout = pathlib.Path(checkout).resolve()
    root = course_root(checkout)
    root.mkdir(parents=True, exist_ok=True)  # nbgrader refuses to start without its root
    c.CourseDirectory.course_id = "autograd_course"
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = str(checkout / "notebooks" / "assignments")
    c.CourseDirectory.release_directory = str(checkout / "release")
    # Never released, never copied next to a submission: the cheat corpus, the README, caches.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "cheats", "README.md"]
    c.Exchange.root = os.environ.get("AUTOGRAD_COURSE_EXCHANGE") or "/srv/nbgrader/exchange"
    c.ExchangeFactory.collect = "course_grading.exchange.OwnerCheckedCollect"
    c.ExchangeFactory.release_assignment = "course_grading.exchange.CourseRelease"

    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

    c.Autograde.autograde_preprocessors = AUTOGRADE
    c.OverwriteCells.add_missing_cells = True  # a deleted test cell comes back, and is graded
    c.TrustedGrade.containment = os.environ.get("AUTOGRAD_COURSE_CONTAINMENT", "auto")

    c.AssignLatePenalties.plugin_class = "course_grading.autograde.PercentPerDayLate"
    c.PercentPerDayLate.percent_per_day = 10.0

    c.GenerateFeedback.preprocessors = [
        "course_grading.autograde.HideHiddenTests",
        "nbgrader.preprocessors.GetGrades",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    c.CsvExportPlugin.to = str(root / "grades.csv")

    # Collecting from an LMS (nbgrader zip_collect): put the download in <course root>/downloaded/<assignment>/
    # archive/; files are <student_id>_<notebook>.ipynb or <student_id>_<YYYYmmddTHHMMSS>_<notebook>.ipynb.
    c.ZipCollectApp.strict = True
    c.FileNameCollectorPlugin.named_regexp = (
        r".*/(?P<student_id>[A-Za-z0-9.-]+)_(?:(?P<timestamp>\d{8}T\d{6})_)?(?P<file_id>[^/]+\.ipynb)$"
    )
