"""The kiosk when the desk's network drops: answers wait in the browser, and are counted
once each when it comes back."""

from unittest import mock

import pytest
from django.test import override_settings

from surveys.models import Channel, SurveyResponse
from surveys.services import kiosk_link_ensure, questionnaire_create_default

pytestmark = pytest.mark.browser


@pytest.fixture
def kiosk(real_units):
    from communes.models import Commune

    questionnaire_create_default()
    with mock.patch("surveys.services.recompute_later"):
        yield kiosk_link_ensure(commune=Commune.objects.get(code="7444"))


def answer(page, overall, comment=""):
    for code in [f"Q{n}" for n in range(1, 11)]:
        page.click(f"label[for=id_{code}_4]")
    page.click(f"label[for=id_Q11_{overall}]")
    if comment:
        page.fill("textarea[name=comment]", comment)
    page.click("#submit-id-send")


@override_settings(SURVEY_KIOSK_MIN_SECONDS=0)
def test_two_answers_given_offline_are_sent_when_the_network_returns(browser, live_server, kiosk):
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="vi-VN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    form_url = f"{live_server.url}/s/{kiosk.token}/"
    page.goto(form_url)
    # The service worker controls the page and has kept it for offline use.
    page.wait_for_function("() => !!navigator.serviceWorker.controller")

    page.wait_for_function(
        "() => caches.open('kiosk-v1').then((c) => c.match(location.href)).then((r) => {"
        " window.kioskCached = !!r; }) && window.kioskCached === true"
    )
    context.set_offline(True)
    # Loaded again without a network: the form comes from the service worker.
    page.reload()
    page.wait_for_selector("#kiosk-form")
    answer(page, overall=5, comment="Ghế chờ hơi ít")
    page.wait_for_selector("[data-kiosk-saved]:not([hidden])")
    assert page.locator("input[type=radio]:checked").count() == 0  # ready for the next
    answer(page, overall=2)
    assert page.evaluate("() => JSON.parse(localStorage.getItem('kiosk-queue')).length") == 2
    assert SurveyResponse.objects.count() == 0

    context.set_offline(False)
    page.wait_for_function(
        "() => JSON.parse(localStorage.getItem('kiosk-queue') || '[]').length === 0"
    )
    responses = list(SurveyResponse.objects.order_by("pk"))
    assert [(r.channel, r.satisfied) for r in responses] == [
        (Channel.KIOSK, True),
        (Channel.KIOSK, False),
    ]
    assert responses[0].comment == "Ghế chờ hơi ít"
    assert len({r.submission_token for r in responses}) == 2
    # Sent again (the browser lost its note that they went): still two.
    page.evaluate(
        """async () => {
            const form = document.getElementById('kiosk-form');
            const stamps = JSON.parse(document.getElementById('kiosk-offline-stamps').textContent);
            for (const stamp of stamps.slice(0, 2)) {
              const body = new URLSearchParams(new FormData(form));
              body.set('stamp', stamp);
              for (let n = 1; n <= 11; n++) body.set(`Q${n}`, '4');
              const headers = {'X-Kiosk-Queued': '1'};
              await fetch(location.href, {method: 'POST', body, headers});
            }
        }"""
    )
    assert SurveyResponse.objects.count() == 2
    assert errors == []
    context.close()


@override_settings(SURVEY_KIOSK_MIN_SECONDS=0)
def test_an_answer_whose_network_drops_on_the_way_waits_and_counts_once(
    browser, live_server, kiosk
):
    # The browser still believes it is online (navigator.onLine), but the answer never
    # reaches the desk's server: it must wait in the browser, not end on an error page.
    # The page's own request is dropped: without its service worker, which (once it
    # controls the page, at a moment the test does not choose) would send the answer
    # itself, out of the page's route's reach. The worker has the test above.
    context = browser.new_context(
        viewport={"width": 390, "height": 800}, locale="vi-VN", service_workers="block"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    form_url = f"{live_server.url}/s/{kiosk.token}/"
    page.goto(form_url)

    def drop_answers(route):
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(form_url, drop_answers)
    answer(page, overall=5)
    page.wait_for_selector("[data-kiosk-saved]:not([hidden])")
    assert page.url == form_url  # no browser error page
    assert page.evaluate("() => JSON.parse(localStorage.getItem('kiosk-queue')).length") == 1
    assert SurveyResponse.objects.count() == 0

    page.unroute(form_url)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_function(
        "() => JSON.parse(localStorage.getItem('kiosk-queue') || '[]').length === 0"
    )
    assert [(r.channel, r.satisfied) for r in SurveyResponse.objects.all()] == [
        (Channel.KIOSK, True)
    ]

    # Online again, the next citizen's answer goes straight to the thank-you page.
    answer(page, overall=4)
    page.wait_for_url(f"{form_url}cam-on/")
    assert SurveyResponse.objects.count() == 2
    context.close()


def test_the_page_is_kept_for_offline_use_even_when_a_first_try_fails(browser, live_server, kiosk):
    """The page keeps itself and its assets in the kiosk's cache in one go (all or
    nothing): a request lost on the way is tried again, so the desk can still answer
    offline. Without its service worker here, so that every request is the page's."""
    context = browser.new_context(
        viewport={"width": 390, "height": 800}, locale="vi-VN", service_workers="block"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    lost = []

    def lose_the_first_kept_stylesheet(route):
        # The stylesheet is asked twice at load: by the page to show itself, then by the
        # cache's addAll to keep it: the second one is lost, once.
        if not lost and route.request.resource_type != "stylesheet":
            lost.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/*.css", lose_the_first_kept_stylesheet)
    page.goto(f"{live_server.url}/s/{kiosk.token}/", wait_until="domcontentloaded")
    page.wait_for_function(
        "() => caches.open('kiosk-v1').then((c) => c.match(location.href)).then((r) => {"
        " window.kioskCached = !!r; }) && window.kioskCached === true"
    )
    assert lost
    context.close()
