"""The one rule for a day people type or import: the programme's era, never the future.

Committee decisions, model launches, practice adoptions and imported answers are all
things that happened: a day before ``EARLIEST`` (the programme's records start in 2000)
or after today is a typing mistake (01/01/0001 would reach the Excel export as a
negative serial date).
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

EARLIEST = datetime.date(2000, 1, 1)


def past_date_problem(day: datetime.date) -> str | None:
    """Why ``day`` cannot be a day that happened in the programme, or None."""
    if day > timezone.localdate():
        return _("ngày %s chưa đến; hãy nhập ngày đã diễn ra") % day.strftime("%d/%m/%Y")
    if day < EARLIEST:
        return _("ngày %(day)s quá xa: chỉ nhận từ %(earliest)s") % {
            "day": day.strftime("%d/%m/%Y"),
            "earliest": EARLIEST.strftime("%d/%m/%Y"),
        }
    return None
