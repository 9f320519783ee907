"""A small HTTP load generator, and the benchmark's gunicorn (from tooling.stack).

Threads, each with one keep-alive connection (http.client), request a path as fast as
the server answers for a fixed time; every latency is kept for the percentiles. Only
loopback addresses are accepted: the benchmark never loads another machine.
"""

import contextlib
import http.client
import secrets
import statistics
import threading
import time
from dataclasses import dataclass

from tooling import stack


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


def production_env(*, secret_key: str, database_url: str, **extra) -> dict:
    """The environment of ``make serve`` in production, on plain HTTP over loopback."""
    return stack.production_env(
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        # Behind the benchmark there is no TLS proxy: no redirect, cookies over HTTP.
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        **extra,
    )


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def collectstatic(env: dict) -> None:
    """``make serve``'s collectstatic: production pages need the static manifest."""
    stack.manage("collectstatic", "--noinput", "-v", "0", env=env, timeout=600)


@contextlib.contextmanager
def gunicorn(env: dict, *, workers: int = 2, timeout: float = 60):
    """Serve the portal with gunicorn (``tooling.stack``, without an access log); yield its
    port. The server is stopped on exit, whatever happens."""
    with stack.gunicorn(env, workers=workers, timeout=timeout, access_log=None) as (base, _, _):
        yield int(base.rsplit(":", 1)[1])
