"""Container health check: GET /healthz on this container's gunicorn.

200 means the application answers and its database does (config/views.py);
anything else, or no answer within 4 seconds, is unhealthy (exit 1). The
request names the site's first ALLOWED_HOSTS entry and says it came over HTTPS
(as nginx does with SECURE_PROXY_SSL_HEADER=1), so neither the host check nor
the HTTPS redirect answers in place of the view.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
port = bind.rsplit(":", 1)[-1]
host = (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",")[0].strip()
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/healthz",
    headers={"Host": host, "X-Forwarded-Proto": "https"},
)
try:
    with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 (a fixed http URL)
        sys.exit(0 if response.status == 200 else 1)
except (urllib.error.URLError, OSError) as exc:
    print(f"healthz: {exc}", file=sys.stderr)
    sys.exit(1)
