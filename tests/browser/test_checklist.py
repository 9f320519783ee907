"""In a real browser: commune staff upload a photo and submit; the district approves it."""

import io

import pytest
from PIL import Image

from communes.models import Evidence, EvidenceState
from tests.browser.conftest import login

PASSWORD = "pw-123456!"


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "bang-ron.jpg"
    Image.new("RGB", (640, 480), (200, 30, 40)).save(path, format="JPEG")
    return path


def test_a_photo_goes_from_the_commune_to_an_approval(
    browser, live_server, default_criteria, make_user, photo
):
    make_user("commune", "7444", username="xa-browser")
    make_user("district", "218", username="huyen-browser")
    evidence_page = f"{live_server.url}/communes/7444/checklist/2025/CSVC-01/"

    phone = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
    staff = phone.new_page()
    staff.base_url = live_server.url
    login(staff, "xa-browser", PASSWORD)
    staff.goto(evidence_page)
    staff.fill("textarea[name=note]", "Băng rôn tại cổng UBND")
    staff.set_input_files("input[name=files]", str(photo))
    staff.click("button[value=submit]")
    staff.wait_for_load_state("networkidle")
    assert "Đã gửi minh chứng cho huyện duyệt." in staff.content()
    thumbnail = staff.locator("img.evidence-thumb")
    assert thumbnail.evaluate("img => img.naturalWidth") > 0  # served by the scoped view

    reviewer = browser.new_context(locale="vi-VN").new_page()
    reviewer.base_url = live_server.url
    login(reviewer, "huyen-browser", PASSWORD)
    reviewer.goto(f"{live_server.url}/reviews/")
    reviewer.click("text=Xem và duyệt")
    reviewer.click("button[value=approve]")
    reviewer.wait_for_load_state("networkidle")
    assert "Đã duyệt CSVC-01" in reviewer.content()
    phone.close()
    reviewer.context.close()

    evidence = Evidence.objects.get(commune__code="7444", criterion__code="CSVC-01", year=2025)
    assert evidence.state == EvidenceState.APPROVED
    assert evidence.files.get().original_name == "bang-ron.jpg"
    assert Image.open(io.BytesIO(evidence.files.get().file.read())).size == (640, 480)
