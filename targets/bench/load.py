"""A small HTTP load generator and a production-like gunicorn, for the benchmark.

Threads, each with one keep-alive connection (http.client), request a path as fast as
the server answers for a fixed time; every latency is kept for the percentiles. Only
loopback addresses are accepted: the benchmark never loads another machine.
"""

import contextlib
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class LoadResult:
    path: str
    seconds: float
    requests: int
    errors: int
    latencies: list[float]  # seconds, of the successful requests

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """The latency (ms) under which ``share`` of the requests finished."""
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[min(max(round(share * 100) - 1, 0), 98)] * 1000


def hammer(
    *, port: int, path: str, cookie: str = "", clients: int = 20, seconds: float = 30.0
) -> LoadResult:
    """Request ``path`` on 127.0.0.1:``port`` from ``clients`` threads for ``seconds``."""
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    headers = {"Host": "127.0.0.1", "Cookie": cookie} if cookie else {"Host": "127.0.0.1"}

    def client(index: int):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = latencies[index]
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    mine.append(time.perf_counter() - started)
                else:
                    errors[index] += 1
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
        connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    flat = [latency for mine in latencies for latency in mine]
    return LoadResult(path, elapsed, len(flat), sum(errors), flat)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Only these pass from the benchmark's environment to the server: a developer's DEBUG=1
# or SECURE_SSL_REDIRECT must not leak in.
_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "USER", "PYTHONPATH")


def production_env(*, secret_key: str, database_url: str, **extra) -> dict:
    """The environment of ``make serve`` in production, on plain HTTP over loopback."""
    env = {name: os.environ[name] for name in _KEPT if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="friendlygov.settings",
        DEBUG="0",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        # Behind the benchmark there is no TLS proxy: no redirect, cookies over HTTP.
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def collectstatic(env: dict) -> None:
    """``make serve``'s collectstatic: production pages need the static manifest."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )


@contextlib.contextmanager
def gunicorn(env: dict, *, workers: int = 2, timeout: float = 60):
    """Serve the portal with gunicorn as ``make serve`` does; yield its port.

    The server is stopped on exit, whatever happens.
    """
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="fg-bench-gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(  # noqa: S603 (this interpreter's gunicorn, fixed arguments)
        [
            sys.executable, "-m", "gunicorn", "friendlygov.wsgi",
            "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
            "--graceful-timeout", "5",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{Path(log.name).read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not listen in time") from None
                time.sleep(0.1)
        yield port
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()
        os.unlink(log.name)
