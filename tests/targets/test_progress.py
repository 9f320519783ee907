"""The province and district figures: certified share, target and the gap to it."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from communes.models import Commune, District, ProgrammeYear
from targets import selectors
from targets.models import CertificationStatus, Status, YearTarget
from targets.selectors import Progress, progress_by_district

# total, certified, target %, communes needed = ceil(target% x total), gap, percent certified
GAPS = [
    (209, 0, "30", 63, 63, 0.0),  # 62.7 communes round up to 63
    (209, 62, "30", 63, 1, 29.7),
    (209, 63, "30", 63, 0, 30.1),
    (209, 70, "30", 63, 0, 33.5),  # past the target: no negative gap
    (209, 125, "60", 126, 1, 59.8),  # 125.4 -> 126
    (209, 208, "100", 209, 1, 99.5),
    (25, 7, "30", 8, 1, 28.0),  # Lục Nam: 7.5 -> 8
    (25, 15, "60", 15, 0, 60.0),  # exactly 15, no rounding up
    (10, 0, "30", 3, 3, 0.0),  # exact decimal arithmetic: 3, not 3.0000000004 -> 4
    (3, 0, "33.33", 1, 1, 0.0),
    (0, 0, "60", 0, 0, 0.0),  # a district without communes
    (12, 5, "0", 0, 0, 41.7),
]


@pytest.mark.parametrize("total, certified, target, needed, gap, percent", GAPS)
def test_the_gap_is_the_communes_still_needed_to_reach_the_target(
    total, certified, target, needed, gap, percent
):
    progress = Progress(total=total, certified=certified, target_percent=Decimal(target))
    assert (progress.needed, progress.gap) == (needed, gap)
    assert progress.as_dict() == {
        "total": total,
        "certified": certified,
        "percent": percent,
        "target_percent": float(Decimal(target)),
        "gap": gap,
    }


@pytest.mark.django_db
def test_district_figures_use_their_own_target_when_they_have_one(luc_nam):
    YearTarget.objects.create(year=2024, percent=60)
    YearTarget.objects.create(year=2024, district=luc_nam, percent=80)
    now = timezone.now()
    certified = list(Commune.objects.filter(district=luc_nam).order_by("code")[:5])
    CertificationStatus.objects.bulk_create(
        CertificationStatus(
            commune=c, year=2024, status=Status.CERTIFIED, computed_at=now, changed_at=now
        )
        for c in certified
    )
    overall, districts = progress_by_district(year=2024)
    lucnam = next(d for d in districts if d.code == "218")
    assert (lucnam.progress.total, lucnam.progress.certified) == (25, 5)
    assert lucnam.progress.gap == 15  # 80% of 25 = 20 needed
    other = next(d for d in districts if d.code == "213")
    assert other.progress.target_percent == Decimal(60)
    assert (overall.total, overall.certified, overall.gap) == (209, 5, 121)
    assert len(districts) == District.objects.count()


@pytest.mark.django_db
def test_the_years_read_once_for_a_page_give_the_targets_each_reader_reads_alone(
    luc_nam, django_assert_num_queries
):
    """A dashboard reads the years' reference dates and targets once for its figures and
    its chart (``year_settings``): the same targets and dates as each reads alone."""
    YearTarget.objects.update_or_create(year=2024, district=None, defaults={"percent": 60})
    YearTarget.objects.update_or_create(year=2025, district=None, defaults={"percent": 100})
    YearTarget.objects.create(year=2024, district=luc_nam, percent=80)
    ProgrammeYear.objects.update_or_create(year=2025, defaults={"reference_date": date(2025, 7, 1)})
    years = [2023, 2024, 2025]
    with django_assert_num_queries(2):
        settings = selectors.year_settings(years)

    with django_assert_num_queries(0):
        read_once = [selectors.target_percents(year=y, settings=settings) for y in years]
    assert read_once == [selectors.target_percents(year=y) for y in years]
    assert read_once[1] == (Decimal(60), {luc_nam.pk: Decimal(80)})
    for district in (None, luc_nam):
        shares = selectors.share_by_year(
            communes=Commune.objects.all(), district=district, years=years, settings=settings
        )
        assert shares == selectors.share_by_year(
            communes=Commune.objects.all(), district=district, years=years
        )
        assert shares[1].target_percent == (80 if district else 60)
    assert settings.dates[2025] == date(2025, 7, 1)
