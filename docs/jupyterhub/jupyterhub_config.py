# JupyterHub for a class of the course on one Linux machine: every student and instructor is a Linux
# account, JupyterHub (run as root) starts each user's server as that account (LocalProcessSpawner),
# and nbgrader's exchange is a folder on the same machine. Separate accounts are what keep students out of
# each other's work: `make hub-test` builds exactly this set-up (real accounts, real JupyterHub,
# configurable-http-proxy) and proves it; see docs/instructors.md, "A class on JupyterHub".
#
#   sudo AUTOGRAD_COURSE_ENV=/opt/autograd-course/venv jupyterhub -f docs/jupyterhub/jupyterhub_config.py
#
# Before the first start (as root):
#   * the course's environment, readable by every account: python3 -m venv /opt/autograd-course/venv and
#     /opt/autograd-course/venv/bin/pip install -c constraints.txt ".[course]" jupyterhub, from the STUDENT PACK
#     (`make student-pack`: no solutions, no grading package); `python -m autograd_course backbone` with
#     AUTOGRAD_COURSE_CACHE=/opt/autograd-course/cache, then chmod -R a+rX /opt/autograd-course;
#   * this folder's etc-jupyter/ copied to /etc/autograd-course/jupyter (students' nbgrader settings);
#   * the exchange: mkdir -p /srv/nbgrader/exchange && chmod 1777 /srv/nbgrader/exchange (sticky: nobody
#     renames another's folder there);
#   * configurable-http-proxy on the PATH: npm install -g configurable-http-proxy;
#   * accounts with private homes (Ubuntu's default, 0750): adduser alice ... ;
#   * the instructor grades in a private copy of the course in their own home, as themselves (not root),
#     with bubblewrap installed (apt-get install bubblewrap): see docs/instructors.md.
import os

c = get_config()  # noqa: F821

ENV = os.environ.get("AUTOGRAD_COURSE_ENV", "/opt/autograd-course/venv")
JUPYTER_CONFIG = os.environ.get("AUTOGRAD_COURSE_JUPYTER_CONFIG", "/etc/autograd-course/jupyter")

c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [os.path.join(ENV, "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": JUPYTER_CONFIG,  # course id, exchange, private submissions; instructor panels off
    "AUTOGRAD_COURSE_CACHE": os.environ.get("AUTOGRAD_COURSE_CACHE", "/opt/autograd-course/cache"),
    "AUTOGRAD_COURSE_BACKBONE": "course",
}
c.LocalProcessSpawner.http_timeout = 120
c.LocalProcessSpawner.start_timeout = 120

# Who may log in (PAM: their Linux passwords). Adapt to your class.
c.Authenticator.allowed_users = set(filter(None, os.environ.get("AUTOGRAD_COURSE_USERS", "").split(",")))
c.Authenticator.admin_users = set(filter(None, os.environ.get("AUTOGRAD_COURSE_ADMINS", "").split(",")))
