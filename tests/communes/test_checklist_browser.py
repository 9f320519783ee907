"""In a real browser: commune staff upload a photo and submit; the district approves it."""

import importlib
import io
import shutil

import pytest
from django.apps import apps
from PIL import Image

from communes.models import Evidence, EvidenceState
from tests.conftest import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pw-123456!"


@pytest.fixture
def default_criteria(real_units):
    """The shipped criteria again (a transactional test starts from a flushed database)."""
    migration = importlib.import_module("communes.migrations.0003_default_criteria")
    migration.create_default_criteria(apps, None)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "bang-ron.jpg"
    Image.new("RGB", (640, 480), (200, 30, 40)).save(path, format="JPEG")
    return path


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_photo_goes_from_the_commune_to_an_approval(
    live_server, default_criteria, make_user, photo, recompute
):
    if shutil.which(CHROMIUM) is None:
        skip_or_fail("Chromium is needed for browser tests")
    from playwright.sync_api import sync_playwright

    # Everything that touches the database happens outside Playwright's event loop.
    make_user("commune", "7444", username="xa-browser")
    make_user("district", "218", username="huyen-browser")
    evidence_page = f"{live_server.url}/communes/7444/checklist/2025/CSVC-01/"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        phone = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
        staff = phone.new_page()
        _login(staff, live_server.url, "xa-browser")
        staff.goto(evidence_page)
        staff.fill("textarea[name=note]", "Băng rôn tại cổng UBND")
        staff.set_input_files("input[name=files]", str(photo))
        staff.click("button[value=submit]")
        staff.wait_for_load_state("networkidle")
        assert "Đã gửi minh chứng cho huyện duyệt." in staff.content()
        thumbnail = staff.locator("img.evidence-thumb")
        assert thumbnail.evaluate("img => img.naturalWidth") > 0  # served by the scoped view

        reviewer = browser.new_context(locale="vi-VN").new_page()
        _login(reviewer, live_server.url, "huyen-browser")
        reviewer.goto(f"{live_server.url}/reviews/")
        reviewer.click("text=Xem và duyệt")
        reviewer.click("button[value=approve]")
        reviewer.wait_for_load_state("networkidle")
        assert "Đã duyệt CSVC-01" in reviewer.content()
        browser.close()

    evidence = Evidence.objects.get(commune__code="7444", criterion__code="CSVC-01", year=2025)
    assert evidence.state == EvidenceState.APPROVED
    assert evidence.files.get().original_name == "bang-ron.jpg"
    assert Image.open(io.BytesIO(evidence.files.get().file.read())).size == (640, 480)
