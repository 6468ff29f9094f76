"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Everything can be changed from the environment (a malformed value stops
start-up with a message naming the variable, as in config/settings.py):

- GUNICORN_BIND     address to listen on (default 127.0.0.1:8000; a reverse
                    proxy in front terminates TLS)
- WEB_CONCURRENCY   worker processes (default: CPU cores + 1, 3 on two cores)
- GUNICORN_THREADS  threads per worker (default 4); each thread may hold one
                    pooled database connection, see DATABASE_POOL_MAX_SIZE
- GUNICORN_TIMEOUT  seconds a request may run before its worker is replaced (30)
- GUNICORN_ACCESS_LOG / GUNICORN_ERROR_LOG  file names, "-" (default) for
                    standard output / standard error
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

from gunicorn.glogging import Logger

# The project root, so that `config.env` imports wherever gunicorn starts.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from config.env import env_int, env_str  # noqa: E402

wsgi_app = "config.wsgi:application"
bind = [env_str("GUNICORN_BIND", "127.0.0.1:8000") or "127.0.0.1:8000"]
workers = env_int("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1, minimum=1)
threads = env_int("GUNICORN_THREADS", 4, minimum=1)
worker_class = "gthread"

# A request running longer than this is stuck (the slowest page takes well
# under a second); its worker is replaced. On SIGTERM workers get
# graceful_timeout seconds to finish the requests they are serving.
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=1)
keepalive = 5
# Each worker is replaced after about this many requests (the jitter keeps
# them from restarting together), which bounds any slow growth in memory.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 100, minimum=0)

# Query strings can carry personal data (a household's name searched for), so
# the access log records the path without its query, and no referer or user
# agent: time, method, path, status, response length in bytes, duration in ms.
accesslog = env_str("GUNICORN_ACCESS_LOG", "-") or "-"
errorlog = env_str("GUNICORN_ERROR_LOG", "-") or "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

#: A query string after a path ("/households/?q=…"), as gunicorn's error log
#: would quote it when a request fails outside Django or cannot be parsed.
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']+")


class _DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _QUERY.sub(r"\1?…", message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class QuerylessLogger(Logger):
    """gunicorn's logger, whose error log leaves out query strings too."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        # setup runs again on every reload (SIGHUP): one filter is enough.
        if not any(isinstance(f, _DropQueryStrings) for f in self.error_log.filters):
            self.error_log.addFilter(_DropQueryStrings())


logger_class = QuerylessLogger
loglevel = env_str("GUNICORN_LOG_LEVEL", "info") or "info"

# No control socket: several servers on one machine (tests, benchmarks) would
# share its default path in the home directory.
control_socket_disable = True
proc_name = "nanum-exchange"
