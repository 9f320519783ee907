#!/usr/bin/env python3
"""Load test: simulated users against the portal as production runs it.

``make loadtest`` (``--serve``) builds a production-like stack on this machine, all on
loopback (``tooling.stack``): a private PostgreSQL server with the real units and the
demo data, a private Redis broker with a real Celery worker, and gunicorn with 2
workers, DEBUG off and the static files collected, as ``make serve`` runs it. Then it
sends the users for a fixed time, stops everything and prints what it measured. It
fails (exit status 1) on any error: a status other than the one a user expects, a
dropped connection or a timeout.

The users (``--users``, default 50) are a mix, each with its own connection and
session, thinking a moment between pages (``--think``):

- 30% provincial officials (``tinh``) reading the dashboards, a district's and a
  commune's pages, the progress API and the good practices;
- 40% commune staff (``xa.doingo``, ``xa.leloi``) opening the checklist and an item
  and saving it with a new note (each user owns one item, so nobody's save conflicts
  with another's);
- 30% citizens at the desk kiosk: open the form, take the minimum fill time to answer
  (SURVEY_KIOSK_MIN_SECONDS, 5 s), send it and see the thank-you page. Every answer is
  a new citizen.

The kiosk allows a few answers a minute per client address. Behind the reverse proxy
that address is the one the proxy puts in X-Real-IP (CLIENT_IP_HEADER=HTTP_X_REAL_IP,
as the README says to configure production), so each simulated citizen sends their own
address there, as the proxy would. The throttle stays as it is in production and is
measured along with the rest; it is not raised for the test.

Logins happen before the timed window (a password check costs about a second of CPU
by design and users log in once a day); each request's time is from sending it to the
last byte of the answer. Usage::

    make loadtest                           # 50 users, 60 s
    python -m tooling.loadtest --serve --users 50 --seconds 20
    python -m tooling.loadtest --base http://127.0.0.1:8000   # a portal already running
        # with the demo data (make demo) and CLIENT_IP_HEADER=HTTP_X_REAL_IP
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tooling import stack

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEMO_PASSWORD = "demo-pass-2023"  # noqa: S105 (the README's demo accounts)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_USERS, MAX_SECONDS = 200, 600  # bounded: this is a test, not a flood
QUESTIONS = [f"Q{n}" for n in range(1, 12)]

# --- One simulated user's HTTP connection ---------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Session:
    """A browser-like HTTP/1.1 client: one keep-alive connection, cookies, CSRF.

    It speaks to the portal as the TLS-terminating proxy would pass a request on
    (X-Forwarded-Proto: https, X-Real-IP: the client's address); loopback only.
    """

    def __init__(self, base: str, *, client_ip: str = "127.0.0.1", timeout: float = 30.0):
        parts = urllib.parse.urlsplit(base)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK:
            raise ValueError(f"{base}: the load test only talks to http://127.0.0.1:PORT")
        self.netloc = parts.netloc
        self.host, self.port = parts.hostname, parts.port or 80
        self.origin = f"https://{parts.netloc}"
        self.client_ip = client_ip
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method: str, path: str, *, body: bytes | None = None, headers=None):
        send = {
            "Host": self.netloc,
            "X-Forwarded-Proto": "https",
            "X-Real-IP": self.client_ip,
            "Accept-Language": "vi",
            "User-Agent": "friendlygov-loadtest",
            **(headers or {}),
        }
        if self.cookies:
            send["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            send.update(Origin=self.origin, Referer=self.origin + path)
            send["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
        started = time.perf_counter()
        try:
            self._connection.request(method, path, body=body, headers=send)
            answer = self._connection.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        seconds = time.perf_counter() - started
        for line in answer.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = line.partition(";")
            name, _, value = pair.partition("=")
            if "max-age=0" in attributes.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()
        if answer.will_close:  # gunicorn's sync workers close after each answer
            self.close()
        return Response(answer.status, answer.headers, data, seconds)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: dict, files=()) -> Response:
        """POST a form; ``files`` are (field, filename, bytes, content type) tuples."""
        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **fields}
        if files:
            boundary = uuid.uuid4().hex
            body = multipart(fields, files, boundary)
            kind = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(fields).encode()
            kind = "application/x-www-form-urlencoded"
        return self.request("POST", path, body=body, headers={"Content-Type": kind})

    def login(self, username: str, password: str = DEMO_PASSWORD) -> Response:
        self.get("/accounts/login/")
        return self.post("/accounts/login/", {"username": username, "password": password})


def multipart(fields: dict, files, boundary: str) -> bytes:
    out = []
    for name, value in fields.items():
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, filename, data, content_type in files:
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def hidden_value(html: str, name: str) -> str | None:
    """The value of the form field ``name`` in a page (the evidence version, the stamp)."""
    for tag in re.findall(r"<input[^>]*>", html):
        if re.search(rf'name="{re.escape(name)}"', tag):
            found = re.search(r'value="([^"]*)"', tag)
            return found.group(1) if found else ""
    return None


# --- Recording -------------------------------------------------------------------------------


class Failure(Exception):
    """A user got something other than what they expect."""


@dataclass
class Recorder:
    times: dict = field(default_factory=lambda: defaultdict(list))
    errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expect(self, what: str, response: Response, status: int, *, location=None) -> Response:
        """Record one request; raise Failure unless it answered ``status`` (and
        redirected to a URL starting with ``location``)."""
        ok = response.status == status and (
            location is None or response.location.startswith(location)
        )
        with self.lock:
            self.times[what].append(response.seconds)
        if not ok:
            raise Failure(
                f"{what}: {response.status} {response.location} (expected {status} "
                f"{location or ''}) {response.text[:200]!r}"
            )
        return response

    def error(self, who: str, message: str):
        with self.lock:
            self.errors.append(f"{who}: {message}")


def percentile(values, fraction) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- The users -------------------------------------------------------------------------------


@dataclass
class Plan:
    """What the users work on, read from the portal's database before the run."""

    year: int  # the checklist year the staff save (one nobody has approved yet)
    items: list  # [(username, commune code, criterion code, measured?)], one per staff user
    districts: list
    communes: list
    kiosk_tokens: list


class User:
    kind = "user"

    def __init__(self, base, plan: Plan, recorder: Recorder, rng: random.Random, number: int):
        self.base, self.plan, self.recorder, self.rng = base, plan, recorder, rng
        self.number = number
        self.session = Session(base, client_ip=f"10.8.{number // 250}.{number % 250 + 1}")

    def log_in(self):
        pass

    def step(self, deadline: float):
        raise NotImplementedError


class ProvinceReader(User):
    kind = "dashboards"

    def log_in(self):
        self.recorder.expect("login", self.session.login("tinh"), 302, location="/")

    def step(self, deadline):
        rng, plan = self.rng, self.plan
        path, what = rng.choice(
            [
                ("/", "dashboard: province"),
                (f"/?year={rng.choice([2023, 2024, 2025])}", "dashboard: province"),
                (f"/districts/{rng.choice(plan.districts)}/", "dashboard: district"),
                (f"/communes/{rng.choice(plan.communes)}/", "commune page"),
                (f"/api/v1/progress?year={rng.choice([2023, 2024, 2025])}", "api: progress"),
                ("/practices/", "good practices"),
            ]
        )
        self.recorder.expect(what, self.session.get(path), 200)


class ChecklistEditor(User):
    kind = "checklist saves"

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.username, self.commune, self.criterion, self.measured = item
        self.saves = 0

    def log_in(self):
        self.recorder.expect("login", self.session.login(self.username), 302)

    def step(self, deadline):
        year = self.plan.year
        checklist = f"/communes/{self.commune}/checklist/{year}/"
        item = f"{checklist}{self.criterion}/"
        self.recorder.expect("checklist page", self.session.get(checklist), 200)
        page = self.recorder.expect("evidence page", self.session.get(item), 200)
        version = hidden_value(page.text, "version")
        if version is None:
            raise Failure(f"{item}: no evidence form (is the item still editable?)")
        self.saves += 1
        fields = {
            "version": version,
            "note": f"Lần lưu {self.saves} của người dùng thử tải số {self.number}.",
            "action": "save",
        }
        if self.measured:
            fields["value"] = f"{self.rng.randint(90, 99)},5"  # a percentage, written 97,5
        saved = self.session.post(item, fields)
        self.recorder.expect("evidence save", saved, 302, location=item)


class KioskCitizen(User):
    kind = "kiosk answers"
    fill_seconds = 5.0  # SURVEY_KIOSK_MIN_SECONDS (--kiosk-fill): a person takes that long

    citizens = 0
    citizens_lock = threading.Lock()

    def new_citizen(self) -> Session:
        with KioskCitizen.citizens_lock:
            KioskCitizen.citizens += 1
            n = KioskCitizen.citizens
        self.session.close()
        self.session = Session(self.base, client_ip=f"172.16.{n // 250 % 250}.{n % 250 + 1}")
        return self.session

    def step(self, deadline):
        if time.monotonic() + self.fill_seconds + 1 > deadline:
            time.sleep(max(0.0, deadline - time.monotonic()))
            return
        session = self.new_citizen()
        form = f"/s/{self.rng.choice(self.plan.kiosk_tokens)}/"
        page = self.recorder.expect("kiosk form", session.get(form), 200)
        stamp = hidden_value(page.text, "stamp")
        if not stamp:
            raise Failure(f"{form}: no stamp in the form")
        time.sleep(self.fill_seconds + self.rng.uniform(0.2, 2.0))  # reading and tapping
        satisfied = self.rng.random() < 0.9
        answers = {q: str(self.rng.choice([4, 5] if satisfied else [1, 2, 3])) for q in QUESTIONS}
        answers.update(stamp=stamp, website="", send="Gửi đánh giá")
        sent = session.post(form, answers)
        self.recorder.expect("kiosk answer", sent, 302, location=f"{form}cam-on/")
        self.recorder.expect("kiosk thank-you", session.get(sent.location), 200)


def make_users(count: int, base: str, plan: Plan, recorder: Recorder, seed: int) -> list[User]:
    readers = round(count * 0.3)
    citizens = round(count * 0.3)
    editors = count - readers - citizens
    if editors > len(plan.items):
        raise SystemExit(f"{editors} checklist users but only {len(plan.items)} editable items")
    users: list[User] = []
    for n in range(count):
        rng = random.Random(seed * 1000 + n)
        if n < readers:
            users.append(ProvinceReader(base, plan, recorder, rng, n))
        elif n < readers + editors:
            item = plan.items[n - readers]
            users.append(ChecklistEditor(base, plan, recorder, rng, n, item=item))
        else:
            users.append(KioskCitizen(base, plan, recorder, rng, n))
    return users


def run_users(users: list[User], seconds: float, think: float, recorder: Recorder) -> dict:
    """Log every user in, then let them work for ``seconds``; return timings of the run."""
    started = time.monotonic()

    def log_in(user: User):
        try:
            user.log_in()
        except (Failure, OSError, http.client.HTTPException) as exc:
            recorder.error(f"{user.kind} #{user.number}", f"login: {exc}")

    threads = [threading.Thread(target=log_in, args=(u,), daemon=True) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    logged_in = time.monotonic() - started
    if recorder.errors:
        return {"login_seconds": logged_in, "seconds": 0.0}

    loads = []
    stop = threading.Event()

    def sample_load():
        while not stop.wait(2.0):
            loads.append(os.getloadavg()[0])

    deadline = time.monotonic() + seconds

    def work(user: User):
        time.sleep(user.rng.uniform(0, min(2.0, think * 2)))  # not all at the same instant
        while time.monotonic() < deadline:
            try:
                user.step(deadline)
            except (Failure, OSError, http.client.HTTPException) as exc:
                recorder.error(f"{user.kind} #{user.number}", str(exc) or repr(exc))
                user.session.close()
            if think and not isinstance(user, KioskCitizen):
                time.sleep(user.rng.uniform(0.5 * think, 1.5 * think))
        user.session.close()

    sampler = threading.Thread(target=sample_load, daemon=True)
    sampler.start()
    began = time.monotonic()
    threads = [threading.Thread(target=work, args=(u,), daemon=True) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    ran = time.monotonic() - began
    stop.set()
    return {"login_seconds": logged_in, "seconds": ran, "load": loads}


# --- Report ----------------------------------------------------------------------------------


def summary(recorder: Recorder, timing: dict, users: list[User], args) -> dict:
    rows = []
    everything = []
    for what, times in sorted(recorder.times.items()):
        if what == "login":
            continue
        everything += times
        rows.append(row(what, times))
    loads = timing.get("load") or [os.getloadavg()[0]]
    mix = defaultdict(int)
    for user in users:
        mix[user.kind] += 1
    return {
        "users": len(users),
        "mix": dict(mix),
        "seconds": round(timing["seconds"], 1),
        "think_seconds": args.think,
        "requests": len(everything),
        "requests_per_second": round(len(everything) / timing["seconds"], 1)
        if timing["seconds"]
        else 0,
        "errors": len(recorder.errors),
        "error_samples": recorder.errors[:20],
        "overall": row("all requests", everything) if everything else None,
        "by_request": rows,
        "logins": row("login", recorder.times.get("login", [0.0])),
        "login_seconds": round(timing["login_seconds"], 1),
        "load_average": {
            "min": round(min(loads), 2),
            "mean": round(statistics.fmean(loads), 2),
            "max": round(max(loads), 2),
        },
        "cpus": os.cpu_count(),
    }


def row(what, times) -> dict:
    ms = [t * 1000 for t in times]
    return {
        "request": what,
        "count": len(ms),
        "p50_ms": round(percentile(ms, 0.50)),
        "p95_ms": round(percentile(ms, 0.95)),
        "p99_ms": round(percentile(ms, 0.99)),
        "max_ms": round(max(ms)),
    }


def markdown(result: dict) -> str:
    lines = [
        f"{result['users']} users ({', '.join(f'{n} {k}' for k, n in result['mix'].items())}) "
        f"for {result['seconds']} s, think time {result['think_seconds']} s: "
        f"**{result['requests']} requests, {result['requests_per_second']}/s, "
        f"{result['errors']} errors**; load average during the run "
        f"{result['load_average']['min']}–{result['load_average']['max']} "
        f"(mean {result['load_average']['mean']}) on {result['cpus']} CPUs.",
        "",
        "CPU time used during the run: "
        + ", ".join(f"{k} {v} s" for k, v in result.get("cpu_seconds", {}).items())
        + (
            f" (the machine {result['machine_busy_percent']}% busy)."
            if "machine_busy_percent" in result
            else "."
        ),
        "",
        "| request | count | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in [*result["by_request"], result["overall"]]:
        if r:
            lines.append(
                f"| {r['request']} | {r['count']} | {r['p50_ms']} | {r['p95_ms']} | "
                f"{r['p99_ms']} | {r['max_ms']} |"
            )
    return "\n".join(lines)


# --- A production-like stack on this machine (--serve) ---------------------------------------


class Stack:
    """The production-like stack of ``tooling.stack``: a private PostgreSQL and Redis, a
    Celery worker and gunicorn, with the demo data; all removed by ``stop()``."""

    def __init__(self, *, web_workers: int, keep: bool):
        self.web_workers = web_workers
        self.keep = keep
        self.folder = Path(tempfile.mkdtemp(prefix="fg-loadtest-"))
        self.servers = contextlib.ExitStack()
        self.postgres = self.servers.enter_context(stack.private_postgres_server())
        self.redis = self.servers.enter_context(stack.private_redis_server())
        self.env = stack.production_env(
            **stack.static_settings(self.folder),
            DATABASE_URL=self.postgres.createdb("friendlygov_loadtest"),
            CELERY_BROKER_URL=self.redis.url(0),
            MEDIA_ROOT=str(self.folder / "media"),
            CLIENT_IP_HEADER="HTTP_X_REAL_IP",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        self.base = ""
        self.web_log: Path | None = None
        self.pids: dict[str, int] = {}

    def manage(self, *args, debug=False) -> str:
        env = {**self.env, "DEBUG": "1"} if debug else self.env
        return stack.manage(*args, env=env, timeout=900).stdout

    def prepare(self):
        say("migrate, real units, demo data, statuses, collectstatic")
        self.manage("migrate", "--noinput")
        self.manage("load_units")
        self.manage("seed_demo", debug=True)  # refused with DEBUG off, by design
        self.manage("recompute_certifications")
        self.manage("collectstatic", "--noinput")

    def plan(self) -> Plan:
        return read_plan(self.env)

    def start(self):
        worker = self.servers.enter_context(
            stack.celery_worker(self.env, concurrency=1, log_folder=self.folder)
        )
        self.base, self.web_log, web = self.servers.enter_context(
            stack.gunicorn(
                self.env,
                workers=self.web_workers,
                access_log=str(self.folder / "access.log"),
            )
        )
        self.pids = {"gunicorn workers": web.pid, "celery worker": worker.process.pid}

    def cpu_seconds(self) -> dict:
        return {name: tree_cpu_seconds(pid) or 0.0 for name, pid in self.pids.items()}

    def backlog(self) -> int:
        """Recompute requests still waiting (the worker keeps up when this reaches 0)."""
        count = "from targets.models import PendingRecompute as P; print(P.objects.count())"
        out = self.manage("shell", "-c", count)
        return int(out.strip().splitlines()[-1])

    def errors_logged(self) -> str:
        log = self.web_log.read_text(errors="replace") if self.web_log else ""
        bad = [line for line in log.splitlines() if "Error" in line or "Traceback" in line]
        return "\n".join(bad)

    def stop(self):
        self.servers.close()
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            say(f"logs kept in {self.folder}")


def read_plan(env: dict) -> Plan:
    """What the users work on, from the portal's database (tooling/loadtest_plan.py)."""
    script = (ROOT / "tooling" / "loadtest_plan.py").read_text()
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode:
        raise SystemExit(f"reading the plan failed:\n{result.stderr}")
    return Plan(**json.loads(result.stdout.strip().splitlines()[-1]))


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by ``pid`` and its live children (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    if pid not in stats:
        return None
    tree, total = {pid}, 0.0
    for _ in range(3):  # gunicorn master -> workers; celery main -> pool
        tree |= {p for p, (parent, _cpu) in stats.items() if parent in tree}
    for p in tree:
        total += stats[p][1]
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all processes (Linux)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def say(message: str):
    print(f"[loadtest] {message}", flush=True)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--serve", action="store_true", help="start the stack here (make loadtest)")
    target.add_argument("--base", help="a portal already running, e.g. http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between pages (s)")
    parser.add_argument(
        "--kiosk-fill", type=float, default=5.0, help="the server's SURVEY_KIOSK_MIN_SECONDS"
    )
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--json", help="also write the result to this file")
    parser.add_argument("--keep", action="store_true", help="keep the logs")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS or not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"at most {MAX_USERS} users and {MAX_SECONDS} s")

    KioskCitizen.fill_seconds = args.kiosk_fill
    served = None
    try:
        if args.serve:
            served = Stack(web_workers=args.web_workers, keep=args.keep)
            served.prepare()
            plan = served.plan()
            served.start()
            base = served.base
            say(f"gunicorn ({args.web_workers} workers) and a Celery worker up at {base}")
        else:
            base = args.base
            plan = read_plan(dict(os.environ))  # the portal's own DATABASE_URL
        recorder = Recorder()
        users = make_users(args.users, base, plan, recorder, args.seed)
        say(f"before: {uptime()}")
        say(f"{len(users)} users for {args.seconds:g} s")
        cpu_before = served.cpu_seconds() if served else {}
        own_before = time.process_time()
        busy_before, total_before = machine_cpu()
        timing = run_users(users, args.seconds, args.think, recorder)
        say(f"after: {uptime()}")
        result = summary(recorder, timing, users, args)
        # CPU time each part used during the run (logins included): what a request costs.
        cpu = {k: v - cpu_before[k] for k, v in (served.cpu_seconds() if served else {}).items()}
        cpu["load generator"] = time.process_time() - own_before
        busy, total = machine_cpu()
        cpu["whole machine"] = busy - busy_before
        result["cpu_seconds"] = {k: round(v, 1) for k, v in cpu.items()}
        if total > total_before:
            result["machine_busy_percent"] = round(
                100 * cpu["whole machine"] / (total - total_before)
            )
        if served is not None:
            deadline = time.monotonic() + 60
            while (backlog := served.backlog()) and time.monotonic() < deadline:
                time.sleep(2)
            result["recompute_backlog_after"] = backlog
            result["server_errors_logged"] = served.errors_logged()[:2000]
            if result["server_errors_logged"]:
                result["errors"] += 1
        print(markdown(result))
        if result["errors"]:
            print("\nERRORS:\n" + "\n".join(result["error_samples"]))
            if result.get("server_errors_logged"):
                print(result["server_errors_logged"])
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
        return 1 if result["errors"] or not result["requests"] else 0
    finally:
        if served is not None:
            served.stop()


if __name__ == "__main__":
    sys.exit(main())
