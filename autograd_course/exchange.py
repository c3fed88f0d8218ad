"""The student's side of nbgrader's exchange: a submission only its student and the instructors can read.

nbgrader's default submit leaves each submission folder world-writable (0777) and its files
world-readable, hidden only by an unguessable name. `PrivateSubmit` writes it readable by the
submitter and the group of the exchange's `inbound` folder only: the instructor's `nbgrader
release_assignment` creates `inbound` setgid, with the instructor's group, so everything made inside
it gets that group. Folders end 0750, files 0640, created under a umask of 027 (never readable by
others, not even for a moment). Another student who learns the folder's name cannot read, change or
delete it (with `inbound` sticky, as `course_grading.exchange.CourseRelease` makes it, not rename it).

Students' nbgrader config selects it (docs/jupyterhub/etc-jupyter/nbgrader_config.py):
`c.ExchangeFactory.submit = "autograd_course.exchange.PrivateSubmit"`.
"""

from __future__ import annotations

import os
import secrets
import shutil

from nbgrader.exchange.default.submit import ExchangeSubmit

FOLDER, FILE = 0o750, 0o640


def _copy_private(src: str, dest: str, extra: dict[str, str]) -> None:
    """Copy a folder into `dest` so that everything inherits `dest`'s parent's group (no copystat, which
    would clear the setgid bit that carries the group), then close it to others."""
    previous = os.umask(0o027)
    try:
        os.mkdir(dest)
        for folder, dirs, files in os.walk(src):
            target = os.path.join(dest, os.path.relpath(folder, src))
            for name in dirs:
                os.mkdir(os.path.join(target, name))
            for name in files:
                shutil.copyfile(os.path.join(folder, name), os.path.join(target, name))
        for name, text in extra.items():
            with open(os.path.join(dest, name), "w") as f:
                f.write(text)
        for folder, dirs, files in os.walk(dest, topdown=False):
            for name in files:
                os.chmod(os.path.join(folder, name), FILE)
            for name in dirs:
                os.chmod(os.path.join(folder, name), FOLDER)
        os.chmod(dest, FOLDER)
    finally:
        os.umask(previous)


class PrivateSubmit(ExchangeSubmit):
    def copy_files(self):
        self.init_release()
        secret = secrets.token_hex(64)
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        if self.add_random_string:
            cache = os.path.join(self.cache_path, self.assignment_filename.rsplit("+", 1)[0])
        else:
            cache = os.path.join(self.cache_path, self.assignment_filename)
        self.log.info("Source: %s", self.src_path)
        self.log.info("Destination: %s", dest)
        self.check_filename_diff()
        _copy_private(self.src_path, dest, {"timestamp.txt": self.timestamp, "submission_secret.txt": secret})
        os.makedirs(self.cache_path, exist_ok=True)
        self.do_copy(self.src_path, cache)
        for name, text in (("timestamp.txt", self.timestamp), ("submission_secret.txt", secret)):
            with open(os.path.join(cache, name), "w") as f:
                f.write(text)
        self.log.info("Submitted as: %s %s %s", self.coursedir.course_id, self.coursedir.assignment_id,
                      self.timestamp)
