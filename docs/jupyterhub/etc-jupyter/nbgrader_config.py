# nbgrader settings every user of the course image gets (/etc/jupyter/nbgrader_config.py).
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "autograd_course"
c.Exchange.root = "/srv/nbgrader/exchange"  # the shared volume of jupyterhub_config.py
c.Execute.timeout = 120  # the grader's time per cell, for `nbgrader validate` too
