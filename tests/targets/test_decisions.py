"""Recognition decisions: who drafts them, which communes they name, issuing (then never
changed) and withdrawal by a later decision; the pages and the PDF ready to sign."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from communes.models import Commune
from targets import decisions
from targets.models import DecisionCommune, RecognitionDecision, Status
from tests.targets.formal_acts import issued, pdf_text, scan, set_status, set_year

pytestmark = pytest.mark.django_db

DOI_NGO, BINH_SON, LE_LOI = "7444", "7492", "7219"


@pytest.fixture
def year_2024():
    """2024 recognized by district People's Committees; Đồi Ngô and Bình Sơn (Lục Nam)
    and Lê Lợi (Bắc Giang city) meet the criteria."""
    set_year(2024, level="district")
    set_status([DOI_NGO, BINH_SON, LE_LOI])


# --- Drafting ---------------------------------------------------------------------------


def test_a_draft_names_the_certified_communes_of_the_officials_own_district(
    year_2024, district_official
):
    decision = decisions.decision_draft(year=2024, by=district_official)
    named = set(decision.entries.values_list("commune__code", flat=True))
    assert named == {DOI_NGO, BINH_SON}  # not Lê Lợi: another district's
    assert decision.district.code == "218"
    assert decision.state == RecognitionDecision.State.DRAFT


def test_a_commune_that_does_not_meet_the_criteria_needs_a_written_reason(
    year_2024, district_official
):
    set_status(["7450"], Status.IN_PROGRESS)
    decision = decisions.decision_draft(year=2024, by=district_official)
    other = Commune.objects.get(code="7450")
    with pytest.raises(ValidationError):
        decisions.decision_commune_add(decision=decision, commune=other, by=district_official)
    with pytest.raises(ValidationError):
        decisions.decision_draft(year=2024, by=district_official, communes=[other])
    entry = decisions.decision_commune_add(
        decision=decision,
        commune=other,
        by=district_official,
        reason="Đã hoàn thiện hồ sơ sau đợt kiểm tra ngày 10/12.",
    )
    assert entry.status_when_added == Status.IN_PROGRESS
    assert entry.reason.startswith("Đã hoàn thiện")


def test_only_the_years_competent_level_drafts(year_2024, province_official, district_official):
    with pytest.raises(PermissionDenied):
        decisions.decision_draft(year=2024, by=province_official)  # 2024: districts decide
    set_year(2025, level="province")
    set_status([DOI_NGO, LE_LOI], year=2025)
    with pytest.raises(PermissionDenied):
        decisions.decision_draft(year=2025, by=district_official)
    decision = decisions.decision_draft(year=2025, by=province_official)
    assert decision.district is None
    assert set(decision.entries.values_list("commune__code", flat=True)) == {DOI_NGO, LE_LOI}


def test_a_commune_out_of_the_deciders_scope_cannot_be_added(year_2024, district_official):
    decision = decisions.decision_draft(year=2024, by=district_official)
    with pytest.raises(PermissionDenied):
        decisions.decision_commune_add(
            decision=decision,
            commune=Commune.objects.get(code=LE_LOI),
            by=district_official,
            reason="x",
        )


# --- Issuing ----------------------------------------------------------------------------


def test_a_draft_is_issued_only_with_number_date_signer_and_signed_scan(
    year_2024, district_official
):
    decision = decisions.decision_draft(year=2024, by=district_official)
    with pytest.raises(ValidationError) as missing:
        decisions.decision_issue(decision=decision, by=district_official)
    text = " ".join(missing.value.messages)
    for part in ("số quyết định", "ngày ký", "người ký", "bản quét có chữ ký"):
        assert part in text
    assert decisions.recognitions(year=2024) == {}


def test_the_signed_scan_is_checked_by_its_content(year_2024, district_official):
    from django.core.files.uploadedfile import SimpleUploadedFile

    decision = decisions.decision_draft(year=2024, by=district_official)
    fake = SimpleUploadedFile("qd.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ValidationError):
        decisions.decision_update(
            decision=decision,
            by=district_official,
            number="1/QĐ",
            signed_on=datetime.date(2024, 12, 20),
            signer="A",
            scan=fake,
        )


def test_an_issued_decision_recognizes_its_communes_and_never_changes(year_2024, district_official):
    decision = issued(district_official)
    recognized = decisions.recognitions(year=2024)
    assert set(recognized) == set(
        Commune.objects.filter(code__in=[DOI_NGO, BINH_SON]).values_list("pk", flat=True)
    )
    assert next(iter(recognized.values())).as_dict() == {
        "number": "123/QĐ-UBND",
        "date": "2024-12-20",
    }
    with pytest.raises(ValidationError):
        decisions.decision_update(
            decision=decision, by=district_official, number="999", signed_on=None, signer=""
        )
    with pytest.raises(ValidationError):
        decisions.decision_commune_remove(
            decision=decision, commune_id=decision.entries.first().commune_id, by=district_official
        )
    # Whatever path writes (the admin, a shell), the model refuses too.
    decision.number = "999"
    with pytest.raises(ValueError):
        decision.save()
    with pytest.raises(ValueError):
        decision.delete()
    assert RecognitionDecision.objects.get(pk=decision.pk).number == "123/QĐ-UBND"


def test_a_commune_already_recognized_is_not_drafted_again(year_2024, district_official):
    issued(district_official)
    awaiting = decisions.awaiting_recognition(
        year=2024, communes=Commune.objects.filter(district__code="218")
    )
    assert list(awaiting) == []


# --- Withdrawal -------------------------------------------------------------------------


def test_a_later_issued_decision_withdraws_a_recognition_with_its_reason(
    year_2024, district_official
):
    decision = issued(district_official)
    binh_son = Commune.objects.get(code=BINH_SON)
    with pytest.raises(ValidationError):  # a reason is required
        decisions.decision_withdraw_draft(
            decision=decision, by=district_official, commune_ids=[binh_son.pk], reason=" "
        )
    withdrawal = decisions.decision_withdraw_draft(
        decision=decision,
        by=district_official,
        commune_ids=[binh_son.pk],
        reason="Hồ sơ minh chứng không đúng thực tế.",
    )
    # A draft withdrawal changes nothing yet.
    assert binh_son.pk in decisions.recognitions(year=2024)
    decisions.decision_update(
        decision=withdrawal,
        by=district_official,
        number="45/QĐ-UBND",
        signed_on=datetime.date(2025, 3, 1),
        signer="Chủ tịch",
        scan=scan(),
    )
    decisions.decision_issue(decision=withdrawal, by=district_official)
    recognized = decisions.recognitions(year=2024)
    assert binh_son.pk not in recognized
    assert Commune.objects.get(code=DOI_NGO).pk in recognized
    # The original decision is untouched: the record of what was decided then.
    assert decision.entries.filter(commune=binh_son).exists()
    # The commune's page says which decision withdrew it, not "awaiting recognition".
    from targets import selectors
    from targets.models import CertificationStatus

    status = CertificationStatus.objects.get(commune=binh_son, year=2024)
    assert selectors.commune_recognition(commune=binh_son, status=status) == (
        None,
        "Đã bị thu hồi công nhận theo Quyết định số 45/QĐ-UBND ngày 01/03/2025",
    )


def test_a_withdrawal_cannot_be_signed_before_the_decision_it_withdraws(
    year_2024, district_official
):
    decision = issued(district_official, signed_on=datetime.date(2024, 12, 20))
    withdrawal = decisions.decision_withdraw_draft(
        decision=decision,
        by=district_official,
        commune_ids=[Commune.objects.get(code=BINH_SON).pk],
        reason="Sai sót",
    )
    decisions.decision_update(
        decision=withdrawal,
        by=district_official,
        number="1/QĐ",
        signed_on=datetime.date(2024, 12, 1),
        signer="A",
        scan=scan(),
    )
    with pytest.raises(ValidationError):
        decisions.decision_issue(decision=withdrawal, by=district_official)


# --- Pages ------------------------------------------------------------------------------


def test_the_decisions_page_lists_the_communes_awaiting_and_the_decisions(
    year_2024, client_for, district_official, django_assert_max_num_queries
):
    issued(district_official, communes=[Commune.objects.get(code=DOI_NGO)])
    client = client_for(district_official)
    # Guards a query per decision or per awaiting commune. (+2: the decisions are counted
    # for their pages, the awaiting communes counted per district apart from those named)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("decision_list") + "?year=2024")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Xã Bình Sơn" in page  # awaiting
    assert "123/QĐ-UBND" in page
    assert "Phường Lê Lợi" not in page  # another district's commune


def test_the_decisions_page_counts_the_awaiting_communes_and_names_only_the_first(
    year_2024, client_for, admin_user, province_official, district_official, monkeypatch
):
    """An administrator's country awaits thousands of decisions: the page counts them per
    province and names the first AWAITING_NAMED, never a name per commune."""
    monkeypatch.setattr(decisions, "AWAITING_NAMED", 2)
    national = client_for(admin_user).get(reverse("decision_list") + "?year=2024")
    awaiting = national.context["awaiting"]
    assert awaiting["count"] == 3 and awaiting["more"] == 1
    assert len(awaiting["named"]) == 2
    assert awaiting["by_province"] and awaiting["by_unit"] == []  # one province: no split
    page = national.content.decode()
    assert "và 1 xã khác" in page and "status=CERTIFIED" in page
    province = client_for(province_official).get(reverse("decision_list") + "?year=2024")
    by_district = {row["code"]: row["n"] for row in province.context["awaiting"]["by_unit"]}
    assert by_district == {"213": 1, "218": 2}  # Bắc Giang city (Lê Lợi), Lục Nam
    assert "Theo huyện:" in province.content.decode()
    # The district official's scope: Lục Nam's two, never Lê Lợi.
    own = client_for(district_official).get(reverse("decision_list") + "?year=2024")
    assert own.context["awaiting"]["count"] == 2 and own.context["awaiting"]["more"] == 0
    assert "Phường Lê Lợi" not in own.content.decode()


def test_the_decisions_are_listed_a_page_at_a_time(
    year_2024, client_for, district_official, monkeypatch
):
    from targets import views_decisions

    monkeypatch.setattr(views_decisions, "DECISION_PAGE", 1)
    issued(district_official, communes=[Commune.objects.get(code=DOI_NGO)], number="1/QĐ")
    issued(district_official, communes=[Commune.objects.get(code=BINH_SON)], number="2/QĐ")
    client = client_for(district_official)
    first = client.get(reverse("decision_list") + "?year=2024")
    assert len(first.context["decisions"]) == 1
    assert 'href="?year=2024&amp;page=2"' in first.content.decode()
    second = client.get(reverse("decision_list") + "?year=2024&page=2")
    assert {d.number for d in first.context["decisions"] + second.context["decisions"]} == {
        "1/QĐ",
        "2/QĐ",
    }


def test_an_official_drafts_fills_and_issues_a_decision_through_the_pages(
    year_2024, client_for, district_official
):
    client = client_for(district_official)
    response = client.post(reverse("decision_draft"), {"year": "2024"})
    decision = RecognitionDecision.objects.get()
    assert response.url == reverse("decision_detail", args=[decision.pk])
    response = client.post(
        reverse("decision_detail", args=[decision.pk]),
        {"number": "77/QĐ-UBND", "signed_on": "20/12/2024", "signer": "Chủ tịch", "scan": scan()},
    )
    assert response.status_code == 302
    client.post(reverse("decision_issue", args=[decision.pk]))
    decision.refresh_from_db()
    assert decision.is_issued and decision.signed_on == datetime.date(2024, 12, 20)
    page = client.get(reverse("decision_detail", args=[decision.pk])).content.decode()
    assert "Ban hành quyết định" not in page  # no more editing
    assert client.get(reverse("decision_scan", args=[decision.pk])).status_code == 200


def test_the_decision_pdf_lists_its_communes_ready_to_sign(
    year_2024, client_for, district_official
):
    decision = issued(district_official)
    response = client_for(district_official).get(reverse("decision_pdf", args=[decision.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Danh sách xã, phường, thị trấn được công nhận" in text
    assert "Thị trấn Đồi Ngô" in text and "Xã Bình Sơn" in text
    assert "Quyết định số 123/QĐ-UBND ngày 20/12/2024" in text
    assert "Tổng cộng: 2 đơn vị." in text


def test_another_districts_official_cannot_see_the_decision(
    year_2024, client_for, district_official, other_district_official
):
    decision = issued(district_official)
    client = client_for(other_district_official)
    assert client.get(reverse("decision_detail", args=[decision.pk])).status_code == 403
    assert client.get(reverse("decision_pdf", args=[decision.pk])).status_code == 403
    assert client.post(reverse("decision_issue", args=[decision.pk])).status_code == 403
    assert client.get(reverse("decision_detail", args=[99999])).status_code == 404


def test_commune_staff_cannot_reach_the_decisions(year_2024, client_for, commune_staff):
    client = client_for(commune_staff)
    assert client.get(reverse("decision_list")).status_code == 403
    assert client.post(reverse("decision_draft"), {"year": "2024"}).status_code == 403


def test_a_provincial_official_reads_but_cannot_issue_a_district_years_decision(
    year_2024, client_for, district_official, province_official
):
    decision = decisions.decision_draft(year=2024, by=district_official)
    client = client_for(province_official)
    assert client.get(reverse("decision_detail", args=[decision.pk])).status_code == 200
    client.post(reverse("decision_issue", args=[decision.pk]))  # refused by the service
    decision.refresh_from_db()
    assert not decision.is_issued


def test_anonymous_users_are_sent_to_login(year_2024, client):
    response = client.get(reverse("decision_list"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize(
    "name,method", [("decision_draft", "get"), ("decision_list", "post"), ("decision_issue", "get")]
)
def test_a_wrong_method_is_a_405(year_2024, client_for, district_official, name, method):
    decision = decisions.decision_draft(year=2024, by=district_official)
    url = reverse(name, args=[decision.pk]) if name == "decision_issue" else reverse(name)
    assert getattr(client_for(district_official), method)(url).status_code == 405


def test_decision_entries_keep_the_status_when_added(year_2024, district_official):
    decision = decisions.decision_draft(year=2024, by=district_official)
    assert set(
        DecisionCommune.objects.filter(decision=decision).values_list(
            "status_when_added", flat=True
        )
    ) == {Status.CERTIFIED}
