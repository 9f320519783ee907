"""The one percentage of the portal: every page, export and the API show shares through it."""

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` out of ``whole`` in percent, rounded half up to one decimal; None when
    ``whole`` is 0.

    For display only: a rule never compares this rounded figure (84.99% shows as 85.0%
    and is still below an 85% threshold); it compares the exact counts.
    """
    if not whole:
        return None
    share = Decimal(part) * 100 / Decimal(whole)
    return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percent_below(part: int, whole: int, limit: Decimal) -> Decimal | None:
    """``percent``, for a share known to be below ``limit`` (a failed threshold): when its
    rounding would reach the limit, the share with two decimals instead (rounded down if
    even that reaches it), so that "84.99%, below 85%" is not read as "85%, below 85%"."""
    shown = percent(part, whole)
    if shown is None or shown < limit:
        return shown
    share = Decimal(part) * 100 / Decimal(whole)
    closer = share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return closer if closer < limit else share.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
