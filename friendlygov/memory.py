"""Work on a whole file or country in one go, with Python's cycle collector paused."""

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (also as a decorator).

    A national survey file keeps hundreds of thousands of objects alive while it is read,
    checked and recomputed (what the reader has learnt of its cells, the counts per
    commune, the statuses' parts), and each collection the allocations trigger walks all
    of them again: 1.5 s of a 5.5 s import (BENCHMARKS.md, "Import, round five").
    Reference counting still frees every object as soon as it is no longer used; only
    reference cycles made meanwhile wait for the collector, which runs again at the end.
    Nested blocks leave it paused until the outermost one ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
