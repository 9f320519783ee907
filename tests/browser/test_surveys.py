"""The survey pages in a real browser: the kiosk on a phone, fast paper entry on a keyboard."""

from unittest import mock

import pytest
from django.test import override_settings

from surveys.models import Channel, SurveyResponse
from surveys.services import kiosk_link_ensure, questionnaire_create_default

pytestmark = pytest.mark.browser


@pytest.fixture
def chromium(browser):
    """The suite's shared Chromium (tests/browser/conftest.py)."""
    return browser


@pytest.fixture
def survey_setup(real_units):
    questionnaire_create_default()
    with mock.patch("surveys.services.recompute_later"):
        yield


def new_page(chromium, live_server, *, width):
    context = chromium.new_context(viewport={"width": width, "height": 800}, locale="vi-VN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    return page


@override_settings(SURVEY_KIOSK_MIN_SECONDS=0, SURVEY_KIOSK_THANKS_SECONDS=1)
def test_a_citizen_answers_on_a_phone_and_the_form_comes_back_for_the_next(
    chromium, live_server, survey_setup
):
    from communes.models import Commune

    link = kiosk_link_ensure(commune=Commune.objects.get(code="7444"))
    page = new_page(chromium, live_server, width=390)
    form_url = f"{live_server.url}/s/{link.token}/"
    page.goto(form_url)
    # Fits a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Sending before answering: the browser points at the first unanswered question.
    page.click("#submit-id-send")
    assert SurveyResponse.objects.count() == 0
    for code in [f"Q{n}" for n in range(1, 11)]:
        page.click(f"label[for=id_{code}_4]")
    page.click("label[for=id_Q11_5]")
    page.click("#submit-id-send")
    page.wait_for_selector("text=Xin cảm ơn Ông/Bà!")
    # The thank-you goes back by itself to a fresh form for the next citizen.
    page.wait_for_url(form_url, timeout=5_000)
    assert page.locator("input[type=radio]:checked").count() == 0
    response = SurveyResponse.objects.get()
    assert response.channel == Channel.KIOSK and response.satisfied
    assert page.js_errors == []


def test_staff_type_paper_forms_with_digits_only(chromium, live_server, survey_setup, make_user):
    from communes.models import Role

    make_user(Role.COMMUNE, "7444", username="xa.nhap")
    page = new_page(chromium, live_server, width=1280)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "xa.nhap")
    page.fill("input[name=password]", "pw-123456!")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/communes/7444/surveys/entry/")
    page.keyboard.type("15/03/2024")
    page.keyboard.press("Tab")
    page.keyboard.type("45454x54545" + "2")  # the x is ignored; eleven answers, focus moves on
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Đã lưu phiếu ngày 15/03/2024")
    saved = SurveyResponse.objects.get()
    assert saved.answers == {
        "Q1": 4,
        "Q2": 5,
        "Q3": 4,
        "Q4": 5,
        "Q5": 4,
        "Q6": 5,
        "Q7": 4,
        "Q8": 5,
        "Q9": 4,
        "Q10": 5,
        "Q11": 2,
    }
    assert saved.satisfied is False
    # The next form keeps the date and waits on the first answer.
    assert page.input_value("input[name=answered_on]") == "15/03/2024"
    assert page.evaluate("document.activeElement.name") == "Q1"
    assert page.js_errors == []
