"""The dashboard tables format their numbers once per table, as Django formats them."""

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.utils import formats, translation

from targets.templatetags.dashboard import _Numbers

INTEGERS = [0, 7, 999, 1000, 12_345, 1_234_567_000, -4_500]
TENTHS = [Decimal("0"), Decimal("63.25"), Decimal("63.24"), Decimal("100.00"), Decimal("5"),
          Decimal("0.05"), 30, Decimal("1234.5")]  # fmt: skip


@pytest.mark.parametrize("language", ["vi", "en"])
def test_integers_read_as_django_localizes_them(language):
    with translation.override(language):
        numbers = _Numbers()
        assert [numbers.integer(n) for n in INTEGERS] == [formats.localize(n) for n in INTEGERS]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_shares_read_as_floatformat_writes_them(language):
    with translation.override(language):
        numbers = _Numbers()
        assert [numbers.tenths(n) for n in TENTHS] == [floatformat(n, 1) for n in TENTHS]


def test_vietnamese_numbers_group_thousands_with_dots_and_decimals_with_commas():
    with translation.override("vi"):
        numbers = _Numbers()
        assert numbers.integer(1_234_567) == "1.234.567"
        assert numbers.tenths(Decimal("63.25")) == "63,3"
