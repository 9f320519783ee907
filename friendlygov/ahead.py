"""Reads sent ahead on a second database connection while the caller goes on.

The national dashboard's first render runs its statements one after another on one
connection, so PostgreSQL works them on one core while the machine has more. A few of
them need nothing the others read (the evidence awaiting review, the chart's certified
counts per year, the communes closest to certification): ``start`` runs such reads, in
turn, on a thread of this process with its own connection, while the caller reads the
rest (BENCHMARKS.md, "Round twelve").

Only where a second connection sees what the caller sees: on PostgreSQL, outside a
transaction (a second connection would not see the caller's uncommitted rows; each test
runs in one), and while ``settings.READ_AHEAD`` is on. A caller in a transaction may read
ahead what it checks afterwards against its own view (``in_transaction``): the survey
importer reads the stored statuses while its file is still being written
(``targets.services.statuses_read_ahead``). Otherwise, and while the thread
reads for another request, each read runs in the caller's thread when it is asked for,
as it did before. One thread per process, made after a fork (a gunicorn or Celery
worker), never inherited from the parent. Its connection is kept between reads as Django
keeps a request's (``CONN_MAX_AGE``, checked before use): opening one took the national
view's first render 10-15 ms, a third of its margin (BENCHMARKS.md, "Round fourteen").
``close`` closes it (a test's database can be dropped only once it is).
"""

import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import translation

logger = logging.getLogger(__name__)

_lock = threading.Lock()
# The thread's pool and the process that made it; a free slot for one read at a time.
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_free = threading.Semaphore(1)


def available(*, in_transaction: bool = False) -> bool:
    """Whether a read may go on a second connection now (see the module's docstring);
    ``in_transaction``: also inside one, for a caller that checks what it read."""
    return (
        getattr(settings, "READ_AHEAD", False)
        and connection.vendor == "postgresql"
        and (in_transaction or not connection.in_atomic_block)
    )


def _executor() -> ThreadPoolExecutor:
    global _pool, _pool_pid, _free
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            # A forked child has the parent's pool but not its thread: a pool of its own.
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
            _pool_pid = os.getpid()
            _free = threading.Semaphore(1)
        return _pool


def _run(
    reads: Sequence[Callable[[], Any]],
    futures: Sequence[Future],
    language: str | None,
    free: threading.Semaphore,
) -> None:
    try:
        # Kept from the reads before unless broken or older than CONN_MAX_AGE (as at the
        # start of a request), and then checked before its first use.
        connection.close_if_unusable_or_obsolete()
        with translation.override(language):
            for read, future in zip(reads, futures, strict=True):
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(read())
                except BaseException as exc:  # noqa: BLE001  # given to the caller
                    future.set_exception(exc)
    finally:
        # As at the end of a request: kept for the next reads, unless broken or too old.
        connection.close_if_unusable_or_obsolete()
        free.release()


def close() -> None:
    """Close the thread's connection, if it has one, once its reads are done; waits."""
    with _lock:
        pool = _pool if _pool_pid == os.getpid() else None
    if pool is None:
        return
    try:
        # ``connection`` looked up on the thread, where it is the thread's own.
        pool.submit(lambda: connection.close()).result()
    except RuntimeError:  # the interpreter is shutting down
        pass


def _result(future: Future, read: Callable[[], Any]) -> Any:
    """What ``read`` gave on the thread; if it failed there (no second connection to be
    had, say, when PostgreSQL has no free one), ``read`` again in the caller's thread,
    which gives the result, or the error, that one connection would have given."""
    try:
        return future.result()
    except Exception:
        logger.warning("A read ahead failed on its own connection; read again", exc_info=True)
        return read()


def start(*reads: Callable[[], Any], in_transaction: bool = False) -> list[Callable[[], Any]]:
    """Begin ``reads``, in their order, on the second connection when ``available``
    (``in_transaction`` as there); returns, for each, what gives its result (waiting for
    that read alone; run again by the caller if it failed there). When not available, or
    while the thread reads for another request, each is the read itself, run by its
    caller when it asks."""
    if not available(in_transaction=in_transaction):
        return list(reads)
    pool = _executor()
    free = _free
    if not free.acquire(blocking=False):
        return list(reads)
    futures: list[Future] = [Future() for _read in reads]
    try:
        pool.submit(_run, reads, futures, translation.get_language(), free)
    except RuntimeError:  # the interpreter is shutting down
        free.release()
        return list(reads)
    return [partial(_result, future, read) for future, read in zip(futures, reads, strict=True)]
