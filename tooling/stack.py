"""The one launcher of the production-like stack: gunicorn, a Celery worker, a private
PostgreSQL and a private Redis, each started on a free port and removed afterwards.

Used by ``make loadtest`` (``tooling.loadtest``), ``make bench`` (``tooling.bench``) and
the fault, backup and deployment tests (``tests/conftest_services.py`` wraps these in
fixtures). The shared PostgreSQL (5432) and Redis (6379) serve the other engineers and
CI: whatever stops, restarts or freezes a server gets its own here. No Django import at
module level: the load test imports this without the portal's settings.
"""

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Unavailable(RuntimeError):
    """A server this machine cannot start (binaries missing): tests skip or fail on it."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll ``condition()`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        time.sleep(interval)


# --- PostgreSQL --------------------------------------------------------------------------


# --- PostgreSQL --------------------------------------------------------------------------


def _postgres_bindir() -> Path | None:
    """The newest installed server's bin folder (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A throw-away PostgreSQL server on 127.0.0.1:<port>, trust authentication.

    PostgreSQL refuses to run as root, so under root the server runs as the ``postgres``
    OS user (``runuser``) and its folder belongs to that user.
    """

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="fg-private-pg-"))
        if self.as_root:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = 0

    def _run(self, *command, check=True, timeout=120):
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        return subprocess.run(
            [*prefix, *map(str, command)],
            cwd=self.folder,  # the postgres user may not be able to enter the caller's folder
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def _pg_ctl(self, *args, check=True):
        return self._run(
            self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", *args,
            check=check,
        )  # fmt: skip

    def init(self):
        self._run(
            self.bindir / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip

    def configure(self, port: int):
        self.port = port
        # Appended lines win over earlier ones; a test server needs no durability.
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.folder}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 16MB\nmax_connections = 30\n"
            )

    def start(self):
        self._pg_ctl("start")

    def stop(self, mode: str = "fast"):
        self._pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast"):
        """Restart the server: every open connection to it is cut."""
        self._pg_ctl("restart", "-m", mode)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def psql(self, dbname: str, sql: str) -> str:
        """Run SQL with psql; return its unaligned, tuples-only output."""
        result = self._run(
            self.bindir / "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "-d", dbname, "-c", sql,
        )  # fmt: skip
        return result.stdout.strip()

    def createdb(self, dbname: str) -> str:
        self.psql("postgres", f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    def destroy(self):
        if self.data.exists():
            self._pg_ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def private_postgres_server():
    """Start a private PostgreSQL server; stop it and delete its folder on exit."""
    bindir = _postgres_bindir()
    if bindir is None:
        raise Unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        raise Unavailable("running as root needs runuser to start PostgreSQL as 'postgres'")
    server = PrivatePostgres(bindir)
    try:
        try:
            server.init()
            for attempt in range(3):  # another process may take the free port first
                server.configure(free_port())
                try:
                    server.start()
                    break
                except subprocess.CalledProcessError:
                    if attempt == 2:
                        raise
        except subprocess.CalledProcessError as exc:
            log = server.log.read_text() if server.log.exists() else ""
            raise RuntimeError(f"private PostgreSQL failed: {exc.stderr}\n{log}") from exc
        yield server
    finally:
        server.destroy()


# --- Redis -------------------------------------------------------------------------------


class PrivateRedis:
    """A throw-away redis-server on 127.0.0.1:<port>, without persistence."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="fg-private-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.paused = False

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", str(self.folder), "--logfile", str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self.answers, timeout=10, what=f"private redis on port {self.port}")

    def stop(self):
        """Stop the server: connections are refused until ``start()``."""
        if self.process and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)

    def pause(self):
        """Freeze the server (SIGSTOP): it still accepts connections but never answers."""
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.paused:
            self.process.send_signal(signal.SIGCONT)
            self.paused = False

    def destroy(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def private_redis_server() -> Iterator["PrivateRedis"]:
    """Start a private redis-server; kill it and delete its folder on exit."""
    if not shutil.which("redis-server"):
        raise Unavailable("redis-server is not installed")
    server = PrivateRedis()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


# --- The portal as production runs it ----------------------------------------------------


# Only these pass from the test process to a production-like one: the suite's own
# settings variables (a SQLite path, a broker, DJANGO_ALLOW_ASYNC_UNSAFE of the browser
# tests, a developer's SECURE_SSL_REDIRECT=0) must not leak in.
_KEPT_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "USER")


def production_env(**overrides) -> dict:
    """The environment of a production process: DEBUG off, a strong random SECRET_KEY.

    ``overrides`` adds what a test needs (DATABASE_URL, MEDIA_ROOT, ...).
    """
    env = {k: os.environ[k] for k in _KEPT_ENVIRONMENT if k in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="friendlygov.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT),
    )
    env.update(overrides)
    return env


def manage(*args, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a subprocess; raise with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


def static_settings(folder: Path) -> dict:
    """Settings overrides for a production process whose STATIC_ROOT is ``folder/static``
    (collected there by ``collectstatic``, so nothing is written into the checkout)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fg_collected_settings.py").write_text(
        "from friendlygov.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(folder / 'static')!r}\n"
    )
    return {
        "DJANGO_SETTINGS_MODULE": "fg_collected_settings",
        "PYTHONPATH": f"{folder}{os.pathsep}{ROOT}",
    }


@contextlib.contextmanager
def gunicorn(env: dict, *, workers: int = 1, timeout: float = 60, access_log: str | None = "-"):
    """Serve the portal with gunicorn (as ``make serve`` does); yield (its base URL, its
    log, the process). ``access_log``: "-" into the log, a file, or None for none (the
    benchmark: logging every request would be part of what it measures).

    The server is killed on exit. Its log is attached to the failure message if it does
    not come up.
    """
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="fg-gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "friendlygov.wsgi",
            "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
            "--graceful-timeout", "2",
            *(["--access-logfile", access_log] if access_log else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up():
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{Path(log.name).read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    try:
        wait_until(up, timeout=timeout, what="gunicorn listening")
        yield base, Path(log.name), process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()
        os.unlink(log.name)


class CeleryWorker:
    """A ``celery -A friendlygov worker`` process started by ``celery_worker()``."""

    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, condition, *, what: str, timeout: float = 90):
        """Poll ``condition`` until it holds; fail with the worker's output otherwise."""

        def check():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the worker exited ({self.process.returncode}):\n{self.output()}"
                )
            return condition()

        try:
            return wait_until(check, timeout=timeout, interval=0.2, what=what)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}; worker output:\n{self.output()}") from exc

    def pool_pids(self) -> list[int]:
        """The pool processes (children of the main process) that run the tasks."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self):
        """SIGKILL the whole worker, main process and pool: no warm or cold shutdown."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@contextlib.contextmanager
def celery_worker(env: dict, *, concurrency: int = 1, log_folder: Path):
    """A real worker as ``make worker`` starts it (prefork pool), in its own process group.

    ``env`` says which database and broker (see ``production_env``). Waits until the
    worker is ready; kills it on exit and prints its output (shown for failing tests).
    """
    log = log_folder / f"worker-{secrets.token_hex(4)}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "friendlygov", "worker",
                f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip",
                "--without-mingle", "--without-heartbeat",
                f"--hostname=fault-{secrets.token_hex(4)}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches the pool too
        )  # fmt: skip
    worker = CeleryWorker(process, log)
    try:
        worker.wait_for(lambda: " ready." in worker.output(), what="the worker to be ready")
        yield worker
    finally:
        if process.poll() is None:
            worker.kill()
        print(f"--- celery worker output ---\n{worker.output()}")
