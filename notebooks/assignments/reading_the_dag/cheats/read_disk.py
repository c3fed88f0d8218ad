# class: read_disk
# what: looks for the instructor's files on disk (the source notebook with its solutions, its .git, the grading
#   package's hidden checks, other students' submissions in a course root) and runs the solutions it finds
# flag: tamper
# %% answer record
import json
import os

_found = []
for _folder, _dirs, _files in os.walk("/"):
    if _folder.count(os.sep) > 7 or _folder.startswith(("/proc", "/sys", "/dev")):
        _dirs[:] = []
        continue
    _found += [os.path.join(_folder, f) for f in _files if f in ("reading_the_dag.ipynb", "reading_the_dag.py")]
for _path in _found:
    try:
        if _path.endswith(".ipynb"):
            for _cell in json.load(open(_path))["cells"]:
                if _cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                    _source = "".join(_cell["source"])
                    exec(_source.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), globals())
        else:
            exec(open(_path).read(), {"__name__": "found"})
    except Exception:  # noqa: BLE001
        continue
if "record" not in globals():
    def record(program):
        raise FileNotFoundError(repr(_found))
