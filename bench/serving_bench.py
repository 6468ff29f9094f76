"""Serving benchmark (PostgreSQL): what does the connection pool buy under gunicorn?

Run from the repository root: `python bench/serving_bench.py` (`make bench`
does). The server comes from DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/nanum); the script creates its own database
`nanum_bench_serving` on it, migrates it, loads the regions, categories and
the demo marketplace (seed_demo, so that `/` shows what a visitor sees),
collects the static files into a temporary folder, and drops the database at
the end, also when it fails.

gunicorn runs the production configuration (DEBUG off, config/gunicorn.conf.py,
WEB_CONCURRENCY=2 workers of GUNICORN_THREADS=4 threads) on a free loopback
port, once with the pool off (a new PostgreSQL connection for every request,
as with DATABASE_CONN_MAX_AGE=0) and once with it on (the default without
DEBUG). CLIENTS threads, each with its own keep-alive connection, send
`GET /healthz` (one database round trip) and then `GET /` (the catalogue,
anonymous): at most REQUESTS requests or TIME_CAP seconds per path and
setting, after a short warm-up. Printed: requests per second and p50/p95/p99
latency in ms for each, and the ratio pooled / not pooled.
Exit status: 0 when the run completes, non-zero on an error (any answer that
is not 200 is one).
"""

from __future__ import annotations

import datetime
import http.client
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import create_database, database_urls, drop_database  # noqa: E402

BENCH_DB = "nanum_bench_serving"
PATHS = ("/healthz", "/")
CLIENTS = 8
REQUESTS = 2_000  # per path and setting, at most
TIME_CAP = 7.0  # seconds per path and setting, at most
WARMUP = 40  # requests per path not timed
WORKERS, THREADS = 2, 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")


def _get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path, headers={"Host": "127.0.0.1"})
    response = conn.getresponse()
    response.read()
    return response.status


def _load(port: int, path: str) -> tuple[float, list[float], int]:
    """(seconds, latencies in ms, answers other than 200) for one path."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    budget = iter(range(REQUESTS))
    deadline = time.monotonic() + TIME_CAP

    def client() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while time.monotonic() < deadline:
                with lock:
                    if next(budget, None) is None:
                        return
                started = time.perf_counter()
                try:
                    status = _get(conn, path)
                except (OSError, http.client.HTTPException):
                    conn.close()  # the worker closed it (max_requests): reconnect
                    status = _get(conn, path)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    failures += status != 200
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, failures


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _serve(env: dict[str, str], pool: bool) -> dict[str, tuple[float, float, float, float]]:
    port = _free_port()
    env = {
        **env,
        "DATABASE_POOL": "1" if pool else "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_THREADS": str(THREADS),
        "GUNICORN_ACCESS_LOG": os.devnull,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited: {server.stderr.read().decode()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                if _get(conn, "/healthz") == 200:
                    conn.close()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not answer within 30 s") from None
                time.sleep(0.2)
        results = {}
        for path in PATHS:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(WARMUP):
                _get(conn, path)
            conn.close()
            seconds, latencies, failures = _load(port, path)
            if failures:
                raise SystemExit(f"{failures} answers to {path} were not 200")
            results[path] = (
                len(latencies) / seconds,
                statistics.median(latencies),
                _percentile(latencies, 0.95),
                _percentile(latencies, 0.99),
            )
            print(
                f"  pool {'on ' if pool else 'off'} {path:9} {len(latencies):5} requests "
                f"{results[path][0]:7.1f}/s  p50 {results[path][1]:6.1f} ms  "
                f"p95 {results[path][2]:6.1f} ms  p99 {results[path][3]:6.1f} ms",
                flush=True,
            )
        return results
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    admin_url, url = database_urls(BENCH_DB)
    print(
        f"Serving benchmark, {datetime.date.today()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; gunicorn {WORKERS} workers x {THREADS} threads, "
        f"{CLIENTS} client threads, DEBUG off",
        flush=True,
    )
    create_database(admin_url, BENCH_DB)
    try:
        with tempfile.TemporaryDirectory() as static_root:
            base = {
                k: v
                for k, v in os.environ.items()
                if k not in {"DJANGO_SETTINGS_MODULE"} and not k.startswith("DATABASE_")
            }
            env = {
                **base,
                "DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "0",
                "STATIC_ROOT": static_root,
                "DATABASE_URL": url,
            }
            _manage(env, "migrate", "--no-input")
            _manage({**env, "DEBUG": "1"}, "seed_demo")
            _manage(env, "collectstatic", "--no-input")
            off = _serve(env, pool=False)
            on = _serve(env, pool=True)
        for path in PATHS:
            print(
                f"{path:9} pooled / not pooled: requests/s x{on[path][0] / off[path][0]:.2f}, "
                f"p50 x{on[path][1] / off[path][1]:.2f}, p95 x{on[path][2] / off[path][2]:.2f}, "
                f"p99 x{on[path][3] / off[path][3]:.2f}"
            )
    finally:
        drop_database(admin_url, BENCH_DB)


if __name__ == "__main__":
    main()
