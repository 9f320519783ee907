"""Numbers that come from people: query parameters, form fields, cells of a file.

``str.isdigit()`` and ``int()`` take far more than 0-9 ("²" is a digit to one and not
to the other; "٢٠٢٤" is 2024 to both) and ``int()`` refuses more than 4,300 digits: every
numeric parameter is read here instead, as ASCII digits of bounded length within a range.
"""

import re

_DIGITS = re.compile(r"[0-9]{1,18}")


def ascii_int(raw, *, minimum: int, maximum: int) -> int | None:
    """``raw`` as an int when it is 1-18 ASCII digits (surrounding spaces allowed) within
    [minimum, maximum]; None otherwise, whatever ``raw`` is."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if not _DIGITS.fullmatch(text):
            return None
        value = int(text)
    else:
        return None
    return value if minimum <= value <= maximum else None


def year_param(raw, *, default: int | None = None, minimum: int = 2000, maximum: int = 2100):
    """A ``year`` query parameter: the year, or ``default`` when it is not one."""
    year = ascii_int(raw, minimum=minimum, maximum=maximum)
    return default if year is None else year
