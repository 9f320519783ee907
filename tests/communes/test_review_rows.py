"""The review queue's rows, written in Python (``review_rows`` for the wide table,
``review_items`` for the phones' list): what each row says, escaped, in the interface
language."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from communes.models import Commune, Criterion, CriterionKind, District
from communes.templatetags.checklist import review_items, review_rows
from communes.text import person_name

NOW = timezone.now()
OVERDUE_BEFORE = NOW - datetime.timedelta(days=7)


def submitted(*, days=2, name="Đồi Ngô", title="Niêm yết công khai thủ tục", **extra):
    """A submitted evidence as the queue's query gives it (with ``files_count``)."""
    district = District(name="Lục Nam", code="218")
    commune = Commune(name=name, code="7450", district=district)
    criterion = Criterion(
        pk=extra.pop("criterion_pk", 1),
        code=extra.pop("code", "TC-01"),
        title=title,
        kind=extra.pop("kind", CriterionKind.EVIDENCE),
        unit=extra.pop("unit", ""),
    )
    fields = {
        "commune": commune,
        "criterion": criterion,
        "year": 2025,
        "submitted_at": NOW - datetime.timedelta(days=days),
        "submitted_by": get_user_model()(username="xa.doingo", first_name="Lan", last_name="Lê"),
        "files_count": 2,
        "approved_snapshot": None,
        "reviewed_at": None,
        "value": None,
        **extra,
    }
    return SimpleNamespace(**fields)


def test_a_row_says_the_commune_criterion_year_submitter_wait_and_files():
    ev = submitted()
    with translation.override("vi"):
        row = str(review_rows([ev], OVERDUE_BEFORE, read_only=False, show_district=False))
        item = str(review_items([ev], OVERDUE_BEFORE, read_only=False, show_district=False))
    url = reverse("evidence_detail", args=["7450", 2025, "TC-01"])
    for html in (row, item):
        assert "Đồi Ngô" in html and "TC-01" in html and "Niêm yết công khai thủ tục" in html
        assert "2025" in html and person_name(ev.submitted_by) in html
        assert "2 ngày" in html and f'href="{url}"' in html and "Xem và duyệt" in html
        assert "Lục Nam" not in html and "Quá hạn" not in html
    assert '<td class="text-end">2</td>' in row
    assert "2 tệp" in item
    assert row.startswith("<tr>") and item.startswith('<li class="list-group-item px-2">')


def test_an_overdue_row_is_marked_and_an_official_only_reads_with_the_district_shown():
    ev = submitted(days=10)
    row = str(review_rows([ev], OVERDUE_BEFORE, read_only=True, show_district=True))
    item = str(review_items([ev], OVERDUE_BEFORE, read_only=True, show_district=True))
    assert row.startswith('<tr class="table-danger">')
    assert item.startswith('<li class="list-group-item px-2 list-group-item-danger">')
    for html in (row, item):
        assert "Quá hạn" in html and "10 ngày" in html and "Lục Nam" in html
        assert "btn-outline-secondary" in html and ">Xem<" in html and "Xem và duyệt" not in html


def test_a_measured_value_and_a_second_submission_are_shown():
    returned = submitted(
        kind=CriterionKind.MEASURED, unit="%", value=Decimal("96.50"), reviewed_at=NOW
    )
    updated = submitted(approved_snapshot={"value": "95"}, reviewed_at=NOW)
    rows = str(
        review_rows([returned, updated], OVERDUE_BEFORE, read_only=False, show_district=False)
    )
    assert "<strong>96,5%</strong>" in rows
    assert "Gửi lại sau khi bị trả lại" in rows and "Cập nhật sau lần duyệt trước" in rows


def test_names_and_titles_are_escaped_and_long_titles_shortened():
    ev = submitted(name='<script>alert("x")</script>', title="Tiêu chí " + "rất dài " * 20)
    row = str(review_rows([ev], OVERDUE_BEFORE, read_only=False, show_district=True))
    item = str(review_items([ev], OVERDUE_BEFORE, read_only=False, show_district=True))
    for html in (row, item):
        assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)" in html
        assert "…" in html and "rất dài " * 20 not in html


def test_the_rows_follow_the_interface_language():
    ev = submitted(days=10, files_count=1)
    with translation.override("en"):
        item = str(review_items([ev], OVERDUE_BEFORE, read_only=False, show_district=False))
    assert "10 days" in item and "Overdue" in item and "1 file" in item
    assert "Xem và duyệt" not in item


@pytest.mark.django_db
def test_an_empty_queue_writes_nothing():
    assert str(review_rows([], OVERDUE_BEFORE, read_only=False, show_district=False)) == ""


def test_a_row_without_its_submission_time_is_still_written():
    ev = submitted(submitted_at=None)
    row = str(review_rows([ev], OVERDUE_BEFORE, read_only=False, show_district=False))
    item = str(review_items([ev], OVERDUE_BEFORE, read_only=False, show_district=False))
    assert "0 ngày" in row and "0 ngày" in item and "Quá hạn" not in row
