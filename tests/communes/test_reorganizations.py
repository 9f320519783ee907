"""The administrators' reorganization screen and its service: preview, apply, rollback.

The default test database holds the 209 communes of 2023 with no end date, so a change
dated 2026 stands for "the next reorganization" of those units; the September 2026
change is recorded on top of every real period (``reorganized_units``). A reorganization
is applied once in force, so every date here is in the past.
"""

import datetime
import re
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client
from django.urls import reverse

from communes.models import (
    Certainty,
    Commune,
    CommuneLink,
    Criterion,
    District,
    Evidence,
    EvidenceState,
    LinkKind,
    Province,
    Reorganization,
    Role,
    SteeringCommittee,
    UserScope,
)
from communes.selectors import successor_in_force
from communes.services import reorganizations, units_load
from communes.services.reorganizations import (
    Change,
    ProvinceChange,
    UnitChange,
    reorganization_apply,
    reorganization_preview,
)
from surveys.models import Channel, ImportBatch, SurveyResponse
from surveys.rollup import months_rebuild
from surveys.selectors import active_questionnaire
from surveys.services import kiosk_link_ensure, questionnaire_create_default
from targets.models import CertificationStatus
from targets.services import statuses_recompute
from tests.conftest import commune_on
from tests.surveys.conftest import all_answers
from tests.surveys.test_kiosk import aged_stamp, kiosk_url

pytestmark = pytest.mark.django_db

NEW_URL = reverse("reorganization_new")
NEXT = datetime.date(2026, 1, 1)
BEFORE = datetime.date(2025, 6, 1)
SEPT_2026 = datetime.date(2026, 9, 20)
IN_2026 = datetime.date(2026, 3, 1)
LE_LOI, TRAN_PHU, DOI_NGO = "7219", "7213", "7444"
# The five of the twelve xã of 388/NQ-UBTVQH16 that the portal's data names (the old Bắc
# Giang area; ../shared/data/README.md). The other seven are not named in any file here.
SEPTEMBER_2026 = {
    "7294": "Bố Hạ",
    "7375": "Lạng Giang",
    "7399": "Kép",
    "7444": "Lục Nam",
    "7840": "Hiệp Hòa",
}


@pytest.fixture
def questionnaire(db):
    questionnaire_create_default()
    return active_questionnaire()


def _merge_le_loi_into_tran_phu(**extra):
    return {
        "resolution": "99/NQ-TEST",
        "effective_on": NEXT,
        "changes": [
            UnitChange(
                change=Change.MERGE,
                predecessors=(LE_LOI, TRAN_PHU),
                code=TRAN_PHU,
                name="Phường Trần Phú",
                kind="phường",
                district="213",
            )
        ],
        **extra,
    }


def _form_data(resolution, effective_on, rows, action="preview"):
    data = {
        "action": action,
        "resolution": resolution,
        "effective_on": effective_on,
        "note": "",
        "units-TOTAL_FORMS": str(len(rows)),
        "units-INITIAL_FORMS": "0",
        "units-MIN_NUM_FORMS": "0",
        "units-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == "takes_desk" and not value:
                continue
            data[f"units-{i}-{key}"] = value
    return data


# --- Permissions --------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(NEW_URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "persona", ["province_official", "district_official", "commune_staff", "leloi_staff"]
)
def test_only_administrators_may_open_the_screen(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(NEW_URL).status_code == 403
    data = _form_data("1/NQ", "01/01/2026", [])
    assert client.post(NEW_URL, data).status_code == 403
    assert not Reorganization.objects.exists()


def test_a_wrong_method_is_refused(client_for, admin_user):
    client = client_for(admin_user)
    assert client.put(NEW_URL).status_code == 405
    reorganization = Reorganization.objects.create(resolution="x", effective_on=NEXT)
    detail = reverse("reorganization_detail", args=[reorganization.pk])
    assert client.post(detail).status_code == 405
    assert client.get(detail).status_code == 200


def test_the_detail_page_is_for_administrators_only(client_for, province_official):
    reorganization = Reorganization.objects.create(resolution="x", effective_on=NEXT)
    detail = reverse("reorganization_detail", args=[reorganization.pk])
    assert client_for(province_official).get(detail).status_code == 403
    assert client_for(None).get(detail).status_code == 302


def test_the_admin_list_of_reorganizations_links_to_the_screen(client_for, admin_user):
    page = client_for(admin_user).get(reverse("admin:communes_reorganization_changelist"))
    assert NEW_URL in page.content.decode()


# --- Preview ------------------------------------------------------------------------------


def test_the_preview_lists_what_moves_and_writes_nothing(
    leloi_staff, other_district_official, make_user
):
    le_loi = commune_on(BEFORE, LE_LOI)
    kiosk_link_ensure(commune=le_loi)
    criterion = Criterion.objects.filter(is_required=True).first()
    Evidence.objects.create(commune=le_loi, criterion=criterion, year=2026)
    SteeringCommittee.objects.create(
        level="commune", commune=le_loi, decision_number="1/QĐ", established_on=BEFORE
    )
    reviewer = make_user(Role.PROVINCE_REVIEWER, "24", username="thamdinh")
    reviewer.scope.limited_to.add(le_loi)

    plan = reorganization_preview(**_merge_le_loi_into_tran_phu())

    tran_phu = commune_on(BEFORE, TRAN_PHU)
    assert [p.keeps for p in plan.units] == [tran_phu]
    assert list(plan.dissolved) == [le_loi.pk]
    assert [(m.what, m.unit, m.to.code) for m in plan.users] == [
        ("xa-leloi-test", le_loi, TRAN_PHU)
    ]
    assert [(m.what, m.to.code) for m in plan.reviewers] == [("thamdinh", TRAN_PHU)]
    assert [(m.unit, m.to.code) for m in plan.kiosks] == [(le_loi, TRAN_PHU)]
    assert [(m.count, m.year) for m in plan.evidence] == [(1, 2026)]
    # Trần Phú goes on in its own row, with no committee yet: it needs one.
    assert [(m.count, m.successor_has_one) for m in plan.committees] == [(1, False)]
    # Bắc Giang city goes on: its official keeps both units, no read-only note.
    assert plan.district_officials == []
    assert plan.first_year_on_new_units == 2026
    assert commune_on(NEXT, LE_LOI) == le_loi
    assert not Reorganization.objects.exists()


def test_the_preview_counts_the_kiosk_and_imported_responses_that_stay_behind(questionnaire):
    """The responses dated from the effective date stay with the dissolved unit: its kiosk
    answers and the rows of every imported file (read through the survey table's indexes,
    ``communes.hooks.survey_responses_from``)."""
    le_loi = commune_on(BEFORE, LE_LOI)
    files = [
        ImportBatch.objects.create(sha256=f"{n:064d}", filename=f"{n}.csv", rows=2)
        for n in range(2)
    ]

    def answer(day, batch=None):
        SurveyResponse.objects.create(
            commune=le_loi,
            questionnaire=questionnaire,
            answered_on=day,
            channel=Channel.IMPORT if batch else Channel.KIOSK,
            satisfied=True,
            answers=all_answers(),
            import_batch=batch,
        )

    answer(NEXT)
    answer(NEXT - datetime.timedelta(days=1))  # before: counted for Lê Lợi, nothing moves
    answer(NEXT, files[0])
    answer(NEXT + datetime.timedelta(days=5), files[1])
    answer(BEFORE, files[1])

    plan = reorganization_preview(**_merge_le_loi_into_tran_phu())

    assert [(m.unit, m.to.code, m.count) for m in plan.late_responses] == [(le_loi, TRAN_PHU, 3)]


def test_the_preview_page_says_what_happens_to_users_posters_and_evidence(
    client_for, admin_user, leloi_staff
):
    kiosk_link_ensure(commune=commune_on(BEFORE, LE_LOI))
    rows = [
        {
            "change": "merge",
            "predecessors": "7219, 7213",
            "code": TRAN_PHU,
            "name": "Phường Trần Phú",
            "kind": "phường",
            "district": "213",
        }
    ]
    page = client_for(admin_user).post(NEW_URL, _form_data("99/NQ-TEST", "01/01/2026", rows))
    html = page.content.decode()
    assert page.status_code == 200
    assert "xa-leloi-test: chuyển từ Phường Lê Lợi sang Phường Trần Phú" in html
    assert "Áp phích đã in của Phường Lê Lợi vẫn dùng được" in html
    assert 'value="apply"' in html
    assert not Reorganization.objects.exists()


def test_mistakes_are_shown_on_the_form_and_nothing_is_written(client_for, admin_user):
    rows = [
        {
            "change": "merge",
            "predecessors": "7219, 99999",
            "code": "7201",  # Thọ Xương's, which goes on
            "name": "Phường X",
            "kind": "phường",
            "district": "213",
        }
    ]
    page = client_for(admin_user).post(NEW_URL, _form_data("99/NQ-TEST", "01/01/2026", rows))
    html = page.content.decode()
    assert "Không có xã mã 99999 có hiệu lực ngày 31/12/2025." in html
    assert 'value="apply"' not in html
    assert not Reorganization.objects.exists()


def test_a_reorganization_is_applied_once_in_force_not_before():
    args = _merge_le_loi_into_tran_phu(
        effective_on=datetime.date.today() + datetime.timedelta(days=30)
    )
    with pytest.raises(ValidationError, match="từ ngày nó có hiệu lực"):
        reorganization_preview(**args)


def test_a_split_needs_one_successor_chosen_to_take_the_desk():
    changes = [
        UnitChange(
            change=Change.SPLIT,
            predecessors=(DOI_NGO,),
            code=code,
            name=f"Xã {code}",
            kind="xã",
            district="218",
        )
        for code in ("9001", "9002")
    ]
    with pytest.raises(ValidationError, match="nhận bộ phận một cửa"):
        reorganization_preview(resolution="1/NQ", effective_on=NEXT, changes=changes)


def test_a_code_still_used_by_a_unit_that_goes_on_is_refused():
    args = _merge_le_loi_into_tran_phu()
    args["changes"] = [
        UnitChange(
            change=Change.PARENT,
            predecessors=(LE_LOI,),
            code="7201",
            name="Phường Lê Lợi",
            kind="phường",
            district="218",
        )
    ]
    with pytest.raises(ValidationError, match="7201"):
        reorganization_preview(**args)


# --- Apply: each kind of change -----------------------------------------------------------


def test_a_merge_ends_the_merged_unit_links_it_and_moves_its_staff(leloi_staff, admin_user):
    le_loi, tran_phu = commune_on(BEFORE, LE_LOI), commune_on(BEFORE, TRAN_PHU)
    reorganization = reorganization_apply(**_merge_le_loi_into_tran_phu(), by=admin_user)

    le_loi.refresh_from_db()
    assert le_loi.valid_to == datetime.date(2025, 12, 31)
    assert commune_on(NEXT, TRAN_PHU) == tran_phu  # goes on in its own row
    assert not Commune.objects.in_force(on=NEXT).filter(code=LE_LOI).exists()
    link = CommuneLink.objects.get(reorganization=reorganization)
    assert (link.predecessor, link.successor, link.kind) == (le_loi, tran_phu, LinkKind.WHOLE)
    assert (link.resolution, link.effective_on) == ("99/NQ-TEST", NEXT)
    assert link.certainty == Certainty.VERIFIED and link.takes_desk
    leloi_staff.scope.refresh_from_db()
    assert leloi_staff.scope.commune == tran_phu


def test_applying_asks_for_every_year_of_the_units_that_ended_and_began(admin_user):
    from targets.models import PendingRecompute

    le_loi, tran_phu = commune_on(BEFORE, LE_LOI), commune_on(BEFORE, TRAN_PHU)
    reorganization_apply(**_merge_le_loi_into_tran_phu(), by=admin_user)

    # Asked in the reorganization's transaction (the outbox), recomputed after it commits.
    assert set(PendingRecompute.objects.values_list("commune_id", "year")) == {
        (le_loi.pk, None),
        (tran_phu.pk, None),
    }


def test_a_split_gives_the_desk_to_the_chosen_successor(commune_staff, admin_user):
    doi_ngo = commune_on(BEFORE, DOI_NGO)
    link = kiosk_link_ensure(commune=doi_ngo)
    changes = [
        UnitChange(
            change=Change.SPLIT,
            predecessors=(DOI_NGO,),
            code=code,
            name=f"Xã {code}",
            kind="xã",
            district="218",
            takes_desk=code == "9002",
        )
        for code in ("9001", "9002")
    ]
    reorganization_apply(resolution="2/NQ", effective_on=NEXT, changes=changes, by=admin_user)

    new = {c.code: c for c in Commune.objects.filter(code__in=["9001", "9002"])}
    assert all(c.valid_from == NEXT for c in new.values())
    links = CommuneLink.objects.filter(predecessor=doi_ngo)
    assert {(x.successor.code, x.kind, x.takes_desk) for x in links} == {
        ("9001", LinkKind.PART, False),
        ("9002", LinkKind.PART, True),
    }
    commune_staff.scope.refresh_from_db()
    assert commune_staff.scope.commune == new["9002"]
    link.refresh_from_db()
    assert successor_in_force(unit=link.commune, on=NEXT) == new["9002"]
    assert successor_in_force(unit=link.commune, on=BEFORE) == doi_ngo


def test_a_rename_keeps_the_row_and_records_the_former_name(admin_user):
    doi_ngo = commune_on(BEFORE, DOI_NGO)
    change = UnitChange(
        change=Change.RENAME,
        predecessors=(DOI_NGO,),
        code=DOI_NGO,
        name="Thị trấn Lục Nam",
        kind=doi_ngo.kind,
        district="218",
    )
    reorganization_apply(resolution="3/NQ", effective_on=NEXT, changes=[change], by=admin_user)
    renamed = commune_on(NEXT, DOI_NGO)
    assert renamed.pk == doi_ngo.pk and renamed.name == "Thị trấn Lục Nam"
    link = CommuneLink.objects.get(predecessor=doi_ngo)
    assert (link.successor, link.kind, link.former_name) == (
        renamed,
        LinkKind.RENAMED,
        "Thị trấn Đồi Ngô",
    )


def test_a_parent_change_makes_a_new_row_and_the_old_district_keeps_the_history(
    admin_user, leloi_staff, other_district_official
):
    le_loi = commune_on(BEFORE, LE_LOI)
    change = UnitChange(
        change=Change.PARENT,
        predecessors=(LE_LOI,),
        code=LE_LOI,
        name="Phường Lê Lợi",
        kind="phường",
        district="218",
    )
    args = {"resolution": "4/NQ", "effective_on": NEXT, "changes": [change]}
    plan = reorganization_preview(**args)
    assert [m.what for m in plan.district_officials] == ["huyen-bgcity-test"]
    reorganization_apply(**args, by=admin_user)

    moved = commune_on(NEXT, LE_LOI)
    assert moved.pk != le_loi.pk and moved.district.code == "218"
    assert CommuneLink.objects.get(predecessor=le_loi).kind == LinkKind.PARENT_CHANGED
    # Bắc Giang city's official still sees Lê Lợi's old row (its history), not the new one.
    visible = Commune.objects.visible_to(other_district_official)
    assert visible.filter(pk=le_loi.pk).exists()
    assert not visible.filter(pk=moved.pk).exists()


# --- One transaction ----------------------------------------------------------------------


def test_a_failure_mid_apply_leaves_nothing_half_done(admin_user, leloi_staff):
    le_loi = commune_on(BEFORE, LE_LOI)
    with (
        mock.patch.object(reorganizations, "_move_users", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        reorganization_apply(**_merge_le_loi_into_tran_phu(), by=admin_user)

    le_loi.refresh_from_db()
    assert le_loi.valid_to is None
    assert not Reorganization.objects.exists()
    assert not CommuneLink.objects.filter(predecessor=le_loi).exists()
    assert UserScope.objects.get(user=leloi_staff).commune == le_loi


# --- A reused code never mixes two units' data --------------------------------------------


def test_a_reused_code_never_mixes_two_units_data(admin_user, client_for, leloi_staff):
    criterion = Criterion.objects.filter(is_required=True).first()
    old = commune_on(BEFORE, LE_LOI)
    Evidence.objects.create(commune=old, criterion=criterion, year=2026, note="Lê Lợi cũ")
    reorganization_apply(**_merge_le_loi_into_tran_phu(), by=admin_user)
    # A year later, a new ward takes the code 7219 again, split from Trần Phú.
    tran_phu = commune_on(NEXT, TRAN_PHU)
    changes = [
        UnitChange(
            change=Change.SPLIT,
            predecessors=(TRAN_PHU,),
            code=TRAN_PHU,
            name="Phường Trần Phú",
            kind="phường",
            district="213",
        ),
        UnitChange(
            change=Change.SPLIT,
            predecessors=(TRAN_PHU,),
            code=LE_LOI,
            name="Phường Lê Lợi Mới",
            kind="phường",
            district="213",
        ),
    ]
    day = datetime.date(2026, 6, 1)
    reorganization_apply(resolution="5/NQ", effective_on=day, changes=changes, by=admin_user)

    rows = Commune.objects.filter(code=LE_LOI).order_by(F("valid_from").asc(nulls_first=True))
    assert [(r.name, r.valid_from, r.valid_to) for r in rows] == [
        ("Phường Lê Lợi", None, datetime.date(2025, 12, 31)),
        ("Phường Lê Lợi Mới", day, None),
    ]
    new = rows[1]
    assert not Evidence.objects.filter(commune=new).exists()
    assert Evidence.objects.get(note="Lê Lợi cũ").commune == old
    # The new ward is Trần Phú's part, not Lê Lợi's successor: no link from the old row.
    assert not CommuneLink.objects.filter(predecessor=old, successor=new).exists()
    assert commune_on(day, TRAN_PHU) == tran_phu  # Trần Phú keeps its row and its staff
    assert UserScope.objects.get(user=leloi_staff).commune == tran_phu


# --- The kiosk ----------------------------------------------------------------------------


def test_a_poster_of_a_merged_commune_records_answers_for_its_successor(
    client, admin_user, questionnaire
):
    le_loi = commune_on(BEFORE, LE_LOI)
    link = kiosk_link_ensure(commune=le_loi)
    day = datetime.date(2026, 6, 1)  # in the past of the session's today
    args = _merge_le_loi_into_tran_phu(effective_on=day)
    reorganization_apply(**args, by=admin_user)

    page = client.get(kiosk_url(link))
    assert "Phường Trần Phú" in page.content.decode()
    data = {**all_answers(overall=5), "stamp": aged_stamp(link), "website": ""}
    with mock.patch("surveys.services.recompute_later"):
        response = client.post(kiosk_url(link), data)
    assert response.status_code == 302
    assert SurveyResponse.objects.get().commune == commune_on(day, TRAN_PHU)


def test_a_poster_of_a_commune_split_without_a_desk_says_the_survey_is_closed(
    client, questionnaire
):
    """Units loaded from the files may be split with no desk chosen: nothing is recorded."""
    doi_ngo = commune_on(BEFORE, DOI_NGO)
    link = kiosk_link_ensure(commune=doi_ngo)
    day = datetime.date(2026, 6, 1)
    doi_ngo.valid_to = day - datetime.timedelta(days=1)
    doi_ngo.save()
    district = District.objects.get(code="218")
    for code in ("9001", "9002"):
        successor = Commune.objects.create(
            code=code,
            name=code,
            kind="xã",
            province=doi_ngo.province,
            district=district,
            valid_from=day,
        )
        CommuneLink.objects.create(
            predecessor=doi_ngo,
            predecessor_code=DOI_NGO,
            predecessor_name=doi_ngo.name,
            successor=successor,
            kind=LinkKind.PART,
            effective_on=day,
        )
    assert client.get(kiosk_url(link)).status_code == 503


# --- September 2026, through the screen ---------------------------------------------------


def test_september_2026_recorded_through_the_screen(
    reorganized_units, client_for, admin_user, make_user, questionnaire
):
    """388/NQ-UBTVQH16: xã became phường with their codes unchanged, from 20/9/2026.

    A kind change keeps the unit's identity (same code, same parent, same row), so its
    2026 evidence, surveys and status stay the unit's, and 2026, evaluated on the units
    in force on its reference date (1/1/2026), still evaluates these same units.
    """
    before = {code: commune_on(IN_2026, code) for code in SEPTEMBER_2026}
    luc_nam = before["7444"]
    staff = make_user(Role.COMMUNE, "7444", username="xa-lucnam", on=IN_2026)
    link = kiosk_link_ensure(commune=luc_nam)
    criterion = Criterion.objects.filter(is_required=True, kind="evidence").first()
    Evidence.objects.create(
        commune=luc_nam,
        criterion=criterion,
        year=2026,
        state=EvidenceState.SUBMITTED,
        note="Biên bản 2026 của Lục Nam",
    )
    SurveyResponse.objects.create(
        commune=luc_nam,
        answered_on=datetime.date(2026, 5, 4),
        channel="paper",
        satisfied=True,
    )
    months_rebuild(commune_ids=[luc_nam.pk])
    statuses_recompute(year=2026, commune_ids=[luc_nam.pk])
    status_before = CertificationStatus.objects.get(commune=luc_nam, year=2026)
    rows = [
        {
            "change": "kind",
            "predecessors": code,
            "code": code,
            "name": f"Phường {name}",
            "kind": "phường",
            "district": "",
        }
        for code, name in SEPTEMBER_2026.items()
    ]
    client = client_for(admin_user)

    preview = client.post(NEW_URL, _form_data("388/NQ-UBTVQH16", "20/09/2026", rows))
    html = preview.content.decode()
    assert preview.status_code == 200, html
    assert html.count("Giữ bản ghi: cùng mã, cùng cấp trên.") == 5
    assert "Không đơn vị nào bị giải thể" in html
    assert not Reorganization.objects.filter(resolution="388/NQ-UBTVQH16").exists()

    applied = client.post(
        NEW_URL, _form_data("388/NQ-UBTVQH16", "20/09/2026", rows, action="apply")
    )
    reorganization = Reorganization.objects.get(resolution="388/NQ-UBTVQH16")
    assert applied.status_code == 302
    assert applied["Location"] == reverse("reorganization_detail", args=[reorganization.pk])
    assert reorganization.effective_on == SEPT_2026

    after = Commune.objects.in_force(on=datetime.date(2026, 10, 1)).filter(code__in=SEPTEMBER_2026)
    assert {(c.code, c.kind, c.name) for c in after} == {
        (code, "phường", f"Phường {name}") for code, name in SEPTEMBER_2026.items()
    }
    assert {c.pk for c in after} == {c.pk for c in before.values()}
    links = CommuneLink.objects.filter(reorganization=reorganization)
    assert {(x.predecessor_code, x.kind, x.former_kind) for x in links} == {
        (code, LinkKind.KIND_CHANGED, "xã") for code in SEPTEMBER_2026
    }
    assert all(
        (x.resolution, x.effective_on, x.certainty)
        == ("388/NQ-UBTVQH16", SEPT_2026, Certainty.VERIFIED)
        for x in links
    )
    # 2026 is evaluated on the units in force on 1/1/2026: the same rows.
    assert set(
        Commune.objects.in_force_in(2026)
        .filter(code__in=SEPTEMBER_2026)
        .values_list("pk", flat=True)
    ) == {c.pk for c in before.values()}
    # The commune's staff still reach it, and its 2026 evidence is on its 2026 page.
    staff_client = client_for(staff)
    assert staff_client.get(reverse("commune_detail", args=["7444"])).status_code == 200
    evidence_page = staff_client.get(
        reverse("evidence_detail", args=["7444", 2026, criterion.code])
    )
    assert "Biên bản 2026 của Lục Nam" in evidence_page.content.decode()
    assert luc_nam.survey_responses.filter(answered_on__year=2026).count() == 1
    # Its 2026 status stays its own, on its 2026 page, and a recompute gives the same.
    statuses_recompute(year=2026, commune_ids=[luc_nam.pk])
    status_after = CertificationStatus.objects.get(commune=luc_nam, year=2026)
    assert (status_after.status, status_after.survey_responses) == (
        status_before.status,
        status_before.survey_responses,
    )
    assert status_after.survey_responses == 1
    page_2026 = staff_client.get(reverse("commune_detail", args=["7444"]), {"year": 2026})
    assert status_after.get_status_display() in page_2026.content.decode()
    # The printed poster keeps working, for the same unit.
    kiosk = Client().get(kiosk_url(link))
    assert kiosk.status_code == 200
    assert "Phường Lục Nam" in kiosk.content.decode()
    assert successor_in_force(unit=link.commune, on=datetime.date(2026, 10, 1)) == luc_nam
    # The result page lists the five.
    result = client_for(admin_user).get(applied["Location"]).content.decode()
    assert result.count("Đổi loại đơn vị") == 5


# --- The form's other buttons, and the queries of the pages --------------------------------


KIND_ROWS = [
    {
        "change": "kind",
        "predecessors": code,
        "code": code,
        "name": f"Phường {code}",
        "kind": "phường",
        "district": "218",
    }
    for code in ("7450", "7453", "7456", "7459", "7462")
]


def test_more_rows_and_back_to_editing_keep_what_was_typed_and_write_nothing(
    client_for, admin_user
):
    client = client_for(admin_user)
    data = _form_data("6/NQ", "01/01/2026", KIND_ROWS[:1], action="more")
    html = client.post(NEW_URL, data).content.decode()
    assert html.count('name="units-6-code"') == 1  # 1 row + 6 more
    assert 'value="Phường 7450"' in html
    data["action"] = "edit"
    assert 'value="Phường 7450"' in client.post(NEW_URL, data).content.decode()
    assert not Reorganization.objects.exists()


def test_the_preview_and_the_result_pages_take_a_flat_number_of_queries(
    client_for, admin_user, django_assert_max_num_queries
):
    client = client_for(admin_user)
    # Guards against a query per row: the units, districts and moves are read in bulk.
    with django_assert_max_num_queries(12):
        page = client.post(NEW_URL, _form_data("7/NQ", "01/01/2026", KIND_ROWS))
    assert page.status_code == 200
    client.post(NEW_URL, _form_data("7/NQ", "01/01/2026", KIND_ROWS, action="apply"))
    reorganization = Reorganization.objects.get(resolution="7/NQ")
    # Guards against a query per link (its units, their staff).
    with django_assert_max_num_queries(8):
        page = client.get(reverse("reorganization_detail", args=[reorganization.pk]))
    assert page.content.decode().count("Đổi loại đơn vị") == 5


def test_a_2023_poster_follows_both_real_reorganizations(reorganized_units, client, questionnaire):
    """Lê Lợi (7219) joined Trần Phú on 1/1/2025, which joined Phường Bắc Giang (7210, a
    reused code) on 1/7/2025: a poster printed for Lê Lợi in 2023 answers for Bắc Giang."""
    le_loi = commune_on(datetime.date(2023, 6, 1), LE_LOI)
    link = kiosk_link_ensure(commune=le_loi)
    page = client.get(kiosk_url(link))
    assert "Phường Bắc Giang" in page.content.decode()
    bac_giang = commune_on(datetime.date(2025, 7, 1), "7210")
    assert successor_in_force(unit=le_loi, on=datetime.date(2025, 7, 1)) == bac_giang
    assert successor_in_force(unit=le_loi, on=datetime.date(2025, 3, 1)).code == TRAN_PHU


def test_the_poster_of_a_commune_with_an_unknown_successor_says_the_survey_is_closed(
    reorganized_units, client, questionnaire
):
    lao_ho = commune_on(datetime.date(2023, 6, 1), "7684")
    link = kiosk_link_ensure(commune=lao_ho)
    assert client.get(kiosk_url(link)).status_code == 503


def test_a_split_through_the_screen_keeps_the_desk_choice_from_preview_to_apply(
    client_for, admin_user, commune_staff
):
    rows = [
        {
            "change": "split",
            "predecessors": DOI_NGO,
            "code": code,
            "name": f"Xã {code}",
            "kind": "xã",
            "district": "218",
            "takes_desk": code == "9002",
        }
        for code in ("9001", "9002")
    ]
    client = client_for(admin_user)
    preview = client.post(NEW_URL, _form_data("8/NQ", "01/01/2026", rows))
    html = preview.content.decode()
    assert "xa-doingo-test: chuyển từ Thị trấn Đồi Ngô sang Xã 9002" in html
    # The preview's form carries every value, the tick included, to Apply.
    hidden = dict(re.findall(r'<input type="hidden" name="(units-\d-\w+)" value="([^"]*)"', html))
    assert hidden["units-1-takes_desk"] == "True"
    data = {**_form_data("8/NQ", "01/01/2026", []), **hidden, "action": "apply"}
    data["units-TOTAL_FORMS"] = "2"
    assert client.post(NEW_URL, data).status_code == 302
    commune_staff.scope.refresh_from_db()
    assert commune_staff.scope.commune.code == "9002"


# --- Above commune level: a district left with no commune ends ---------------------------


@pytest.fixture
def small_district(db):
    """A district of two communes (made here), next to Bắc Giang city."""
    city = District.objects.get(code="213")
    district = District.objects.create(
        code="299", name="Huyện Thử", kind="Huyện", province=city.province
    )
    for code, name in (("99001", "Xã Một"), ("99002", "Xã Hai")):
        Commune.objects.create(
            code=code, name=name, kind="xã", district=district, province=city.province
        )
    return district


def _move_to_the_city(*codes):
    return {
        "resolution": "77/NQ-TEST",
        "effective_on": NEXT,
        "changes": [
            UnitChange(
                change=Change.PARENT,
                predecessors=(code,),
                code=code,
                name=Commune.objects.get(code=code).name,
                kind="xã",
                district="213",
            )
            for code in codes
        ],
    }


def test_the_preview_lists_a_district_left_with_no_commune_as_ending(small_district):
    assert reorganization_preview(**_move_to_the_city("99001")).districts_ending == []
    plan = reorganization_preview(**_move_to_the_city("99001", "99002"))
    assert plan.districts_ending == [small_district]


def test_applying_ends_the_district_and_its_page_says_where_its_communes_went(
    small_district, admin_user, client
):
    reorganization_apply(**_move_to_the_city("99001", "99002"), by=admin_user)

    small_district.refresh_from_db()
    assert small_district.valid_to == NEXT - datetime.timedelta(days=1)
    assert District.objects.in_force(on=NEXT).filter(code="299").count() == 0
    moved = Commune.objects.in_force(on=NEXT).filter(code__in=["99001", "99002"])
    assert {c.district.code for c in moved} == {"213"}
    client.force_login(admin_user)
    page = client.get("/districts/299/?year=2025")
    assert "không còn hiệu lực từ ngày 1/1/2026" in page.content.decode()
    assert {g.successor for g in page.context["successors"]} == set(moved)


def test_a_failed_apply_leaves_the_district_in_force(small_district, admin_user):
    with (
        mock.patch.object(reorganizations, "_move_users", side_effect=RuntimeError("down")),
        pytest.raises(RuntimeError),
    ):
        reorganization_apply(**_move_to_the_city("99001", "99002"), by=admin_user)

    small_district.refresh_from_db()
    assert small_district.valid_to is None
    assert Commune.objects.filter(code="99001").count() == 1
    assert not Reorganization.objects.filter(resolution="77/NQ-TEST").exists()


def test_the_preview_page_names_the_district_that_ends(small_district, admin_user, client):
    client.force_login(admin_user)
    row = {"change": Change.PARENT, "district": "213", "kind": "xã"}
    rows = [
        {**row, "predecessors": "99001", "code": "99001", "name": "Xã Một"},
        {**row, "predecessors": "99002", "code": "99002", "name": "Xã Hai"},
    ]
    page = client.post(NEW_URL, _form_data("77/NQ-TEST", "2026-01-01", rows))
    html = page.content.decode()
    assert "Huyện Thử (299) không còn xã nào" in html, html[:3000]


# --- The units loader, which every deployment runs, keeps what was recorded ---------------


def _kind_changes_of_september_2026():
    return {
        "resolution": "388/NQ-UBTVQH16",
        "effective_on": SEPT_2026,
        "changes": [
            UnitChange(
                change=Change.KIND,
                predecessors=(code,),
                code=code,
                name=f"Phường {name}",
                kind="phường",
                district="",
            )
            for code, name in SEPTEMBER_2026.items()
        ],
    }


def _in_force(on, codes=None):
    units = Commune.objects.in_force(on=on)
    if codes is not None:
        units = units.filter(code__in=codes)
    return sorted(units.values_list("pk", "code", "name", "kind", "valid_to"))


def test_loading_the_units_again_keeps_the_kind_changes_recorded_on_the_screen(
    reorganized_units, admin_user
):
    """``make migrate`` runs ``load_units`` at every deployment: the files still say "Xã
    Lục Nam", and must not undo what an administrator recorded after them."""
    reorganization_apply(**_kind_changes_of_september_2026(), by=admin_user)
    october = datetime.date(2026, 10, 1)
    recorded = _in_force(october)

    result = units_load()

    assert _in_force(october) == recorded
    assert {c.name for c in Commune.objects.filter(code__in=SEPTEMBER_2026, valid_to=None)} == {
        f"Phường {name}" for name in SEPTEMBER_2026.values()
    }
    links = CommuneLink.objects.filter(reorganization__resolution="388/NQ-UBTVQH16")
    assert {(x.predecessor_code, x.former_kind) for x in links} == {
        (code, "xã") for code in SEPTEMBER_2026
    }
    # What the files decide is still theirs: nothing else was written.
    assert (result.created, result.updated, result.links_created) == (0, 0, 0)


def test_loading_the_units_again_keeps_a_merge_recorded_on_the_screen(
    reorganized_units, admin_user
):
    reorganization_apply(
        resolution="12/NQ-TEST",
        effective_on=NEXT,
        changes=[
            UnitChange(
                change=Change.MERGE,
                predecessors=(DOI_NGO, "7375"),
                code=DOI_NGO,
                name="Xã Lục Nam Mới",
                kind="xã",
                district="",
            )
        ],
        by=admin_user,
    )
    recorded = _in_force(IN_2026)
    before = _in_force(NEXT - datetime.timedelta(days=1), [DOI_NGO, "7375"])

    units_load()

    assert _in_force(IN_2026) == recorded
    # Đồi Ngô's row goes on (same code, no district) under its new name; Lạng Giang's ended.
    (luc_nam,) = _in_force(IN_2026, [DOI_NGO, "7375"])
    assert luc_nam[1:] == (DOI_NGO, "Xã Lục Nam Mới", "xã", None)
    assert _in_force(NEXT - datetime.timedelta(days=1), [DOI_NGO, "7375"]) == before
    assert {code: end for _pk, code, _name, _kind, end in before} == {
        DOI_NGO: None,
        "7375": NEXT - datetime.timedelta(days=1),
    }


def test_loading_the_units_again_keeps_a_district_ended_on_the_screen(admin_user):
    """The programme's basis alone (the default test data): a real district whose every
    commune moved to Bắc Giang city ends, and the loader leaves it ended."""
    smallest = min(
        District.objects.exclude(code="213"), key=lambda district: district.communes.count()
    )
    codes = list(smallest.communes.values_list("code", flat=True))
    reorganization_apply(**_move_to_the_city(*codes), by=admin_user)
    smallest.refresh_from_db()
    assert smallest.valid_to == NEXT - datetime.timedelta(days=1)
    recorded = _in_force(IN_2026)

    units_load(reorganizations=False)

    smallest.refresh_from_db()
    assert smallest.valid_to == NEXT - datetime.timedelta(days=1)
    assert _in_force(IN_2026) == recorded
    assert {
        c.district.code for c in Commune.objects.in_force(on=IN_2026).filter(code__in=codes)
    } == {"213"}


# --- A province's own change: Bắc Ninh became a centrally-run city -------------------------

CITY = "thành phố trung ương"


def _city_form(**extra):
    data = _form_data("39/2026/QH16", "20/09/2026", [])
    data.update(
        {
            "province_code": "24",
            "province_name": "Thành phố Bắc Ninh",
            "province_kind": CITY,
            **extra,
        }
    )
    return data


def test_a_province_becoming_a_city_is_recorded_through_the_screen(
    reorganized_units, client_for, admin_user, province_official
):
    """39/2026/QH16: Tỉnh Bắc Ninh became a centrally-run city from 20/9/2026. It keeps
    its code and its row: its communes, users and figures of every year stay its own."""
    province = Province.objects.in_force(on=IN_2026).get(code="24")
    communes = _in_force(datetime.date(2026, 10, 1))
    client = client_for(admin_user)

    preview = client.post(NEW_URL, _city_form())
    html = preview.content.decode()
    assert preview.status_code == 200, html
    assert "Tỉnh Bắc Ninh (24) là Thành phố Bắc Ninh (thành phố trung ương) từ 20/09/2026." in html
    assert "Không có đơn vị cấp xã nào thay đổi." in html
    assert not Reorganization.objects.filter(resolution="39/2026/QH16").exists()

    applied = client.post(NEW_URL, _city_form(action="apply"))
    reorganization = Reorganization.objects.get(resolution="39/2026/QH16")
    assert applied["Location"] == reverse("reorganization_detail", args=[reorganization.pk])
    province.refresh_from_db()
    assert (province.name, province.kind, province.valid_to) == ("Thành phố Bắc Ninh", CITY, None)
    assert Province.objects.in_force(on=datetime.date(2026, 10, 1)).get(code="24") == province
    (rename,) = reorganization.province_renames.all()
    assert (rename.province, rename.former_name, rename.former_kind, rename.effective_on) == (
        province,
        "Tỉnh Bắc Ninh",
        "tỉnh",
        SEPT_2026,
    )
    assert _in_force(datetime.date(2026, 10, 1)) == communes
    detail = client.get(applied["Location"]).content.decode()
    assert "Tỉnh Bắc Ninh (24) là Thành phố Bắc Ninh (thành phố trung ương)" in detail
    # Its officials' pages name the city at once (the cached dashboards are forgotten).
    official = client_for(province_official)
    assert "Thành phố Bắc Ninh" in official.get("/?year=2026").content.decode()

    # Deploying again (load_units) keeps it.
    units_load()
    province.refresh_from_db()
    assert (province.name, province.kind) == ("Thành phố Bắc Ninh", CITY)


def test_a_province_change_and_the_communes_kind_changes_go_together(reorganized_units, admin_user):
    reorganization = reorganization_apply(
        **_kind_changes_of_september_2026(),
        province=ProvinceChange(code="24", name="Thành phố Bắc Ninh", kind=CITY),
        by=admin_user,
    )
    luc_nam = Commune.objects.in_force(on=datetime.date(2026, 10, 1)).get(code=DOI_NGO)
    assert (luc_nam.name, luc_nam.province.name) == ("Phường Lục Nam", "Thành phố Bắc Ninh")
    # The link says where the commune was the day before: in Tỉnh Bắc Ninh.
    link = CommuneLink.objects.get(reorganization=reorganization, predecessor=luc_nam)
    assert link.predecessor_province == "Tỉnh Bắc Ninh (24)"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"province_code": "99"}, "Không có tỉnh mã 99 có hiệu lực ngày 19/09/2026."),
        (
            {"province_name": "Tỉnh Bắc Ninh", "province_kind": "tỉnh"},
            "Tỉnh Bắc Ninh: tên và loại mới giống tên và loại hiện tại.",
        ),
        ({"province_name": ""}, "Cần cả mã tỉnh, tên mới và loại mới."),
        ({"province_kind": "vương quốc"}, "vương quốc không phải là một trong các lựa chọn"),
    ],
)
def test_a_wrong_province_change_is_named_and_nothing_is_written(
    reorganized_units, client_for, admin_user, extra, message
):
    response = client_for(admin_user).post(NEW_URL, _city_form(action="apply", **extra))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html, html[html.find("alert") : html.find("alert") + 600]
    assert not Reorganization.objects.filter(resolution="39/2026/QH16").exists()
    assert Province.objects.get(code="24", valid_to=None).name == "Tỉnh Bắc Ninh"


def test_a_reorganization_needs_a_unit_or_the_province_change(admin_user):
    with pytest.raises(ValidationError) as caught:
        reorganization_preview(resolution="1/NQ-TEST", effective_on=NEXT, changes=[])
    assert "Cần ít nhất một đơn vị, hoặc tên hay loại mới của tỉnh." in str(caught.value)
