"""Settings of the HTTP benchmark's server: the production settings
(config/settings.py, read from the environment as always) with one change,
the root URLs of bench/urls.py, which add a trivial view. Chosen only by
DJANGO_SETTINGS_MODULE=bench.settings, which bench/http_bench.py sets for the
server it starts; nothing in production imports this module."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
