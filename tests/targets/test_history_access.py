"""The history of a user's own unit: what its predecessors were, read-only, and nothing else.

A unit no longer in force is read by whoever's scope holds one of its successors (through
one reorganization or several): the staff of a merged commune whose scope moved to its
successor, a provincial reviewer (limited to some communes or not) opening a
predecessor's evidence that a checklist offers to carry over. They never write to it.
"""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from communes.models import (
    Commune,
    Criterion,
    District,
    Evidence,
    EvidenceFile,
    EvidenceState,
    Role,
)
from tests.conftest import commune_on

D2024 = datetime.date(2024, 6, 1)
D2025 = datetime.date(2025, 3, 1)
D2026 = datetime.date(2026, 3, 1)

pytestmark = pytest.mark.django_db


def _approved(commune, year, note, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    criterion = Criterion.objects.active_in(2026).filter(kind="evidence").first()
    evidence = Evidence.objects.create(
        commune=commune, criterion=criterion, year=year, state=EvidenceState.APPROVED, note=note
    )
    attached = EvidenceFile(
        evidence=evidence, original_name="bien-ban.pdf", content_type="application/pdf", size=9
    )
    attached.file.save(f"evidence/{commune.code}/{year}/bien-ban.pdf", ContentFile(b"%PDF-1.4\n"))
    return evidence, attached


@pytest.fixture
def doi_ngo_evidence(years, settings, tmp_path):
    """Approved 2025 evidence of Thị trấn Đồi Ngô, offered to its successor Xã Lục Nam."""
    return _approved(commune_on(D2025, "7444"), 2025, "Băng rôn 2025", settings, tmp_path)


@pytest.fixture
def tran_phu_evidence(years, settings, tmp_path):
    """Approved 2025 evidence of Phường Trần Phú, offered to Phường Bắc Giang (not Lục Nam)."""
    return _approved(commune_on(D2025, "7213"), 2025, "Sổ theo dõi", settings, tmp_path)


def _reviewer(make_user, limited_to=None):
    user = make_user(Role.PROVINCE_REVIEWER, "24", on=D2026)
    if limited_to:
        user.scope.limited_to.add(*[commune_on(D2026, code) for code in limited_to])
    return user


def _offered_link(client, code, source):
    """The "Xem" link the successor's checklist gives for ``source``."""
    page = client.get(reverse("checklist", args=[code, 2026]))
    assert page.status_code == 200
    assert page.context["carry_over"] == [source]
    link = reverse(
        "evidence_detail", args=[source.commune.code, source.year, source.criterion.code]
    )
    assert link in page.content.decode()
    return link


@pytest.mark.parametrize("limited_to", [None, ["7444"]], ids=["whole province", "limited"])
def test_a_provincial_reviewer_opens_the_predecessor_evidence_offered_on_a_checklist(
    client, make_user, doi_ngo_evidence, limited_to
):
    source, attached = doi_ngo_evidence
    client.force_login(_reviewer(make_user, limited_to))

    page = client.get(_offered_link(client, "7444", source))

    assert page.status_code == 200
    assert page.context["commune"] == source.commune  # Thị trấn Đồi Ngô, not Xã Lục Nam
    assert page.context["evidence"] == source
    assert "Băng rôn 2025" in page.content.decode()
    assert page.context["form"] is None and page.context["review_form"] is None
    assert client.get(reverse("evidence_file", args=[attached.pk])).status_code == 200
    # And accepts it for the successor with one action.
    carry = reverse("evidence_carry_over", args=["7444", 2026, source.pk])
    assert client.post(carry).status_code == 302
    assert Evidence.objects.get(carried_from=source).commune == commune_on(D2026, "7444")


def test_a_reviewer_reads_the_predecessors_evidence_but_never_changes_it(
    client, make_user, doi_ngo_evidence
):
    source, attached = doi_ngo_evidence
    client.force_login(_reviewer(make_user, ["7444"]))
    args = [source.commune.code, source.year, source.criterion.code]

    assert client.post(reverse("evidence_reopen", args=args), {"version": 1}).status_code == 403
    review = reverse("evidence_review", args=args)
    assert client.post(review, {"version": 1, "decision": "return"}).status_code == 403
    delete = reverse("evidence_file_delete", args=[attached.pk])
    assert client.post(delete, {"version": 1}).status_code == 403
    source.refresh_from_db()
    assert (source.state, source.files.count()) == (EvidenceState.APPROVED, 1)


def test_a_limited_reviewer_still_cannot_open_the_evidence_of_an_unrelated_commune(
    client, make_user, doi_ngo_evidence, tran_phu_evidence
):
    source, attached = tran_phu_evidence  # Trần Phú became Phường Bắc Giang, not Xã Lục Nam
    client.force_login(_reviewer(make_user, ["7444"]))
    args = [source.commune.code, source.year, source.criterion.code]

    assert client.get(reverse("evidence_detail", args=args)).status_code == 403
    assert client.get(reverse("evidence_file", args=[attached.pk])).status_code == 403
    assert client.get(reverse("checklist", args=["7210", 2026])).status_code == 403
    assert client.get("/communes/7213/?year=2024").status_code == 403
    carry = reverse("evidence_carry_over", args=["7444", 2026, source.pk])
    client.post(carry)
    assert not Evidence.objects.filter(carried_from=source).exists()


@pytest.fixture
def moved_staff(make_user, years):
    """Staff of Phường Lê Lợi (7219), whose scope followed it into Phường Trần Phú
    (1/1/2025) and then Phường Bắc Giang (7210, 1/7/2025)."""
    return make_user(Role.COMMUNE, "7210", username="xa-bacgiang-test", on=D2026)


def test_staff_whose_commune_merged_open_its_old_pages_read_only(client, moved_staff):
    le_loi = commune_on(D2024, "7219")
    criterion = Criterion.objects.active_in(2024).filter(kind="evidence").first()
    Evidence.objects.create(
        commune=le_loi, criterion=criterion, year=2024, state=EvidenceState.APPROVED, note="Cũ"
    )
    client.force_login(moved_staff)

    page = client.get("/communes/7219/?year=2024")  # two reorganizations ago
    assert page.status_code == 200
    assert page.context["commune"] == le_loi
    assert not page.context["in_force_today"]
    assert "Phường Trần Phú" in page.content.decode()
    checklist = client.get(reverse("checklist", args=["7219", 2024]))
    assert checklist.status_code == 200 and not checklist.context["can_edit"]
    evidence = client.get(reverse("evidence_detail", args=["7219", 2024, criterion.code]))
    assert evidence.status_code == 200 and evidence.context["form"] is None
    surveys = client.get(reverse("commune_surveys", args=["7219"]))
    assert surveys.status_code == 200 and surveys.context["commune"] == le_loi
    assert not surveys.context["can_enter"] and not surveys.context["can_kiosk"]


def test_staff_whose_commune_merged_never_write_to_its_old_unit(client, moved_staff):
    le_loi = commune_on(D2024, "7219")
    criterion = Criterion.objects.active_in(2024).filter(kind="evidence").first()
    client.force_login(moved_staff)

    save = reverse("evidence_detail", args=["7219", 2024, criterion.code])
    assert client.post(save, {"version": 0, "note": "x", "action": "save"}).status_code == 403
    assert client.get(reverse("survey_entry", args=["7219"])).status_code == 403
    entry = {"answered_on": "2025-01-02", "q1": 5}
    assert client.post(reverse("survey_entry", args=["7219"]), entry).status_code == 403
    assert client.post(reverse("kiosk_rotate", args=["7219"])).status_code == 403
    assert client.get(reverse("survey_poster", args=["7219"])).status_code == 403
    assert client.post(reverse("commune_committee_edit", args=["7219"])).status_code == 403
    assert not Evidence.objects.filter(commune=le_loi).exists()
    assert not le_loi.survey_responses.exists()


def test_the_same_code_of_an_earlier_year_opens_the_predecessor_not_the_own_unit(
    client, make_user, years
):
    staff = make_user(Role.COMMUNE, "7444", on=D2026)  # Xã Lục Nam, formerly Đồi Ngô's code
    client.force_login(staff)
    assert client.get("/communes/7444/?year=2024").context["commune"].name == "Thị trấn Đồi Ngô"
    assert client.get("/communes/7444/").context["commune"].name == "Xã Lục Nam"


def test_staff_whose_commune_merged_see_nothing_of_other_communes_history(client, moved_staff):
    client.force_login(moved_staff)
    # Đồi Ngô became Xã Lục Nam, not Phường Bắc Giang.
    assert client.get("/communes/7444/?year=2024").status_code == 403
    assert client.get(reverse("checklist", args=["7444", 2024])).status_code == 403
    assert client.get(reverse("commune_surveys", args=["7444"])).status_code == 403


# --- A dissolved district: since when, and where its communes went ------------------------


def test_a_dissolved_districts_page_says_since_when_and_where_its_communes_went(
    client, make_user, years
):
    luc_nam = District.objects.get(code="218")
    last_communes = Commune.objects.in_force(on=luc_nam.valid_to).filter(district=luc_nam)
    client.force_login(make_user(Role.DISTRICT, "218"))

    page = client.get("/districts/218/?year=2025")

    assert page.status_code == 200
    html = page.content.decode()
    assert "không còn hiệu lực từ ngày 1/7/2025" in html
    successors = page.context["successors"]
    # Every commune Lục Nam had on its last day is accounted for, in Tỉnh Bắc Ninh's units.
    named = {link.predecessor_code for group in successors for link in group.links}
    assert named == set(last_communes.values_list("code", flat=True))
    assert len(named) == 24
    assert all(g.successor.district is None and g.successor.valid_from for g in successors)
    xa_luc_nam = next(g for g in successors if g.successor.name == "Xã Lục Nam")
    assert "Thị trấn Đồi Ngô" in {link.predecessor_name for link in xa_luc_nam.links}
    assert 'href="/communes/7444/"' in html and "NQ 1658" in html


def test_a_district_that_joined_another_lists_the_communes_it_went_into(
    client, province_official, years
):
    client.force_login(province_official)  # of Tỉnh Bắc Giang, 2024
    page = client.get("/districts/221/?year=2024")  # Huyện Yên Dũng, joined Bắc Giang city

    assert "không còn hiệu lực từ ngày 1/1/2025" in page.content.decode()
    successors = page.context["successors"]
    known = [g.successor for g in successors if g.successor]
    assert known and {c.district.code for c in known} == {"213"}
    # Xã Lão Hộ's successor is not known: listed as such, last.
    assert successors[-1].successor is None
    assert [link.predecessor_name for link in successors[-1].links] == ["Xã Lão Hộ"]


def test_a_dissolved_districts_page_in_english(client, make_user, years):
    client.force_login(make_user(Role.DISTRICT, "218"))
    client.cookies["django_language"] = "en"
    html = client.get("/districts/218/?year=2025").content.decode()
    assert "no longer in force since 1/7/2025" in html
