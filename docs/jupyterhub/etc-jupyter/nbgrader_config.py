# nbgrader settings for every user's server (JUPYTER_CONFIG_PATH, see jupyterhub_config.py).
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "autograd_course"
c.Exchange.root = "/srv/nbgrader/exchange"
# Submissions readable by their student and the instructors only (autograd_course/exchange.py), not by
# every account on the machine as nbgrader's default leaves them.
c.ExchangeFactory.submit = "autograd_course.exchange.PrivateSubmit"
c.Execute.timeout = 120  # for `nbgrader validate`
