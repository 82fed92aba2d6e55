"""The benchmark process's settings: the test settings (plain HTTP for the test client) with a
URLconf that adds a bare hello-world view, the baseline of every figure."""

from kabinet.settings_test import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]  # Django's test client
