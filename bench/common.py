"""Helpers shared by the benchmark modules: is PostgreSQL there, and a fresh database to measure in."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from pathlib import Path


def pg_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def fresh_database(url: str) -> None:
    """Drop and re-create the benchmark's own database (never the development one)."""
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def wait_until_healthy(server: subprocess.Popen, port: int, seconds: int) -> subprocess.Popen:
    """Wait for a started server to answer /healthz with 200; kill it and raise if it does not in time."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"gunicorn did not answer within {seconds} s")
