"""The browser's print of the dashboards on A4: Chromium prints the page to PDF (as
"Print" does) and the result is read back: every column header whole (wrapped between
words, never letter by letter), a title line with the print date, page numbers."""

import io

import pytest
from pypdf import PdfReader

from communes.models import Commune, Role
from targets.models import Status
from tests.browser.test_dashboard import log_in
from tests.targets.dashboard_data import give_status, set_targets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASONS = [
    {"code": "evidence_missing", "params": {"criterion": code}}
    for code in ("CSVC-01", "CSVC-02", "CSVC-03", "TDCB-01", "TDCB-02", "TTHC-01", "CNTT-01")
]

# For each column header, the words the browser laid out on more than one line: a word
# split across lines is a header broken inside a word (letter by letter at worst).
SPLIT_WORDS = """() => {
  const split = [];
  for (const th of document.querySelectorAll("table thead th")) {
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      for (const match of text.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) split.push(`${th.innerText.trim()}: ${match[0]}`);
      }
    }
  }
  return split;
}"""


def header_words(page) -> set[str]:
    texts = page.eval_on_selector_all("table thead th", "ths => ths.map(th => th.innerText)")
    return {word for text in texts for word in text.split() if word not in "▲▼"}


def printed(page) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    return " ".join(p.extract_text() for p in reader.pages), len(reader.pages)


@pytest.fixture
def dashboards(real_units, make_user):
    set_targets()
    for commune in Commune.objects.filter(district__code="218"):
        certified = commune.code in ("7444", "7492")
        give_status(
            commune,
            2024,
            Status.CERTIFIED if certified else Status.IN_PROGRESS,
            [] if certified else REASONS,
            responses=40,
            satisfied=36,
            required=10,
            approved=8,
        )
    make_user(Role.PROVINCE, "24", username="tinh-print")


@pytest.mark.parametrize("path", ["/?year=2024", "/districts/218/?year=2024"])
def test_a_printed_dashboard_has_whole_headers_a_title_a_date_and_page_numbers(
    dashboards, live_server, page, path
):
    log_in(page, live_server, "tinh-print")
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    page.emulate_media(media="print")

    assert page.evaluate(SPLIT_WORDS) == []
    text, pages = printed(page)
    tokens = set(text.split())
    # A header broken inside a word would come back from the PDF as fragments.
    assert header_words(page) <= tokens
    assert "In ngày" in text
    heading = page.inner_text("h1")
    assert " ".join(heading.split()) in " ".join(text.split())
    assert f"1 / {pages}" in text and f"{pages} / {pages}" in text
    # The navigation and the buttons stay on the screen.
    assert "Đăng xuất" not in text and "Xuất Excel" not in text
