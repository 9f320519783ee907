"""When each province's statuses of a year were last computed (``ComputedProvince``): the
dashboards' and the public page's cache keys.

Every writer of statuses moves the stamps of the provinces of the communes it wrote, in
its transaction; the readers take the latest of them instead of the latest ``computed_at``
of the statuses, which needed an index that every recompute of a status rewrote. They must
read what the statuses say, and a province's key must move with its own statuses only.
"""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.db.models import F, Max
from django.utils import timezone

from communes.models import Commune, District, ProgrammeYear, Province, province_and_merged
from surveys.models import SurveyYear
from targets import dashboards, selectors, services, tables
from targets.models import (
    CertificationStatus,
    ComputedProvince,
    PendingRecompute,
)
from tests.conftest import commune_on, skip_or_fail
from tests.targets.dashboard_data import give_status

pytestmark = pytest.mark.django_db

D2024 = datetime.date(2024, 6, 1)
D2026 = datetime.date(2026, 3, 1)


def stamp(year, province_id):
    return (
        ComputedProvince.objects.filter(year=year, province_id=province_id)
        .values_list("computed_at", flat=True)
        .first()
    )


def computed_at(commune, year=2023):
    return CertificationStatus.objects.get(commune=commune, year=year).computed_at


def from_statuses(year, province_ids=None):
    """What the pages read before the stamps: the latest ``computed_at`` of the statuses
    (of the communes of ``province_ids``), or the year's last run if later."""
    statuses = CertificationStatus.objects.filter(year=year)
    if province_ids is not None:
        statuses = statuses.filter(commune__province_id__in=province_ids)
    return statuses.aggregate(at=selectors.last_computation(Max("computed_at"), year=year))["at"]


def assert_readers_read_what_the_statuses_say():
    for year in ProgrammeYear.objects.values_list("year", flat=True):
        assert selectors.last_computed_at(year=year) == from_statuses(year)
        provinces = set(
            CertificationStatus.objects.filter(year=year).values_list(
                "commune__province_id", flat=True
            )
        )
        by_province = dashboards.computed_at_by_province(year=year, province_ids=provinces)
        for pk in provinces:
            merged = province_and_merged(pk)
            assert selectors.last_computed_at(year=year, province_id=pk) == from_statuses(
                year, merged
            )
            assert by_province[pk] == from_statuses(year, merged)
    years, last = selectors.years_and_last_computations()
    assert last == {year: from_statuses(year) for year in years}


def dashboard_key(province_id, year=2023):
    """The key of the province's dashboard as its view reads it."""
    return dashboards.parts_key(
        scope=dashboards.province_scope(province_id),
        year=year,
        computed_at=selectors.last_computed_at(year=year, province_id=province_id),
        sort=tables.district_sort(None),
        group_by=selectors.GROUPINGS[0],
    )


@pytest.fixture
def elsewhere(db):
    """A commune of a second province."""
    province = Province.objects.create(code="99", name="Tỉnh Thử", kind="tỉnh")
    district = District.objects.create(
        code="999", name="Huyện Thử", kind="huyện", province=province
    )
    return Commune.objects.create(
        code="99999", name="Xã Thử", kind="xã", province=province, district=district
    )


@pytest.fixture
def computed(make_ready, doi_ngo, le_loi, elsewhere):
    """Đồi Ngô and Lê Lợi ready, every status of 2023 computed, in both provinces."""
    make_ready([doi_ngo])
    make_ready([le_loi], skip=("TC-D2",))
    services.statuses_recompute(year=2023)
    # Nothing left for the survey-only path to hand to a whole evaluation.
    PendingRecompute.objects.all().delete()


def test_a_first_run_stamps_every_province_at_its_statuses_latest_computation(
    computed, doi_ngo, elsewhere
):
    for province_id in (doi_ngo.province_id, elsewhere.province_id):
        latest = CertificationStatus.objects.filter(
            year=2023, commune__province_id=province_id
        ).aggregate(at=Max("computed_at"))["at"]
        assert stamp(2023, province_id) == latest
    assert stamp(2024, doi_ngo.province_id) is None  # that year was not computed
    assert_readers_read_what_the_statuses_say()


def test_a_run_of_every_commune_moves_the_stamps_or_the_years_time(computed, doi_ngo):
    before = selectors.last_computed_at(year=2023, province_id=doi_ngo.province_id)

    services.statuses_recompute(year=2023)

    # SQLite writes each status's time; PostgreSQL moves the year's (ComputedYear) for
    # the statuses whose facts did not move: the pages show the later of the two.
    assert selectors.last_computed_at(year=2023, province_id=doi_ngo.province_id) > before
    assert_readers_read_what_the_statuses_say()


def test_a_run_of_some_communes_moves_only_their_provinces_stamps(computed, doi_ngo, elsewhere):
    theirs = stamp(2023, elsewhere.province_id)
    ours, their_key = dashboard_key(doi_ngo.province_id), dashboard_key(elsewhere.province_id)

    services.statuses_recompute(year=2023, commune_ids=[doi_ngo.pk])

    assert stamp(2023, doi_ngo.province_id) == computed_at(doi_ngo)
    assert stamp(2023, elsewhere.province_id) == theirs
    # The province's dashboard is rendered again; the other province's is still current.
    assert dashboard_key(doi_ngo.province_id) != ours
    assert dashboard_key(elsewhere.province_id) == their_key
    assert_readers_read_what_the_statuses_say()


def test_a_recompute_in_another_province_leaves_a_provinces_key_as_it_was(
    computed, doi_ngo, elsewhere
):
    ours = dashboard_key(doi_ngo.province_id)
    national = selectors.last_computed_at(year=2023)

    services.statuses_recompute(year=2023, commune_ids=[elsewhere.pk])

    assert dashboard_key(doi_ngo.province_id) == ours
    assert selectors.last_computed_at(year=2023) > national  # the country's moved
    by_province = dashboards.computed_at_by_province(
        year=2023, province_ids=[elsewhere.province_id]
    )
    assert by_province[elsewhere.province_id] == computed_at(elsewhere)
    assert_readers_read_what_the_statuses_say()


def test_a_change_of_survey_counts_alone_moves_its_provinces_stamp(computed, doi_ngo, elsewhere):
    theirs = stamp(2023, elsewhere.province_id)
    ours = dashboard_key(doi_ngo.province_id)
    SurveyYear.objects.filter(commune=doi_ngo, year=2023).update(
        responses=F("responses") + 10, satisfied=F("satisfied") + 10
    )

    with mock.patch.object(services, "_recompute_year", wraps=services._recompute_year) as whole:
        services.statuses_after_surveys(pairs=[(doi_ngo.pk, 2023)])

    whole.assert_not_called()  # composed from the stored part: the survey-only path
    status = CertificationStatus.objects.get(commune=doi_ngo, year=2023)
    assert status.survey_responses == 50
    assert stamp(2023, doi_ngo.province_id) == status.computed_at
    assert stamp(2023, elsewhere.province_id) == theirs
    assert dashboard_key(doi_ngo.province_id) != ours
    assert_readers_read_what_the_statuses_say()


def test_counts_that_did_not_move_move_the_stamp_as_they_move_the_time(computed, le_loi):
    before = stamp(2023, le_loi.province_id)

    services.statuses_after_surveys(pairs=[(le_loi.pk, 2023)])

    assert stamp(2023, le_loi.province_id) == computed_at(le_loi) > before
    assert_readers_read_what_the_statuses_say()


def test_a_status_deleted_by_a_recompute_moves_its_provinces_stamp(years):
    le_loi = commune_on(D2024, "7219")  # not in force in 2025
    give_status(le_loi, 2025)  # as a portal that knew only the 2023 units computed it
    before = selectors.last_computed_at(year=2025, province_id=le_loi.province_id)

    services.statuses_recompute(year=2025, commune_ids=[le_loi.pk])

    assert not CertificationStatus.objects.filter(commune=le_loi, year=2025).exists()
    # Its figures left the province's dashboard: its key moves (with the statuses' times
    # alone it would have moved back, or stayed).
    assert selectors.last_computed_at(year=2025, province_id=le_loi.province_id) > before


def test_a_run_of_every_commune_stamps_the_provinces_of_the_statuses_it_deletes(years):
    le_loi = commune_on(D2024, "7219")
    give_status(le_loi, 2025)
    stamped = []
    original = services._provinces_stamp

    def spy(year, commune_ids, at):
        commune_ids = list(commune_ids)
        stamped.append((year, commune_ids))
        original(year, commune_ids, at)

    with mock.patch.object(services, "_provinces_stamp", spy):
        services.statuses_recompute(year=2025)

    assert not CertificationStatus.objects.filter(commune=le_loi, year=2025).exists()
    assert any(year == 2025 and le_loi.pk in ids for year, ids in stamped)


def test_a_province_reads_the_stamps_of_the_provinces_merged_into_it(years):
    services.statuses_recompute()
    bac_ninh = Province.objects.in_force(on=D2026).get(code="24")
    le_loi = commune_on(D2024, "7219")
    assert le_loi.province_id != bac_ninh.pk
    assert le_loi.province_id in province_and_merged(bac_ninh.pk)
    before = selectors.last_computed_at(year=2023, province_id=bac_ninh.pk)

    services.statuses_recompute(year=2023, commune_ids=[le_loi.pk])

    # Today's Tỉnh Bắc Ninh shows 2023 on Tỉnh Bắc Giang's communes: its key moves.
    after = selectors.last_computed_at(year=2023, province_id=bac_ninh.pk)
    assert after == computed_at(le_loi) > before
    # And the view rendered ahead for it is keyed as its page asks.
    ahead = dashboards.computed_at_by_province(year=2023, province_ids=[bac_ninh.pk])
    assert ahead == {bac_ninh.pk: after}
    assert_readers_read_what_the_statuses_say()


def test_a_province_without_a_computed_status_has_no_last_computation(computed, elsewhere):
    assert selectors.last_computed_at(year=2024) is None
    assert selectors.last_computed_at(year=2024, province_id=elsewhere.province_id) is None
    assert dashboards.computed_at_by_province(year=2024, province_ids=[elsewhere.province_id]) == {
        elsewhere.province_id: None
    }


def status_updates() -> tuple[int, int]:
    """How many statuses this transaction has updated, and how many of them in place (HOT:
    on the same page, no index written)."""
    table = CertificationStatus._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass), "
            "pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [table, table],
        )
        return cursor.fetchone()


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_an_imports_update_of_the_statuses_is_made_in_place(computed, doi_ngo, le_loi):
    """Without an index on computed_at, and with room on the statuses' pages (fillfactor
    50, targets 0015), rewriting a status's survey figures and time leaves its indexes
    alone (a HOT update), unless its status changed."""
    if connection.vendor != "postgresql":
        skip_or_fail("HOT updates are PostgreSQL's")
    table = CertificationStatus._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        assert cursor.fetchone()[0] == ["fillfactor=50"]
    SurveyYear.objects.filter(commune__in=[doi_ngo, le_loi], year=2023).update(
        responses=F("responses") + 10, satisfied=F("satisfied") + 10
    )
    statuses = dict(
        CertificationStatus.objects.filter(year=2023).values_list("commune_id", "status")
    )

    updated, hot = status_updates()
    services.statuses_after_surveys(pairs=[(doi_ngo.pk, 2023), (le_loi.pk, 2023)])
    updated_after, hot_after = status_updates()

    now = dict(CertificationStatus.objects.filter(year=2023).values_list("commune_id", "status"))
    assert now == statuses  # the same statuses: no indexed column changed
    assert updated_after - updated == 2
    assert hot_after - hot == 2


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_an_import_of_every_commune_of_a_year_updates_every_status_in_place(computed):
    """A year's statuses, computed together, fill pages of their own; a national import
    rewrites the survey figures of each of them. Half-full pages (targets 0015) have room
    for a new version of every row: each update is made in place (at 70% full, only
    about half of them were)."""
    if connection.vendor != "postgresql":
        skip_or_fail("HOT updates are PostgreSQL's")
    pairs = list(CertificationStatus.objects.filter(year=2023).values_list("commune_id", "year"))
    assert len(pairs) > 100  # pages full of one year's statuses
    SurveyYear.objects.filter(year=2023).update(
        responses=F("responses") + 10, satisfied=F("satisfied") + 10
    )
    updated, hot = status_updates()
    services.statuses_after_surveys(pairs=pairs)
    updated_after, hot_after = status_updates()
    assert updated_after - updated >= len(pairs) - 5  # every one with a roll-up row
    assert hot_after - hot == updated_after - updated


def test_the_stamps_time_is_the_statuses_time_whatever_the_time_zone(computed, doi_ngo):
    # SQLite compares the stored times as text: the stamp must be written in the statuses'
    # own form, or the later of two would not be the greater.
    later = timezone.now() + datetime.timedelta(days=1)
    with mock.patch.object(services, "_now", return_value=later.replace(microsecond=0)):
        services.statuses_recompute(year=2023, commune_ids=[doi_ngo.pk])
    assert stamp(2023, doi_ngo.province_id) == later.replace(microsecond=0)
    earlier = later - datetime.timedelta(days=2)
    with mock.patch.object(services, "_now", return_value=earlier):
        services.statuses_recompute(year=2023, commune_ids=[doi_ngo.pk])
    # Never back (two workers whose clocks differ a little).
    assert stamp(2023, doi_ngo.province_id) == later.replace(microsecond=0)
