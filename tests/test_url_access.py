"""Every URL of the portal is held to its access rule; a new URL fails until it is classified.

The test walks the whole URL configuration (``get_resolver()``, recursively), fills each
pattern with sample arguments (Đồi Ngô's and Lục Nam's codes, objects of theirs made
here, a kiosk token) and asks, by GET and by POST:

- anonymous callers are sent to the login page (the API answers 401 in JSON, the admin
  sends them to its own login), except on the public pages listed in ``PUBLIC``;
- callers outside the unit in the URL (Lê Lợi's commune staff, Bắc Giang city's district
  official; for a district's pages also Đồi Ngô's own staff) get 403 or 404, for reading
  and for writing alike;
- pages limited to a role refuse the other roles;
- someone entitled (an admin, or the owner of a private object) gets neither 403 nor 404,
  so a sample that points at nothing cannot make the checks above pass by accident.

A method a view does not accept (405) is no leak, but every URL must answer at least one
method with its rule.
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from communes.models import (
    CommitteeMember,
    Commune,
    District,
    Evidence,
    GoodPractice,
    Level,
    Reorganization,
    SteeringCommittee,
)
from friendlygov.celery import app as celery_app
from surveys.models import Channel, SurveyResponse
from surveys.services import kiosk_link_ensure
from targets.models import DecisionCommune, RecognitionDecision, RecomputeRun, ReportRun
from tests.communes.conftest import image_bytes
from tests.conftest import BAC_GIANG_CITY, DOI_NGO, LE_LOI, LUC_NAM
from tooling.bench.pages import Url, concrete_path, walk

# --- The rule of every URL ---------------------------------------------------------------

PUBLIC = "public"  # anyone, no login
SIGNED_IN = "signed in"  # any signed-in user; it shows only what the caller's scope holds
COMMUNE = "commune"  # Đồi Ngô's: its code (or an object of Đồi Ngô) is in the URL
DISTRICT = "district"  # Lục Nam's: its code (or an object of Lục Nam) is in the URL
OWNER = "owner"  # held in the session of the user who made it
ADMIN = "admin"  # Django admin: staff only, others go to the admin's login

# The personas (tests/conftest.py) that must get 403 or 404 on another unit's URLs.
COMMUNE_OUTSIDERS = ("leloi_staff", "other_district_official")
DISTRICT_OUTSIDERS = ("leloi_staff", "other_district_official", "commune_staff")
NOT_PROVINCE = ("district_official", "commune_staff")
NOT_ADMIN = ("province_official", "district_official", "commune_staff", "leloi_staff")


@dataclass(frozen=True)
class Rule:
    kind: str
    # URL argument -> key of the ``samples`` fixture.
    args: dict = field(default_factory=dict)
    # Signed-in personas whose role may not use the URL at all (403).
    refused: tuple = ()
    # The persona entitled to it, for the control request.
    entitled: str = "admin_user"


def commune_args(**more):
    return {"code": "commune", **more}


def district_args(**more):
    return {"code": "district", **more}


EVIDENCE = commune_args(year="year", criterion="criterion")

RULES = {
    # Public: the health check, the login and language switch, citizens' pages.
    "healthz": Rule(PUBLIC),
    "favicon.ico": Rule(PUBLIC),
    "login": Rule(PUBLIC),
    "logout": Rule(PUBLIC),  # POST only; signing out needs no session
    "set_language": Rule(PUBLIC),
    "public_progress": Rule(PUBLIC),
    "survey_kiosk": Rule(PUBLIC, {"token": "kiosk_token"}),
    "survey_kiosk_thanks": Rule(PUBLIC, {"token": "kiosk_token"}),
    "survey_kiosk_code": Rule(PUBLIC),
    "kiosk_service_worker": Rule(PUBLIC),
    "admin:login": Rule(PUBLIC),
    "admin:logout": Rule(PUBLIC),  # POST only, like the portal's
    # Django's password reset (accounts/): anonymous by nature; the portal's own pages,
    # linked from the login page, mailed through EMAIL_URL.
    "password_reset": Rule(PUBLIC),
    "password_reset_done": Rule(PUBLIC),
    "password_reset_confirm": Rule(PUBLIC, {"uidb64": "reset_uid", "token": "reset_token"}),
    "password_reset_complete": Rule(PUBLIC),
    # Signed in, no unit in the address: each page narrows to the caller's scope.
    "home": Rule(SIGNED_IN),
    "password_change": Rule(SIGNED_IN),
    "password_change_done": Rule(SIGNED_IN),
    # The province reads every district's queue; only reviewers act on it.
    "reviews": Rule(SIGNED_IN, refused=("commune_staff",)),
    "worklist": Rule(SIGNED_IN),
    "commune_list": Rule(SIGNED_IN, refused=("commune_staff",)),
    "notification_list": Rule(SIGNED_IN),
    "notifications_read": Rule(SIGNED_IN),
    "notification_preferences": Rule(SIGNED_IN),
    "practices": Rule(SIGNED_IN),
    "practice_detail": Rule(SIGNED_IN, {"code": "practice"}),
    "practice_adopt": Rule(SIGNED_IN, {"code": "practice"}, refused=("province_official",)),
    "survey_import": Rule(SIGNED_IN, refused=("province_official",)),
    "survey_import_template": Rule(SIGNED_IN, {"fmt": "fmt"}, refused=("province_official",)),
    "recompute_start": Rule(SIGNED_IN, refused=NOT_PROVINCE),
    # A province's dashboard, opened from the national one (tests/targets/
    # test_dashboard_national.py: another province's is refused to a provincial official).
    "province_detail": Rule(SIGNED_IN, {"code": "province"}, refused=NOT_PROVINCE),
    "api_progress": Rule(SIGNED_IN, refused=("commune_staff",)),
    "api_recompute_start": Rule(SIGNED_IN, refused=NOT_PROVINCE),
    "api_recompute_run": Rule(SIGNED_IN, {"run_id": "run"}, refused=NOT_PROVINCE),
    # A commune's pages, files and API.
    "api_commune": Rule(COMMUNE, commune_args()),
    "commune_detail": Rule(COMMUNE, commune_args()),
    "checklist": Rule(COMMUNE, commune_args(year="year")),
    "evidence_detail": Rule(COMMUNE, EVIDENCE),
    "evidence_submit": Rule(COMMUNE, EVIDENCE),
    "evidence_reopen": Rule(COMMUNE, EVIDENCE),
    "evidence_review": Rule(COMMUNE, EVIDENCE),
    "evidence_carry_over": Rule(
        COMMUNE,
        commune_args(year="year", source="evidence"),
        refused=("commune_staff", "province_official"),
    ),
    "evidence_file": Rule(COMMUNE, {"pk": "evidence_file"}),
    "evidence_file_thumbnail": Rule(COMMUNE, {"pk": "evidence_file"}),
    "evidence_file_view": Rule(COMMUNE, {"pk": "evidence_file"}),
    "evidence_file_delete": Rule(COMMUNE, {"pk": "evidence_file"}),
    "commune_committee": Rule(COMMUNE, commune_args()),
    "commune_committee_edit": Rule(COMMUNE, commune_args()),
    "commune_member_add": Rule(COMMUNE, commune_args()),
    "commune_member_edit": Rule(COMMUNE, commune_args(pk="commune_member")),
    "commune_member_delete": Rule(COMMUNE, commune_args(pk="commune_member")),
    "commune_surveys": Rule(COMMUNE, commune_args()),
    "survey_entry": Rule(COMMUNE, commune_args()),
    "survey_response_delete": Rule(COMMUNE, commune_args(pk="survey_response")),
    "survey_export": Rule(COMMUNE, commune_args(fmt="fmt")),
    "survey_poster": Rule(COMMUNE, commune_args()),
    "kiosk_rotate": Rule(COMMUNE, commune_args()),
    # A district's pages.
    "district_detail": Rule(DISTRICT, district_args()),
    "district_committee": Rule(DISTRICT, district_args()),
    "district_committee_edit": Rule(DISTRICT, district_args()),
    "district_member_add": Rule(DISTRICT, district_args()),
    "district_member_edit": Rule(DISTRICT, district_args(pk="district_member")),
    "district_member_delete": Rule(DISTRICT, district_args(pk="district_member")),
    "district_investment": Rule(DISTRICT, district_args()),
    # The formal acts: recognition decisions (of Lục Nam's communes), deadlines, reports.
    "decision_list": Rule(SIGNED_IN, refused=("commune_staff",)),
    "decision_draft": Rule(SIGNED_IN, refused=("commune_staff",)),
    "decision_detail": Rule(DISTRICT, {"pk": "decision"}),
    "decision_commune_add": Rule(DISTRICT, {"pk": "decision"}),
    "decision_commune_remove": Rule(DISTRICT, {"pk": "decision", "commune_id": "decision_commune"}),
    "decision_issue": Rule(DISTRICT, {"pk": "decision"}),
    "decision_withdraw": Rule(DISTRICT, {"pk": "decision"}),
    "decision_pdf": Rule(DISTRICT, {"pk": "decision"}),
    "decision_scan": Rule(DISTRICT, {"pk": "decision"}),
    "deadlines": Rule(SIGNED_IN, refused=("commune_staff",)),
    "deadline_extend": Rule(
        COMMUNE, commune_args(year="year"), refused=("commune_staff", "province_official")
    ),
    "province_report": Rule(SIGNED_IN, {"year": "report_year"}, refused=NOT_PROVINCE),
    "province_report_page": Rule(SIGNED_IN, {"year": "report_year"}, refused=NOT_PROVINCE),
    "province_report_build": Rule(SIGNED_IN, {"year": "report_year"}, refused=NOT_PROVINCE),
    "district_report": Rule(DISTRICT, district_args(year="report_year")),
    "district_report_page": Rule(DISTRICT, district_args(year="report_year")),
    "district_report_build": Rule(DISTRICT, district_args(year="report_year")),
    "report_run_file": Rule(DISTRICT, {"pk": "report_run"}),
    # The administrators' reorganization screen.
    "reorganization_new": Rule(SIGNED_IN, refused=NOT_ADMIN),
    "reorganization_detail": Rule(SIGNED_IN, {"pk": "reorganization"}, refused=NOT_ADMIN),
    # A checked import file waits in its uploader's session until confirmed.
    "survey_import_confirm": Rule(OWNER, {"upload_id": "upload_id"}, entitled="commune_staff"),
}

# Arguments of the admin's URLs (every one of them staff-only, whatever the object).
ADMIN_ARGS = {
    "object_id": "1",
    "id": "1",
    "content_type_id": "1",
    "app_label": "communes",
    "url": "no-such-page/",
}


# --- Walking the URL configuration (tooling.bench.pages: the bench of every page walks the
# same map) ---------------------------------------------------------------------------------

ALL_URLS = list(walk())
SIGNED_IN_URLS = [url for url in ALL_URLS if not url.is_admin]
ADMIN_URLS = [url for url in ALL_URLS if url.is_admin]

# --- Requests -----------------------------------------------------------------------------

METHODS = ("get", "post")


def answers(client, path) -> dict:
    """The status (and redirect target) of a GET and of an empty POST to ``path``."""
    results = {}
    for method in METHODS:
        response = getattr(client, method)(path)
        results[method] = (response.status_code, response.get("Location", ""), response)
    return results


def accepted(results) -> dict:
    """The answers to the methods the view accepts; at least one method must be."""
    used = {m: r for m, r in results.items() if r[0] != 405}
    assert used, "the URL refuses every method: its sample arguments must be wrong"
    return used


@pytest.fixture(autouse=True)
def tasks_in_process(monkeypatch):
    # A control request may queue a recompute (POST /recompute/): never to the CI broker.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture
def samples(commune_staff, district_official, admin_user, tmp_path, settings):
    """Objects of Đồi Ngô and Lục Nam for the URLs' arguments, made as users make them."""
    doi_ngo = Commune.objects.get(code=DOI_NGO)
    luc_nam = District.objects.get(code=LUC_NAM)
    folder = tmp_path / "media"
    settings.MEDIA_ROOT = str(folder)
    # A photo, uploaded by Đồi Ngô's staff through the page (which makes its thumbnail).
    staff = Client()
    staff.force_login(commune_staff)
    response = staff.post(
        f"/communes/{DOI_NGO}/checklist/2025/CSVC-01/",
        {
            "version": 0,
            "note": "Băng rôn",
            "files": SimpleUploadedFile("anh.png", image_bytes(), "image/png"),
            "action": "save",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(commune=doi_ngo, year=2025, criterion__code="CSVC-01")
    evidence_file = evidence.files.get()
    assert evidence_file.thumbnail

    committees = {
        Level.COMMUNE: SteeringCommittee.objects.create(
            level=Level.COMMUNE, commune=doi_ngo, decision_number="1/QĐ",
            established_on=date(2023, 1, 5),
        ),
        Level.DISTRICT: SteeringCommittee.objects.create(
            level=Level.DISTRICT, district=luc_nam, decision_number="2/QĐ",
            established_on=date(2023, 1, 5),
        ),
    }  # fmt: skip
    members = {
        level: CommitteeMember.objects.create(
            committee=committee, full_name="Nguyễn Văn An", position="Chủ tịch",
            organisation="UBND", role="member",
        )
        for level, committee in committees.items()
    }  # fmt: skip
    response_row = SurveyResponse.objects.create(
        commune=doi_ngo, answered_on=date(2025, 3, 2), channel=Channel.PAPER, satisfied=True,
        entered_by=commune_staff,
    )  # fmt: skip
    practice, _ = GoodPractice.objects.get_or_create(
        code="ngay-thu-6-nhanh",
        defaults={"name": "Ngày thứ 6 nhanh", "description": "Thứ Sáu nhanh.", "origin": doi_ngo},
    )

    # A checked import file waiting for its uploader (Đồi Ngô's staff) to confirm it.
    (folder / "survey-imports").mkdir(parents=True)
    upload_id = "kiem-tra-truy-cap-0001"
    (folder / "survey-imports" / f"{upload_id}.upload").write_text(
        "commune_code,answered_on,satisfied\n7444,2025-03-01,1\n"
    )
    session = staff.session
    session["survey_imports"] = {upload_id: {"filename": "phieu.csv"}}
    session.save()

    # A draft recognition decision naming Đồi Ngô, with its signed scan, and a report
    # built for Lục Nam.
    decision = RecognitionDecision.objects.create(
        year=2024, kind="recognize", level="district", district=luc_nam, created_by=admin_user
    )
    decision.scan.save("qd.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    DecisionCommune.objects.create(decision=decision, commune=doi_ngo)
    report_run = ReportRun.objects.create(year=2024, district=luc_nam, state=ReportRun.State.DONE)
    report_run.file.save("bao-cao.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))

    return {
        "commune": DOI_NGO,
        "district": LUC_NAM,
        "province": "24",
        "decision": decision.pk,
        "decision_commune": doi_ngo.pk,
        "report_run": report_run.pk,
        "report_year": 2024,
        "year": 2025,
        "criterion": "CSVC-01",
        "evidence_file": evidence_file.pk,
        "evidence": evidence.pk,
        "commune_member": members[Level.COMMUNE].pk,
        "district_member": members[Level.DISTRICT].pk,
        "survey_response": response_row.pk,
        "run": RecomputeRun.objects.create(year=2025).pk,
        "kiosk_token": kiosk_link_ensure(commune=doi_ngo).token,
        "reorganization": Reorganization.objects.create(
            resolution="1/NQ-TEST", effective_on=date(2027, 1, 1)
        ).pk,
        "practice": practice.code,
        "fmt": "csv",
        "upload_id": upload_id,
        "reset_uid": "MQ",
        "reset_token": "set-password",
        "clients": {"commune_staff": staff},
    }


@pytest.fixture
def personas(
    samples,
    admin_user,
    province_official,
    district_official,
    other_district_official,
    commune_staff,
    leloi_staff,
):
    """A signed-in test client per persona (Đồi Ngô's staff keep their session)."""
    users = {
        "admin_user": admin_user,
        "province_official": province_official,
        "district_official": district_official,
        "other_district_official": other_district_official,
        "commune_staff": commune_staff,
        "leloi_staff": leloi_staff,
    }
    clients = dict(samples["clients"])
    for name, user in users.items():
        if name not in clients:
            clients[name] = Client()
            clients[name].force_login(user)
    return clients


def assert_sent_to_login(url: Url, results):
    for method, (status, location, response) in accepted(results).items():
        if url.key.startswith("api_"):
            assert status == 401, f"{method.upper()}: {status}"
            assert response["Content-Type"] == "application/json"
        else:
            assert status == 302, f"{method.upper()}: {status}"
            assert location.startswith("/accounts/login/?next="), f"{method.upper()}: {location}"


def assert_refused(results, who):
    for method, (status, _location, _response) in accepted(results).items():
        assert status in (403, 404), f"{who} got {status} on {method.upper()}"


def assert_entitled(results, who):
    for method, (status, _location, _response) in accepted(results).items():
        assert status not in (403, 404), f"{who} got {status} on {method.upper()}"
        assert status < 500


# --- The tests --------------------------------------------------------------------------


def test_every_url_of_the_portal_has_an_access_rule():
    unclassified = sorted(url.key for url in SIGNED_IN_URLS if url.key not in RULES)
    assert unclassified == [], "add these to RULES (and so to the checks below)"
    stale = sorted(set(RULES) - {url.key for url in SIGNED_IN_URLS})
    assert stale == [], "these URLs are gone: remove them from RULES"
    # The walk sees the whole configuration, the admin's URLs included.
    assert len(ADMIN_URLS) > 100
    assert {"survey_kiosk", "api_commune", "evidence_file"} <= {u.key for u in SIGNED_IN_URLS}


def test_only_the_listed_pages_are_public():
    public = sorted(key for key, rule in RULES.items() if rule.kind == PUBLIC)
    assert public == sorted(
        [
            "admin:login",
            "admin:logout",
            "favicon.ico",
            "healthz",
            "login",
            "logout",
            "password_reset",
            "password_reset_complete",
            "password_reset_confirm",
            "password_reset_done",
            "public_progress",
            "set_language",
            "survey_kiosk",
            "survey_kiosk_thanks",
            "survey_kiosk_code",
            "kiosk_service_worker",
        ]
    )


@pytest.mark.parametrize("url", SIGNED_IN_URLS, ids=lambda url: url.key)
def test_each_url_answers_each_caller_by_its_rule(url, samples, personas, client):
    rule = RULES.get(url.key)
    if rule is None:
        pytest.fail(f"{url.key} has no access rule (RULES)")
    path = concrete_path(url, {name: samples[key] for name, key in rule.args.items()})

    anonymous = answers(client, path)
    if rule.kind == PUBLIC:
        for method, (status, _location, _response) in accepted(anonymous).items():
            # A public form sent empty is answered with its errors (400), not refused.
            empty_form = method == "post" and status == 400
            assert status < 400 or empty_form, f"anonymous {method.upper()}: {status}"
        return
    assert_sent_to_login(url, anonymous)

    outsiders = {COMMUNE: COMMUNE_OUTSIDERS, DISTRICT: DISTRICT_OUTSIDERS}.get(rule.kind, ())
    if rule.kind == OWNER:
        outsiders = tuple(name for name in personas if name != rule.entitled)
    for who in (*outsiders, *rule.refused):
        assert_refused(answers(personas[who], path), who)

    # Last, as it may change things (a POST by the entitled user is a real request).
    assert_entitled(answers(personas[rule.entitled], path), rule.entitled)


def test_every_admin_url_sends_anonymous_and_non_staff_users_to_the_admin_login(
    client, leloi_staff, district_official, province_official
):
    callers = {"anonymous": client}
    for user in (leloi_staff, district_official, province_official):
        callers[user.username] = Client()
        callers[user.username].force_login(user)
    checked = 0
    for url in ADMIN_URLS:
        path = concrete_path(url, ADMIN_ARGS)
        for who, caller in callers.items():
            for method, (status, location, _r) in accepted(answers(caller, path)).items():
                assert status == 302, f"{who} {method.upper()} {path}: {status}"
                assert location.startswith("/admin/login/?next="), f"{who} {path}: {location}"
                checked += 1
    assert checked >= len(ADMIN_URLS) * len(callers)


def test_the_outsiders_really_are_outside(db):
    # What the rules above rely on: Lê Lợi is in Bắc Giang city, not in Lục Nam.
    le_loi = Commune.objects.select_related("district").get(code=LE_LOI)
    assert le_loi.district.code == BAC_GIANG_CITY != LUC_NAM


# --- The same rules in today's shape: no districts (Tỉnh Bắc Ninh from 1/7/2025) ---------
#
# The unit in the URL is Xã Lục Nam (7444 since 1/7/2025, formerly Đồi Ngô's code); the
# personas are today's: the province's official, its reviewer (doing what Lục Nam's
# district official did), Xã Lục Nam's staff; outsiders are Phường Bắc Giang's staff
# (7210, formerly Lê Lợi's successor) and a reviewer limited to Phường Bắc Giang. A
# district's pages are history in this shape (there is none in force): their rules are
# walked in the shape above, and tests/targets/test_years_through_time.py holds a
# dissolved district's official to read-only.

TODAY = date(2026, 3, 1)
TODAY_PERSONAS = {
    # the name the rules use -> today's persona
    "admin_user": "admin_user",
    "province_official": "bac_ninh_official",
    "district_official": "bac_ninh_reviewer",
    "commune_staff": "luc_nam_staff",
    "leloi_staff": "bac_giang_staff",
    "other_district_official": "limited_reviewer",
}


@pytest.fixture
def today_samples(reorganized_units, make_user, admin_user, tmp_path, settings):
    from communes.models import Role

    xa_luc_nam = Commune.objects.in_force(on=TODAY).get(code=DOI_NGO)
    bac_giang = Commune.objects.in_force(on=TODAY).get(code="7210")
    users = {
        "admin_user": admin_user,
        "bac_ninh_official": make_user(Role.PROVINCE, "24", on=TODAY),
        "bac_ninh_reviewer": make_user(Role.PROVINCE_REVIEWER, "24", on=TODAY),
        "luc_nam_staff": make_user(Role.COMMUNE, DOI_NGO, on=TODAY),
        "bac_giang_staff": make_user(Role.COMMUNE, "7210", on=TODAY),
        "limited_reviewer": make_user(Role.PROVINCE_REVIEWER, "24", on=TODAY),
    }
    users["limited_reviewer"].scope.limited_to.add(bac_giang)
    folder = tmp_path / "media"
    settings.MEDIA_ROOT = str(folder)
    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    staff = clients["luc_nam_staff"]
    response = staff.post(
        f"/communes/{DOI_NGO}/checklist/2026/CSVC-01/",
        {
            "version": 0,
            "note": "Băng rôn",
            "files": SimpleUploadedFile("anh.png", image_bytes(), "image/png"),
            "action": "save",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(commune=xa_luc_nam, year=2026, criterion__code="CSVC-01")
    committee = SteeringCommittee.objects.create(
        level=Level.COMMUNE, commune=xa_luc_nam, decision_number="5/QĐ",
        established_on=date(2025, 8, 5),
    )  # fmt: skip
    member = CommitteeMember.objects.create(
        committee=committee, full_name="Nguyễn Văn An", position="Chủ tịch",
        organisation="UBND", role="member",
    )  # fmt: skip
    response_row = SurveyResponse.objects.create(
        commune=xa_luc_nam, answered_on=date(2026, 3, 2), channel=Channel.PAPER,
        satisfied=True, entered_by=users["luc_nam_staff"],
    )  # fmt: skip
    practice, _ = GoodPractice.objects.get_or_create(
        code="ngay-thu-6-nhanh",
        defaults={"name": "Ngày thứ 6 nhanh", "description": "Thứ Sáu nhanh.", "origin": bac_giang},
    )
    (folder / "survey-imports").mkdir(parents=True)
    upload_id = "kiem-tra-truy-cap-0002"
    (folder / "survey-imports" / f"{upload_id}.upload").write_text(
        "commune_code,answered_on,satisfied\n7444,2026-03-01,1\n"
    )
    session = staff.session
    session["survey_imports"] = {upload_id: {"filename": "phieu.csv"}}
    session.save()
    return {
        "commune": DOI_NGO,
        "district": LUC_NAM,
        "province": "24",
        "year": 2026,
        "criterion": "CSVC-01",
        "evidence_file": evidence.files.get().pk,
        "evidence": evidence.pk,
        "commune_member": member.pk,
        "district_member": member.pk,
        "survey_response": response_row.pk,
        "run": RecomputeRun.objects.create(year=2026).pk,
        "report_year": 2026,
        "kiosk_token": kiosk_link_ensure(commune=xa_luc_nam).token,
        "reorganization": Reorganization.objects.create(
            resolution="1/NQ-TEST", effective_on=date(2026, 1, 1)
        ).pk,
        "practice": practice.code,
        "fmt": "csv",
        "upload_id": upload_id,
        "reset_uid": "MQ",
        "reset_token": "set-password",
        "clients": {rule_name: clients[name] for rule_name, name in TODAY_PERSONAS.items()},
    }


TODAY_URLS = [url for url in SIGNED_IN_URLS if url.key in RULES and RULES[url.key].kind != DISTRICT]


@pytest.mark.parametrize("url", TODAY_URLS, ids=lambda url: url.key)
def test_each_url_answers_each_caller_by_its_rule_where_there_are_no_districts(
    url, today_samples, client
):
    rule = RULES[url.key]
    personas = today_samples["clients"]
    path = concrete_path(url, {name: today_samples[key] for name, key in rule.args.items()})

    anonymous = answers(client, path)
    if rule.kind == PUBLIC:
        for method, (status, _location, _response) in accepted(anonymous).items():
            # A public form sent empty is answered with its errors (400), not refused.
            empty_form = method == "post" and status == 400
            assert status < 400 or empty_form, f"anonymous {method.upper()}: {status}"
        return
    assert_sent_to_login(url, anonymous)
    outsiders = {COMMUNE: COMMUNE_OUTSIDERS}.get(rule.kind, ())
    if rule.kind == OWNER:
        outsiders = tuple(name for name in personas if name != rule.entitled)
    for who in (*outsiders, *rule.refused):
        assert_refused(answers(personas[who], path), TODAY_PERSONAS[who])
    assert_entitled(answers(personas[rule.entitled], path), TODAY_PERSONAS[rule.entitled])
