"""In a real browser on a 390-pixel phone: the commune's clerk and the district's reviewer
open the portal, see at once what waits for them, act on it, and never scroll sideways."""

import datetime

import pytest
from django.utils import timezone

from communes import services, uploads
from communes.models import Criterion, Evidence, EvidenceState, Notification
from tests.browser.conftest import login
from tests.communes.conftest import upload

PASSWORD = "pw-123456!"
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    """Whether the page fits the screen's width; on failure the test's output names what
    sticks out."""
    wider = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
            .map(el => el.tagName + '.' + el.className).slice(0, 5)"""
    )
    print("wider than the screen:", wider)
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(locale="vi-VN", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def submit(commune_code, code, by, *, year=2025):
    from communes.models import Commune

    return services.evidence_save(
        commune=Commune.objects.get(code=commune_code),
        criterion=Criterion.objects.get(code=code),
        year=year,
        by=by,
        version=0,
        note="Băng rôn",
        files=[uploads.check_upload(upload())],
        submit=True,
    ).evidence


def test_the_clerk_sees_a_returned_item_with_its_note_and_sends_it_again(
    phone, default_criteria, make_user
):
    clerk = make_user("commune", "7444", username="xa-phone")
    reviewer = make_user("district", "218", username="huyen-phone")
    evidence = submit("7444", "CSVC-01", clerk)
    services.evidence_return(
        evidence_id=evidence.pk, by=reviewer, version=evidence.version, note="Ảnh mờ, chụp lại"
    )

    login(phone, "xa-phone", PASSWORD)

    assert phone.url.endswith("/work/")
    returned = phone.locator("#returned")
    assert "Ảnh mờ, chụp lại" in returned.inner_text()
    assert no_sideways_scroll(phone)
    # The checklist narrowed to what needs action fits the phone too.
    phone.click("text=việc cần xử lý")
    assert "show=action" in phone.url
    assert no_sideways_scroll(phone)
    assert phone.locator("text=Băng rôn, khẩu hiệu").count() >= 1

    phone.goto(f"{phone.base_url}/communes/7444/checklist/2025/CSVC-01/")
    phone.fill("textarea[name=note]", "Đã chụp lại rõ hơn")
    phone.click("button[value=submit]")
    phone.wait_for_load_state("networkidle")
    assert "Đã gửi minh chứng cho huyện duyệt." in phone.content()

    phone.goto(f"{phone.base_url}/work/")
    assert "Không có minh chứng nào bị trả lại." in phone.locator("#returned").inner_text()
    assert Notification.objects.filter(user=reviewer, kind="submitted").exists()


def test_the_reviewer_sees_the_overdue_item_first_and_approves_it(
    phone, default_criteria, make_user
):
    clerk = make_user("commune", "7444", username="xa-phone2")
    make_user("district", "218", username="huyen-phone2")
    old = submit("7444", "CSVC-01", clerk)
    submit("7444", "CSVC-02", clerk)
    Evidence.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=20)
    )

    login(phone, "huyen-phone2", PASSWORD)

    assert phone.url.endswith("/work/")
    first = phone.locator("#h-queue ~ ul li").first
    assert "CSVC-01" in first.inner_text() and "Quá hạn" in first.inner_text()
    assert no_sideways_scroll(phone)
    for path in ("/reviews/", "/districts/218/"):
        phone.goto(phone.base_url + path)
        assert no_sideways_scroll(phone), path

    phone.goto(f"{phone.base_url}/work/")
    first = phone.locator("#h-queue ~ ul li").first
    first.locator("text=Xem và duyệt").click()
    phone.click("button[value=approve]")
    phone.wait_for_load_state("networkidle")
    assert "Đã duyệt CSVC-01" in phone.content()
    assert Evidence.objects.get(pk=old.pk).state == EvidenceState.APPROVED
    assert Notification.objects.filter(user=clerk, kind="approved").exists()


def test_the_review_page_shows_the_photo_in_its_viewer(phone, default_criteria, make_user):
    clerk = make_user("commune", "7444", username="xa-phone3")
    make_user("district", "218", username="huyen-phone3")
    submit("7444", "CSVC-01", clerk)

    login(phone, "huyen-phone3", PASSWORD)
    phone.goto(f"{phone.base_url}/communes/7444/checklist/2025/CSVC-01/")

    photo = phone.locator("img.evidence-full")
    photo.scroll_into_view_if_needed()
    assert photo.evaluate("img => img.complete && img.naturalWidth") > 0
    assert no_sideways_scroll(phone)
