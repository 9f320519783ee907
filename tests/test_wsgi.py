"""The WSGI module gunicorn's workers load."""

import subprocess
import sys

from django.conf import settings


def test_a_worker_keeps_what_start_up_made_out_of_full_garbage_collections():
    """``friendlygov.wsgi`` freezes the objects of start-up (``gc.freeze``): a full
    collection no longer walks them, so no request meets a pause of 80-100 ms."""
    code = (
        "import gc; import friendlygov.wsgi as w; "
        "assert callable(w.application); print(gc.get_freeze_count())"
    )
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed program)
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert int(result.stdout.strip().splitlines()[-1]) > 10_000
