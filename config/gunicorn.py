"""gunicorn settings for `make run` and the HTTP benchmark (bench/bench_api.py): `gunicorn -c config/gunicorn.py`.

Threaded workers (gthread), two processes per CPU core and WEB_THREADS (2) threads each, so that a request
waiting on the database never holds a whole process; keep-alive connections are parked in the worker's poller, not in a
thread, so more clients than threads only queue, they do not slow each other down. Each thread keeps its
database connection (CONN_MAX_AGE, set by `make run`). Every value can be overridden from the environment:
WEB_BIND (default 127.0.0.1:$PORT), WEB_WORKERS, WEB_THREADS, WEB_ACCESS_LOG=1 (off by default: an access line
per request costs throughput; the reverse proxy usually keeps one).

Logs go to the var directory (SHAOBAO_VAR_DIR, default var/ in the source tree), never elsewhere in the tree:
server.log (gunicorn's and the application's messages) and, when asked, access.log.
"""

from __future__ import annotations

import os
from pathlib import Path

_cores = os.cpu_count() or 1
_var = Path(os.environ.get("SHAOBAO_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
_var.mkdir(parents=True, exist_ok=True)

wsgi_app = "config.wsgi:application"
bind = os.environ.get("WEB_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
# Two processes per core, two threads each (not one × 4): a keep-alive connection stays with the process that
# accepted it, and one process cannot use more than one core (the GIL), so with one process per core a worker
# that happened to accept more of the clients was saturated while the other idled, and 32 clients got 0.84–0.88 ×
# the throughput of 8. With 2 per core the same connections spread over more processes and the kernel balances
# the CPU between them: 32 clients get 1.1 × (docs/benchmarks.md, 2026-12-04).
workers = int(os.environ.get("WEB_WORKERS", 2 * _cores))
threads = int(os.environ.get("WEB_THREADS", 2))
worker_connections = 1000  # open (keep-alive) connections per worker, parked in its poller
# WEB_REUSE_PORT=1: each worker listens on its own socket (SO_REUSEPORT) and the kernel hashes new
# connections over them, instead of the workers racing to accept from one shared socket. Off by default: with
# few long-lived keep-alive clients the hash spreads them no more evenly than the race (measured with 8 and
# 32 clients, docs/benchmarks.md), and a worker that restarts drops the connections still in its own backlog.
reuse_port = os.environ.get("WEB_REUSE_PORT", "0") == "1"
keepalive = 30
backlog = 2048
timeout = 60
graceful_timeout = 20
preload_app = False  # each worker opens its own database connections after the fork
errorlog = os.environ.get("WEB_ERROR_LOG", str(_var / "server.log"))
accesslog = str(_var / "access.log") if os.environ.get("WEB_ACCESS_LOG") == "1" else None
capture_output = errorlog != "-"  # the application's log (stderr) into server.log too
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
proc_name = "shaobao"
# gunicornc's control socket beside the logs (its default, ~/.gunicorn/gunicorn.ctl, is shared by every
# gunicorn of the user: a benchmark's and `make run`'s would take it from each other).
control_socket = str(_var / "gunicorn.ctl")


def post_worker_init(worker):
    """Build the placement index (the grids' bounding boxes, shaobao.org.geo) before the worker takes its first
    request: with a province's 398,000 grids the first placement by coordinates of a fresh worker otherwise
    waited seconds (docs/scale.md). A failure only logs: the first request builds it then."""
    try:
        from django.db import connections

        from shaobao.org import geo

        geo.current_index_size()
    except Exception:  # noqa: BLE001 - never keep a worker from serving
        worker.log.exception("placement index warm-up failed")
    finally:
        try:
            connections.close_all()  # the warm-up's connection belongs to no request thread
        except Exception:  # noqa: BLE001
            pass
