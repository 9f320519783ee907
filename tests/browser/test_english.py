"""The English interface in a real browser: the checklist, the survey figures and the
dashboards read wholly in English. Only units' names stay Vietnamese: the elements that
show one are marked ``data-unit-name``, and a name within a sentence ("Lê Lợi ward's
Fast Friday", "Bắc Giang province") is a unit's name without its kind.
"""

import datetime
from unittest import mock

import pytest

from communes.models import Commune, Role
from surveys.models import Channel
from surveys.selectors import active_questionnaire
from surveys.services import questionnaire_create_default, survey_response_create
from targets import rules
from targets.models import Status
from tests.conftest import DOI_NGO
from tests.targets.dashboard_data import give_status, set_targets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456!"

# Visible text (and titles, labels, placeholders) in Vietnamese outside units' names.
VIETNAMESE_TEXT = r"""(names) => {
  const bare = (text) => names.reduce((rest, name) => rest.split(name).join(""), text);
  const vi = /[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]/i;
  const skip = "script,style,template,[hidden],[data-unit-name]";
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.trim();
    if (!text || !el || el.closest(skip) || !vi.test(bare(text))) continue;
    if (!el.getClientRects().length && !el.closest("details")) continue;
    found.push(text.slice(0, 120));
  }
  for (const el of document.body.querySelectorAll("[title],[aria-label],[placeholder]")) {
    if (el.closest(skip)) continue;
    for (const name of ["title", "aria-label", "placeholder"]) {
      const value = el.getAttribute(name);
      if (value && vi.test(bare(value))) found.push(`${name}="${value}"`);
    }
  }
  return found;
}"""


@pytest.fixture
def english_data(default_criteria, make_user):
    set_targets()
    doi_ngo = Commune.objects.get(code=DOI_NGO)
    give_status(
        doi_ngo,
        2025,
        Status.IN_PROGRESS,
        reasons=[
            {"code": rules.EVIDENCE_MISSING, "params": {"criterion": code}}
            for code in ("CSVC-01", "CSVC-02", "TDCB-01", "TT-01")
        ],
        responses=3,
        satisfied=2,
    )
    give_status(Commune.objects.get(code="7219"), 2025, Status.CERTIFIED)
    questionnaire_create_default()
    with mock.patch("surveys.services.recompute_later"):
        for overall in (5, 4, 2):
            survey_response_create(
                commune=doi_ngo,
                questionnaire=active_questionnaire(),
                answered_on=datetime.date(2025, 3, 10),
                answers={"Q1": 4, "Q11": overall},
                channel=Channel.PAPER,
            )
    make_user(Role.COMMUNE, DOI_NGO, username="commune-en", first_name="Lan", last_name="Do")
    make_user(Role.PROVINCE, "24", username="province-en", first_name="Minh", last_name="Ha")


def unit_names():
    """Every unit's name without its kind ("Lê Lợi" of "Phường Lê Lợi"), longest first."""
    from communes.models import District, Province

    names = set()
    for model in (Province, District, Commune):
        for name, kind in model.objects.values_list("name", "kind"):
            names.add(name[len(kind) :].strip() if name.lower().startswith(kind.lower()) else name)
    return sorted(names, key=len, reverse=True)


def english_page(browser, live_server, username):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize(
    "username, path",
    [
        ("commune-en", "/communes/7444/checklist/2025/"),
        ("commune-en", "/communes/7444/surveys/?year=2025"),
        ("commune-en", "/?year=2025"),
        ("province-en", "/?year=2025"),
        ("province-en", "/communes/?year=2025"),
    ],
)
def test_the_page_reads_in_english_but_for_units_names(
    browser, live_server, english_data, username, path
):
    page = english_page(browser, live_server, username)
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert page.evaluate(VIETNAMESE_TEXT, unit_names()) == []
    page.context.close()
