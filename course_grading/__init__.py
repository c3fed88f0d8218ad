"""Trusted grading for the course's assignments: the score never comes from the student's process.

Stages, one module each (see docs/grading.md):
`sandbox` (containment) -> `workers` (the student's code in a sandboxed worker, which sends back plain
data through `wire`) -> `oracle` (functions held in another process, counting what they serve) ->
`points` (references, comparison, points and messages, in the grader) -> `autograde` (nbgrader's
extension points) -> `review` (notes for the instructor; they decide nothing).
Around them: `selfcheck` (solutions, honest alternatives, blanks and the cheat corpus), `term` (an
instructor's term end to end), `pack` (what students get, without this package) and `exchange`.
Each assignment's hidden checks are the module `checks/<assignment>.py`; what runs beside the student's
code to call it is `drivers/<assignment>.py`.
"""
