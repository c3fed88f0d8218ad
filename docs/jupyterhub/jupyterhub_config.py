# JupyterHub for a class of the course: one container per user from the course image
# (docs/jupyterhub/Dockerfile), a volume for each user's work, one shared volume as nbgrader's
# exchange, the course backbone read from the image's cache. Adapt users, groups and limits.
#
#   jupyterhub -f docs/jupyterhub/jupyterhub_config.py
c = get_config()  # noqa: F821

c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = "autograd-course:latest"
c.DockerSpawner.remove = True
c.DockerSpawner.notebook_dir = "/home/jovyan/work"
c.DockerSpawner.volumes = {
    "autograd-course-user-{username}": "/home/jovyan/work",
    # nbgrader's exchange, shared by everyone: release_assignment, submit, collect, release_feedback.
    # Inside the containers every user is `jovyan`; nbgrader then takes the student id from
    # JUPYTERHUB_USER, which the hub sets.
    "autograd-course-exchange": "/srv/nbgrader/exchange",
}
c.Spawner.environment = {
    "AUTOGRAD_COURSE_CACHE": "/opt/autograd-course/cache",  # the prebuilt backbone, read-only
    "AUTOGRAD_COURSE_BACKBONE": "course",
}
c.Spawner.default_url = "/lab"
c.Spawner.mem_limit = "4G"  # finetuning needs about 2 GB
c.Spawner.cpu_limit = 2.0

# Who teaches: instructors get the Formgrader (they re-enable its panel, see the Dockerfile).
c.Authenticator.admin_users = {"instructor"}
c.Authenticator.allowed_users = {"instructor", "student1", "student2"}
c.JupyterHub.load_groups = {
    "formgrade-autograd_course": {"users": ["instructor"]},
    "nbgrader-autograd_course": {"users": ["student1", "student2"]},
}
