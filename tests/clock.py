"""A fixed today for the tests whose outcome depends on the date.

The portal reads the day in Vietnam (``timezone.localdate()``): the current programme
year, whether a checklist is still open, how many days are left. A test that builds on
"today" runs on a day it chooses, so that it passes the same after a deadline of the
demo (15/12), on 1 January when a year is not yet a programme year, and across midnight
in Hanoi (17:00 UTC) while a slow suite runs.

    with today_is(datetime.date(2026, 11, 20)):
        ...

or, for every test of a module, ``frozen_today = today_fixture(TODAY)`` at its top.
"""

import datetime
import zoneinfo

import pytest
import time_machine

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def today_is(day: datetime.date, *, hour: int = 10) -> time_machine.travel:
    """The clock at ``hour`` o'clock in Hanoi on ``day``; it keeps ticking from there (the
    order of timestamps written in a test stays the order they were written in)."""
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(hour), HANOI))


def today_fixture(day: datetime.date):
    """An autouse fixture that runs each test of the module on ``day``."""

    @pytest.fixture(autouse=True)
    def frozen_today():
        with today_is(day):
            yield day

    return frozen_today
