"""The hidden checks: one module per assignment, named after it (see points.py for how one is written).

They run in the grader's process only. They hold the references, the hidden inputs and the oracles'
functions; no worker ever imports them.
"""
