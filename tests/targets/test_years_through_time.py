"""Programme years on the units in force, both shapes of the hierarchy, reused codes never
mixed, and what carries over to a successor."""

import datetime

import pytest
from django.urls import reverse

from communes.models import (
    Commune,
    CommuneLink,
    Criterion,
    District,
    Evidence,
    EvidenceState,
    EvidenceTransition,
    Province,
    Role,
)
from surveys.models import Channel, SurveyResponse
from surveys.rollup import months_rebuild
from targets import services
from targets.models import CertificationStatus
from tests.conftest import commune_on
from tests.targets.dashboard_data import give_status

D2024 = datetime.date(2024, 6, 1)
D2025 = datetime.date(2025, 3, 1)
D2026 = datetime.date(2026, 3, 1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bac_ninh_official(make_user, reorganized_units):
    return make_user(Role.PROVINCE, "24", username="tinh-bacninh-test", on=D2026)


@pytest.fixture
def bac_ninh_reviewer(make_user, reorganized_units):
    return make_user(Role.PROVINCE_REVIEWER, "24", username="thamdinh-test", on=D2026)


@pytest.fixture
def luc_nam_staff(make_user, reorganized_units):
    """Commune staff of Xã Lục Nam (7444 since 1/7/2025)."""
    return make_user(Role.COMMUNE, "7444", username="xa-lucnam-test", on=D2026)


def test_each_year_is_computed_on_its_own_units(years):
    services.statuses_recompute()
    counts = {
        year: CertificationStatus.objects.filter(year=year).count()
        for year in (2023, 2024, 2025, 2026)
    }
    assert counts == {2023: 209, 2024: 209, 2025: 192, 2026: 99}
    # Lê Lợi has statuses for the years it was in force, and none after.
    le_loi = commune_on(D2024, "7219")
    assert set(le_loi.statuses.values_list("year", flat=True)) == {2023, 2024}


def test_a_reference_date_is_data(years):
    from communes.models import ProgrammeYear

    ProgrammeYear.objects.filter(year=2025).update(reference_date=datetime.date(2025, 7, 1))
    services.statuses_recompute(year=2025)
    assert CertificationStatus.objects.filter(year=2025).count() == 99


def test_a_status_computed_before_a_reorganization_was_recorded_is_dropped(years):
    le_loi = commune_on(D2024, "7219")
    give_status(le_loi, 2025)  # as a portal that knew only the 2023 units computed it
    services.statuses_recompute(year=2025)
    assert not CertificationStatus.objects.filter(commune=le_loi, year=2025).exists()


def test_the_province_dashboard_shows_districts_until_2025_and_communes_after(
    client, years, bac_ninh_official, province_official
):
    services.statuses_recompute()
    client.force_login(province_official)
    page = client.get("/?year=2024")
    assert [r.code for r in page.context["dashboard"].districts][:2] == ["213", "215"]
    assert page.context["overall"].total == 209
    assert client.get("/?year=2025").context["overall"].total == 192

    client.force_login(bac_ninh_official)
    page = client.get("/?year=2026")
    dashboard = page.context["dashboard"]
    assert (dashboard.grouped_by, dashboard.overall.total) == ("former_district", 99)
    names = {row.name for row in dashboard.districts}
    assert {"Huyện Lục Nam", "Thành phố Bắc Giang", "Huyện Lương Tài"} <= names
    assert sum(row.figures.total for row in dashboard.districts) == 99
    by_province = client.get("/?year=2026&group=former_province").context["dashboard"]
    assert {(row.code, row.figures.total) for row in by_province.districts} == {
        ("24", 58),
        ("27", 41),
    }
    # Today's province also reads the history of the province merged into it.
    assert client.get("/?year=2024").context["overall"].total == 209


def test_the_year_selectors_offer_every_year_with_a_target(client, years, bac_ninh_official):
    client.force_login(bac_ninh_official)
    assert client.get("/").context["years"] == [2023, 2024, 2025, 2026]
    assert client.get("/?year=2026").context["year"] == 2026


def test_a_reused_code_means_the_unit_in_force_on_the_pages_date(
    client, years, admin_user, luc_nam_staff
):
    hoang_van_thu, bac_giang = commune_on(D2024, "7210"), commune_on(D2026, "7210")
    give_status(hoang_van_thu, 2024, "CERTIFIED")
    client.force_login(admin_user)

    assert client.get("/communes/7210/?year=2024").context["commune"] == hoang_van_thu
    assert client.get("/communes/7210/?year=2026").context["commune"] == bac_giang
    assert client.get("/communes/7210/").context["commune"] == bac_giang  # today
    old = client.get(reverse("api_commune", args=["7210"]) + "?year=2024").json()
    new = client.get(reverse("api_commune", args=["7210"]) + "?year=2026").json()
    assert (old["name"], old["status"], old["district"]) == (
        "Phường Hoàng Văn Thụ",
        "CERTIFIED",
        "213",
    )
    assert (new["name"], new["district"], new["period"]["valid_from"]) == (
        "Phường Bắc Giang",
        None,
        "2025-07-01",
    )
    assert new["status"] != "CERTIFIED"  # Hoàng Văn Thụ's 2024 is not Bắc Giang's


def test_a_dissolved_units_page_is_history_with_its_successor(client, years, commune_staff):
    client.force_login(commune_staff)  # Đồi Ngô's staff, whose unit ended on 30/6/2025
    page = client.get("/communes/7444/")
    assert page.status_code == 200
    assert page.context["commune"].name == "Thị trấn Đồi Ngô"
    assert page.context["year"] == 2025  # the last year it was evaluated on
    assert not page.context["in_force_today"]
    html = page.content.decode()
    assert "Xã Lục Nam" in html and "NQ 202/2025/QH15" in html
    # Read-only: its staff can no longer change its checklist.
    url = reverse("evidence_detail", args=["7444", 2024, "CSVC-01"])
    assert client.post(url, {"version": 0, "note": "x", "action": "save"}).status_code == 403
    # The successor's own page is not theirs.
    assert client.get("/communes/7444/?year=2026").context["commune"].name == "Thị trấn Đồi Ngô"


def test_a_dissolved_districts_official_reads_its_history_and_no_longer_reviews(
    client, years, make_user
):
    yen_dung = make_user(Role.DISTRICT, "221", username="huyen-yendung-test")
    lao_ho = commune_on(D2024, "7684")
    criterion = Criterion.objects.filter(kind="evidence").first()
    Evidence.objects.create(
        commune=lao_ho, criterion=criterion, year=2024, state=EvidenceState.SUBMITTED
    )
    client.force_login(yen_dung)
    assert client.get("/districts/221/?year=2024").status_code == 200
    assert client.get("/communes/7684/").status_code == 200
    review = reverse("evidence_review", args=["7684", 2024, criterion.code])
    assert client.post(review, {"version": 1, "decision": "approve"}).status_code == 403


def test_a_provincial_reviewer_reviews_where_there_are_no_districts(
    client, years, bac_ninh_reviewer, luc_nam_staff
):
    xa_luc_nam = commune_on(D2026, "7444")
    criterion = Criterion.objects.filter(kind="evidence").first()
    evidence = Evidence.objects.create(
        commune=xa_luc_nam,
        criterion=criterion,
        year=2026,
        state=EvidenceState.SUBMITTED,
        note="Băng rôn",
    )
    client.force_login(bac_ninh_reviewer)
    assert client.get(reverse("reviews")).context["page"].object_list[0] == evidence
    review = reverse("evidence_review", args=["7444", 2026, criterion.code])
    response = client.post(review, {"version": evidence.version, "decision": "approve"})
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.state == EvidenceState.APPROVED


def test_a_reviewer_limited_to_some_communes_sees_only_those(client, years, make_user):
    reviewer = make_user(Role.PROVINCE_REVIEWER, "24", username="thamdinh-han-che", on=D2026)
    reviewer.scope.limited_to.add(commune_on(D2026, "7444"))
    client.force_login(reviewer)
    assert client.get("/communes/7444/?year=2026").status_code == 200
    assert client.get("/communes/7210/?year=2026").status_code == 403


def test_approved_evidence_of_a_predecessor_is_offered_and_carried_over_by_one_action(
    client, years, bac_ninh_reviewer, luc_nam_staff
):
    doi_ngo, xa_luc_nam = commune_on(D2025, "7444"), commune_on(D2026, "7444")
    criterion = Criterion.objects.active_in(2026).filter(kind="evidence").first()
    source = Evidence.objects.create(
        commune=doi_ngo,
        criterion=criterion,
        year=2025,
        state=EvidenceState.APPROVED,
        note="Băng rôn 2025",
    )
    checklist = reverse("checklist", args=["7444", 2026])

    client.force_login(luc_nam_staff)
    offered = client.get(checklist).context["carry_over"]
    assert offered == [source]
    # Never silently: nothing is approved for the successor until its reviewer acts.
    assert not Evidence.objects.filter(commune=xa_luc_nam).exists()
    carry = reverse("evidence_carry_over", args=["7444", 2026, source.pk])
    assert client.post(carry).status_code == 403  # the commune's staff cannot

    client.force_login(bac_ninh_reviewer)
    assert client.post(carry).status_code == 302
    carried = Evidence.objects.get(commune=xa_luc_nam, criterion=criterion, year=2026)
    assert (carried.state, carried.note, carried.carried_from) == (
        EvidenceState.APPROVED,
        "Băng rôn 2025",
        source,
    )
    moves = EvidenceTransition.objects.filter(evidence=carried)
    assert "Thị trấn Đồi Ngô" in moves.last().note
    assert client.get(checklist).context["carry_over"] == []
    source.refresh_from_db()
    assert source.state == EvidenceState.APPROVED  # the predecessor's history is unchanged


def test_survey_answers_at_a_predecessors_desk_count_for_it_and_show_on_the_successor(
    client, years, bac_ninh_official
):
    doi_ngo, xa_luc_nam = commune_on(D2025, "7444"), commune_on(D2026, "7444")
    for day in range(1, 4):
        SurveyResponse.objects.create(
            commune=doi_ngo,
            answered_on=datetime.date(2025, 3, day),
            channel=Channel.PAPER,
            satisfied=True,
        )
    months_rebuild(commune_ids=[doi_ngo.pk])
    services.statuses_recompute()
    assert CertificationStatus.objects.get(commune=doi_ngo, year=2025).survey_responses == 3
    assert CertificationStatus.objects.get(commune=xa_luc_nam, year=2026).survey_responses == 0
    client.force_login(bac_ninh_official)
    history = client.get("/communes/7444/?year=2026").context["predecessor_figures"]
    rows = {(s.commune, s.year): s.survey_responses for s in history}
    assert rows[(doi_ngo, 2025)] == 3
    assert (doi_ngo, 2023) in rows and xa_luc_nam not in {s.commune for s in history}


def test_the_api_takes_any_programme_year_and_says_its_period(client, years, bac_ninh_official):
    client.force_login(bac_ninh_official)
    body = client.get(reverse("api_progress") + "?year=2026").json()
    assert body["province"]["total"] == 99
    assert body["districts"] == []
    assert body["period"] == {"reference_date": "2026-01-01", "has_districts": False}
    assert sum(d["total"] for d in body["former_districts"]) == 99
    bad = client.get(reverse("api_progress") + "?year=2027")
    assert (bad.status_code, bad.json()["field"]) == (400, "year")


def test_the_lineage_links_are_listed_for_administrators_with_the_uncertain_ones(
    client, years, admin_user
):
    client.force_login(admin_user)
    page = client.get("/admin/communes/communelink/?certainty__exact=unverified")
    assert page.status_code == 200
    assert page.context["cl"].result_count == 2
    lao_ho = CommuneLink.objects.get(predecessor_code="7684")
    page = client.get(f"/admin/communes/communelink/{lao_ho.pk}/change/")
    assert page.status_code == 200


def test_the_new_province_reuses_code_24(years):
    # Oldest first on every database (the open start of Bắc Giang included).
    assert [p.name for p in Province.objects.filter(code="24")] == [
        "Tỉnh Bắc Giang",
        "Tỉnh Bắc Ninh",
    ]
    assert District.objects.in_force(on=D2026).count() == 0


def test_the_public_page_names_the_province_in_force_in_its_year(client, years):
    """Where one province has communes in force, the citizens' page is that province's:
    Tỉnh Bắc Giang's in 2024, Tỉnh Bắc Ninh's in 2026 (it named Bắc Giang every year)."""
    for year, name, other in (
        (2024, "Tỉnh Bắc Giang", "Tỉnh Bắc Ninh"),
        (2026, "Tỉnh Bắc Ninh", "Tỉnh Bắc Giang"),
    ):
        html = client.get("/public/", {"year": year}).content.decode()
        header = html[html.find("<h1") : html.find("Số liệu cập nhật")]
        assert name in header and other not in header, header


def test_an_official_of_the_merged_province_is_told_so_and_keeps_its_history(
    client, years, province_official
):
    services.statuses_recompute()
    client.force_login(province_official)  # Tỉnh Bắc Giang's, which ended on 30/6/2025
    page = client.get("/?year=2026")
    assert page.context["overall"].total == 0
    html = page.content.decode()
    assert "hết hiệu lực sau ngày 30/06/2025" in html and "Tỉnh Bắc Ninh" in html
    assert "hết hiệu lực" not in client.get("/?year=2024").content.decode()


def test_the_dashboard_without_districts_runs_the_same_queries_with_99_and_2000_communes(
    client, years, bac_ninh_official, django_assert_max_num_queries
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.statuses_recompute(year=2026)
    client.force_login(bac_ninh_official)
    client.get("/?year=2026")  # warm the session

    def cold():
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/?year=2026").status_code == 200
        return len(ctx.captured_queries)

    # Guards against a query per commune or per former district: the figures are grouped
    # by commune in a fixed number of queries and summed by group in Python.
    with django_assert_max_num_queries(30):
        small = cold()
    bac_ninh = Province.objects.in_force(on=D2026).get()
    Commune.objects.bulk_create(
        Commune(
            code=f"9{n:05d}",
            name=f"Xã Thử {n}",
            search_name=f"xa thu {n}",
            kind="xã",
            province=bac_ninh,
            valid_from=datetime.date(2025, 7, 1),
            model_launched_on=datetime.date(2025, 9, 1),
        )
        for n in range(2000 - 99)
    )
    services.statuses_recompute(year=2026)
    assert Commune.objects.in_force(on=D2026).count() == 2000
    assert cold() == small
