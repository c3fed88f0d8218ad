"""nbgrader's exchange, made strict where a class of separate Linux accounts needs it (instructor side).

`CourseRelease`: the `inbound` folder gets the sticky bit (3733): students may add their submission
folders but not rename or delete anyone else's. (The exchange root itself should be 1777 for the same
reason; nbgrader accepts that.) The students' side, `autograd_course.exchange.PrivateSubmit`, makes each
submission readable by its student and the instructors' group only.

`OwnerCheckedCollect`: a submission counts only if its submitter owns it.

nbgrader's default collect names the student from the submission folder's name (`<student>+<assignment>+
<time>+<random>`), which the submitter chooses (`nbgrader submit --student=bob`); it only *warns* when
the folder is owned by someone else. `OwnerCheckedCollect` drops such submissions before it picks each
student's latest one (so a forged, newer folder cannot hide the real submission either), and also drops
folders holding any file or folder owned by someone other than the student. On a JupyterHub each
student is a Linux account, so `--student=bob` run by alice makes a folder owned by alice: never
collected as bob's.
"""

from __future__ import annotations

import glob
import os
import pwd
import stat
from collections import defaultdict

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from traitlets import Bool


class CourseRelease(ExchangeReleaseAssignment):
    def init_dest(self):
        super().init_dest()
        mode = os.stat(self.inbound_path).st_mode
        if not mode & stat.S_ISVTX:
            os.chmod(self.inbound_path, (mode | stat.S_ISVTX) & 0o7777)


def owners(path: str) -> set[str]:
    """Account names owning `path` and everything under it (without following links)."""
    found = set()
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, f) for f in files + dirs)]:
            uid = os.lstat(name).st_uid
            try:
                found.add(pwd.getpwuid(uid).pw_name)
            except KeyError:
                found.add(f"uid {uid}")
    return found


class OwnerCheckedCollect(ExchangeCollect):
    require_owner = Bool(True, help="collect a submission only if its student owns all of it (turn off only "
                                    "for a single-account exchange where everyone is the same Linux user)").tag(
        config=True)

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        student = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, f"{student}+{self.coursedir.assignment_id}+*")
        groups = defaultdict(list)
        for path in glob.glob(pattern):
            record = self._path_to_record(path)
            if self.require_owner:
                found = owners(path)
                if found != {record["username"]}:
                    self.log.error("not collected: %s claims to be from %s but is owned by %s", path,
                                   record["username"], ", ".join(sorted(found)))
                    continue
            groups[record["username"]].append(record)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        self.src_records = []
        for records in groups.values():
            records = self._sort_by_timestamp(records)
            if self.duedate is not None and self.before_duedate:
                records = [r for r in records if r["timestamp"] <= self.duedate] or records
            self.src_records.append(records[0])
