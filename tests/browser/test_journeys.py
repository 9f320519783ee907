"""The portal's main journeys end to end in a real browser, each user in their own window.

1. Evidence goes round the review loop: commune staff of Đồi Ngô submit a photo, the
   district of Lục Nam returns it with a note, staff read the note, fix and resubmit, the
   district approves; the recompute that the approval queues (in-process here) certifies
   Đồi Ngô, and the province dashboard counts one more certified commune.
2. Two citizens answer the desk kiosk one after the other: the form comes back empty
   for the second, and each answer is counted once, even the one sent with a double tap.
"""

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings
from PIL import Image

from communes.models import (
    Commune,
    Criterion,
    CriterionKind,
    Evidence,
    EvidenceState,
    Level,
    Role,
    SteeringCommittee,
)
from friendlygov.celery import app as celery_app
from surveys.models import Channel, SurveyResponse
from surveys.rollup import months_rebuild
from surveys.services import kiosk_link_ensure, questionnaire_create_default
from targets import services as target_services
from targets.models import CertificationStatus, PendingRecompute, Status
from tests.browser.conftest import login
from tests.conftest import DOI_NGO

pytestmark = pytest.mark.browser

PASSWORD = "pw-123456!"
YEAR = 2025  # the dashboards' default year from 2025 on
ITEM = "CSVC-01"  # the one item Đồi Ngô still lacks


@pytest.fixture
def tasks_in_process(monkeypatch):
    """The recompute an approval queues runs in the live server's thread, even when the
    suite runs with a broker (CI's browser step): no worker is needed to see its result."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)


def ready_but_one_item(commune, year, *, missing):
    """Give ``commune`` everything certification asks for in ``year`` except ``missing``:
    committee and launch, every other required item approved, 40 survey answers (36
    satisfied)."""
    SteeringCommittee.objects.create(
        level=Level.COMMUNE,
        commune=commune,
        decision_number="125/QĐ-UBND",
        established_on=datetime.date(year, 2, 1),
    )
    Commune.objects.filter(pk=commune.pk).update(model_launched_on=datetime.date(year, 3, 1))
    required = Criterion.objects.active_in(year).filter(is_required=True).exclude(code=missing)
    Evidence.objects.bulk_create(
        Evidence(
            commune=commune,
            criterion=criterion,
            year=year,
            state=EvidenceState.APPROVED,
            value=Decimal("98") if criterion.kind == CriterionKind.MEASURED else None,
        )
        for criterion in required
        if criterion.kind != CriterionKind.SURVEY
    )
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            commune=commune,
            answered_on=datetime.date(year, 1 + i % 12, 1 + i % 28),
            channel=Channel.PAPER,
            satisfied=i < 36,
        )
        for i in range(40)
    )
    months_rebuild(commune_ids=[commune.pk])


def photo(tmp_path, name, color):
    path = tmp_path / name
    Image.new("RGB", (800, 600), color).save(path, format="JPEG")
    return path


def window(browser, live_server, username, *, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    if username:
        login(page, username, PASSWORD)
    return page


def certified_on_the_dashboard(page) -> str:
    """The "Đạt chuẩn" figure of the province dashboard, as shown: "1/209"."""
    page.goto(f"{page.base_url}/?year={YEAR}")
    return page.locator(".figures .card-figure .display-6").first.inner_text().strip()


def send_for_review(page, evidence_url):
    page.click("button[value=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url == evidence_url
    assert "Đã gửi minh chứng cho huyện duyệt." in page.content()


def open_the_queue_item(page):
    page.goto(f"{page.base_url}/reviews/")
    page.click("text=Xem và duyệt")
    page.wait_for_load_state("networkidle")


def test_evidence_goes_round_the_review_loop_and_certifies_the_commune_on_the_dashboard(
    browser, live_server, default_criteria, make_user, tmp_path, tasks_in_process
):
    doi_ngo = Commune.objects.get(code=DOI_NGO)
    ready_but_one_item(doi_ngo, YEAR, missing=ITEM)
    target_services.statuses_recompute(year=YEAR)
    assert doi_ngo.statuses.get(year=YEAR).status == Status.IN_PROGRESS
    make_user(Role.COMMUNE, DOI_NGO, username="xa-hanhtrinh", first_name="Lan")
    make_user(Role.DISTRICT, "218", username="huyen-hanhtrinh", first_name="Minh")
    make_user(Role.PROVINCE, "24", username="tinh-hanhtrinh")
    evidence_url = f"{live_server.url}/communes/{DOI_NGO}/checklist/{YEAR}/{ITEM}/"

    province = window(browser, live_server, "tinh-hanhtrinh")
    assert certified_on_the_dashboard(province) == "0/209"

    # Commune staff, on a phone: a photo of the banner and a note, sent for review.
    staff = window(browser, live_server, "xa-hanhtrinh", width=390)
    staff.goto(evidence_url)
    staff.fill("textarea[name=note]", "Băng rôn tại cổng UBND thị trấn")
    staff.set_input_files("input[name=files]", str(photo(tmp_path, "bang-ron.jpg", "red")))
    send_for_review(staff, evidence_url)

    # The district returns it with a note saying what to fix.
    district = window(browser, live_server, "huyen-hanhtrinh")
    open_the_queue_item(district)
    district.fill("textarea[name=note]", "Ảnh chưa thấy khẩu hiệu; chụp lại cả Bộ phận một cửa.")
    district.click("button[value=return]")
    district.wait_for_load_state("networkidle")
    assert f"Đã trả lại {ITEM}" in district.content()
    assert district.locator("text=Xem và duyệt").count() == 0  # nothing else waits

    # Staff see the note on the item, fix it (a second photo) and send it again.
    staff.goto(evidence_url)
    returned = staff.locator(".alert-danger")
    assert "Ảnh chưa thấy khẩu hiệu; chụp lại cả Bộ phận một cửa." in returned.inner_text()
    assert "Bị trả lại" in staff.content()
    staff.fill("textarea[name=note]", "Băng rôn tại cổng và khẩu hiệu tại Bộ phận một cửa")
    staff.set_input_files("input[name=files]", str(photo(tmp_path, "mot-cua.jpg", "blue")))
    send_for_review(staff, evidence_url)
    assert staff.locator("img.evidence-thumb").count() == 2

    # The district approves; the approval queues the recompute of Đồi Ngô.
    open_the_queue_item(district)
    assert "khẩu hiệu tại Bộ phận một cửa" in district.content()
    district.click("button[value=approve]")
    district.wait_for_load_state("networkidle")
    assert f"Đã duyệt {ITEM}" in district.content()

    evidence = Evidence.objects.get(commune=doi_ngo, criterion__code=ITEM, year=YEAR)
    assert evidence.state == EvidenceState.APPROVED
    assert evidence.files.count() == 2
    assert CertificationStatus.objects.get(commune=doi_ngo, year=YEAR).status == Status.CERTIFIED
    assert not PendingRecompute.objects.exists()
    assert certified_on_the_dashboard(province) == "1/209"
    for page in (province, staff, district):
        assert page.js_errors == []
        page.context.close()


@override_settings(SURVEY_KIOSK_MIN_SECONDS=0, SURVEY_KIOSK_THANKS_SECONDS=1)
def test_two_citizens_answer_the_kiosk_one_after_the_other_and_each_counts_once(
    browser, live_server, real_units, tasks_in_process
):
    questionnaire_create_default()
    link = kiosk_link_ensure(commune=Commune.objects.get(code=DOI_NGO))
    form_url = f"{live_server.url}/s/{link.token}/"
    kiosk = window(browser, live_server, None, width=390)
    kiosk.goto(form_url)

    # The first citizen is satisfied and taps "send" twice in a hurry.
    for code in [f"Q{n}" for n in range(1, 11)]:
        kiosk.click(f"label[for=id_{code}_5]")
    kiosk.click("label[for=id_Q11_5]")
    kiosk.dblclick("#submit-id-send")
    kiosk.wait_for_selector("text=Xin cảm ơn Ông/Bà!")
    kiosk.wait_for_url(form_url, timeout=5_000)  # back by itself for the next citizen
    assert kiosk.locator("input[type=radio]:checked").count() == 0

    # The second is not satisfied.
    for code in [f"Q{n}" for n in range(1, 11)]:
        kiosk.click(f"label[for=id_{code}_2]")
    kiosk.click("label[for=id_Q11_2]")
    kiosk.click("#submit-id-send")
    kiosk.wait_for_selector("text=Xin cảm ơn Ông/Bà!")
    kiosk.wait_for_url(form_url, timeout=5_000)

    answers = list(SurveyResponse.objects.order_by("pk"))
    assert [(a.channel, a.satisfied) for a in answers] == [
        (Channel.KIOSK, True),
        (Channel.KIOSK, False),
    ]
    assert answers[0].answers["Q1"] == 5 and answers[1].answers["Q1"] == 2
    assert answers[0].submission_token != answers[1].submission_token
    # Each answer queued the recompute of Đồi Ngô's status, which ran.
    assert CertificationStatus.objects.get(commune__code=DOI_NGO, year=answers[0].answered_on.year)
    assert kiosk.js_errors == []
    kiosk.context.close()
