"""Measurement 6 of the benchmark: every page of the URL map, as each role, cold and warm."""

import pytest

from communes.models import Commune, Criterion, Evidence, EvidenceState
from tests.conftest import DOI_NGO
from tooling.bench import pages

pytestmark = pytest.mark.django_db

# The portal's own pages and, for the admin, its index and the communes' list and form.
SOME_ADMIN = {"admin:index", "admin:communes_commune_changelist", "admin:communes_commune_change"}


def portal_and_some_admin(url) -> bool:
    return not url.is_admin or url.key in SOME_ADMIN


def test_the_walker_answers_a_row_per_url_and_role_and_leaves_nothing_behind(doi_ngo):
    from django.contrib.auth import get_user_model

    Evidence.objects.create(
        commune=doi_ngo, criterion=Criterion.objects.get(code="CSVC-01"), year=2024,
        state=EvidenceState.SUBMITTED,
    )  # fmt: skip
    users_before = get_user_model().objects.count()

    rows = pages.walk_pages(only=portal_and_some_admin)

    urls = [url.key for url in pages.walk() if portal_and_some_admin(url)]
    assert sorted((row.url, row.role) for row in rows) == sorted(
        (url, role) for url in urls for role in pages.ROLES
    )
    by = {(row.url, row.role): row for row in rows}
    reviews = by[("reviews", "admin")]
    assert reviews.status == 200 and not reviews.skipped
    assert reviews.cold_queries > 0 and reviews.warm_queries > 0
    assert reviews.cold > 0 and reviews.cold_sql > 0
    assert by[("reviews", "commune")].status == 403  # commune staff have no queue
    assert by[("checklist", "district")].path == f"/communes/{DOI_NGO}/checklist/2024/"
    assert by[("evidence_detail", "commune")].status == 200  # its criterion sampled
    assert by[("admin:communes_commune_changelist", "admin")].status == 200
    assert by[("admin:communes_commune_change", "admin")].skipped.startswith("an admin form")
    assert by[("admin:index", "commune")].skipped.startswith("staff only")
    assert by[("logout", "admin")].skipped == "POST only (GET answers 405)"
    assert by[("decision_pdf", "province")].skipped.startswith("file download")
    # Each page is asked about a unit of its own kind: a province's page by a province code.
    assert by[("province_detail", "admin")].path == "/provinces/24/"
    assert by[("province_detail", "admin")].status == 200
    assert not [row for row in rows if row.status is not None and row.status >= 500]
    # Rolled back: the walker's users and their sessions are gone.
    assert get_user_model().objects.count() == users_before
    assert Commune.objects.get(code=DOI_NGO, valid_from=None) == doi_ngo


def test_the_table_lists_pages_asked_with_their_flags_and_the_skipped_by_reason():
    slow = pages.PageRow("reviews", "/reviews/", "admin", 200, 0.9, 10, 0.05, 0.8, 10, 0.05)
    fine = pages.PageRow("home", "/", "admin", 200, 0.1, 5, 0.04, 0.05, 3, 0.01)
    skipped = pages.PageRow("logout", "accounts/logout/", "admin", skipped="POST only")
    lines = pages.table([slow, fine, skipped])

    assert slow.flags == ["cold 18.0x SQL", "warm 16.0x SQL"]
    assert fine.flags == []  # under the floor where a page's fixed cost dominates
    assert any(line.startswith("reviews ") and "18.0x" in line for line in lines)
    assert lines[-1] == "- POST only: logout"


def test_pages_are_walked_with_what_came_before_frozen_and_unfrozen_after(monkeypatch):
    import gc

    seen = []

    def walk(**_):
        seen.append(gc.get_freeze_count())
        return [pages.PageRow("home", "/", "admin", 200, 0.1, 5, 0.04, 0.05, 3, 0.01)]

    monkeypatch.setattr(pages, "walk_pages", walk)
    summary = pages.measure_pages(write=lambda line: None)

    assert seen[0] > 0  # the walk ran with this process's objects frozen
    assert gc.get_freeze_count() == 0
    assert "1 asked" in summary[0].what
