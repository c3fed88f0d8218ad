"""Driver functions: they run inside the sandboxed worker, next to the student's code, and call it.

Each module is named after its assignment; each function takes the namespace the student's cells
made and a payload of plain data, and returns plain data. They decide nothing: the grader compares.
Standard library at module level (a driver module is imported in every environment).
"""
