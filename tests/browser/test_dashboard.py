"""The dashboards' scripts in a real browser: charts drawn under the Content Security
Policy, and "recompute now" started without leaving the page."""

from datetime import date

import pytest
from django.urls import NoReverseMatch, reverse

from communes.models import Commune, Role
from targets import outbox
from targets.models import RecomputeRun, Status
from tests.conftest import DOI_NGO
from tests.targets.dashboard_data import give_status, set_targets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456!"


@pytest.fixture
def browser_page(browser):
    """A page of the shared Chromium that collects console errors, script errors and
    failed page resources (a CSP violation shows as one)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    errors = []
    # The browser's own favicon request is neither a page resource nor ours to serve.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.errors = errors
    yield page
    page.context.close()


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_the_dashboard_charts_are_drawn_without_breaking_the_content_security_policy(
    real_units, make_user, live_server, browser_page
):
    set_targets()
    give_status(Commune.objects.get(code=DOI_NGO), 2024, Status.CERTIFIED)
    make_user(Role.PROVINCE, "24", username="tinh-browser")
    page = browser_page

    log_in(page, live_server, "tinh-browser")
    page.goto(f"{live_server.url}/?year=2024")
    page.wait_for_load_state("networkidle")

    drawn = page.evaluate(
        """() => {
            const canvas = document.querySelector('canvas[data-chart="chart-share"]');
            return Boolean(window.Chart && window.Chart.getChart(canvas)) && canvas.width > 0;
        }"""
    )
    assert drawn
    assert page.errors == []  # no CSP violation, no script error


def test_recompute_now_starts_from_the_page_and_says_what_happens_next(
    real_units, make_user, live_server, browser_page, monkeypatch
):
    set_targets()
    monkeypatch.setattr(
        outbox,
        "recompute_all_start",
        lambda *, by: RecomputeRun.objects.create(state="queued"),
        raising=False,
    )
    make_user(Role.PROVINCE, "24", username="tinh-recompute")
    page = browser_page

    log_in(page, live_server, "tinh-recompute")
    page.goto(live_server.url + "/")
    page.click("text=Tính lại ngay")

    message = page.locator("[data-recompute-text]")
    message.wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelector('[data-recompute-text]').textContent.trim() !== ''"
    )
    try:
        reverse("api_recompute_run", args=[1])
    except NoReverseMatch:
        # Without the engine's progress endpoint, the page says to come back later.
        assert "Đã bắt đầu tính lại" in message.text_content()
    else:
        # With it, the page follows the (stubbed, never finishing) run.
        page.wait_for_function(
            "() => document.querySelector('[data-recompute-text]').textContent.includes('0/')"
        )
        assert "Đang tính: 0/" in message.text_content()
    assert page.url.rstrip("/") == live_server.url  # no navigation away
    assert RecomputeRun.objects.filter(queued_at__date__gte=date(2000, 1, 1)).count() == 1
