"""A commune's responses are indexed apart by where they come from: kiosk and paper rows by
their commune, imported rows by their batch and then their commune
(``SurveyResponseQuerySet.of_communes``). Every reader by commune still finds all of
them, whatever file they came in, and the deletions still take them."""

import datetime

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from communes import hooks
from communes.models import Commune
from surveys import selectors
from surveys.importing import survey_file_import
from surveys.models import Channel, ImportBatch, SurveyResponse, SurveyYear
from surveys.rollup import months_rebuild
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db

HEADER = ["commune_code", "answered_on", "satisfied", "Q1", "Q11"]
MARCH = datetime.date(2024, 3, 5)


def _import(csv_file, rows, name):
    return survey_file_import(path=csv_file([HEADER, *rows], name=name), filename=name)


@pytest.fixture
def mixed(csv_file, make_responses, questionnaire, doi_ngo, le_loi, recompute):
    """Đồi Ngô and Lê Lợi with kiosk and paper rows, and rows of three imported files."""
    make_responses(doi_ngo, MARCH, satisfied=2, comment="Nhanh gọn")
    make_responses(doi_ngo, MARCH, unsatisfied=1, channel=Channel.PAPER)
    make_responses(le_loi, MARCH, satisfied=1)
    _import(csv_file, [["7444", "2024-03-06", "1", "5", "5"]], "a.csv")
    _import(
        csv_file,
        [["7444", "2024-03-07", "0", "2", "2"], [le_loi.code, "2024-03-07", "1", "4", "4"]],
        "b.csv",
    )
    _import(csv_file, [[le_loi.code, "2024-04-01", "1", "4", "5"]], "c.csv")
    return doi_ngo, le_loi


def _pks(queryset):
    return sorted(queryset.values_list("pk", flat=True))


def test_a_communes_responses_are_its_kiosk_paper_and_imported_rows_of_every_file(mixed):
    doi_ngo, le_loi = mixed

    assert _pks(SurveyResponse.objects.of_commune(doi_ngo)) == _pks(
        SurveyResponse.objects.filter(commune=doi_ngo)
    )
    assert SurveyResponse.objects.of_commune(doi_ngo).count() == 5
    both = SurveyResponse.objects.of_communes([doi_ngo.pk, le_loi.pk])
    assert _pks(both) == _pks(SurveyResponse.objects.all())
    assert sorted(SurveyResponse.objects.of_commune(le_loi).values_list("channel", flat=True)) == [
        "import",
        "import",
        "kiosk",
    ]


def test_only_imported_rows_or_only_some_files_can_be_read(mixed):
    doi_ngo, _le_loi = mixed
    b = ImportBatch.objects.get(filename="b.csv")

    imported = SurveyResponse.objects.of_commune(doi_ngo, entered=False)
    of_b = SurveyResponse.objects.of_commune(doi_ngo, batches=ImportBatch.objects.filter(pk=b.pk))

    assert set(imported.values_list("channel", flat=True)) == {"import"}
    assert imported.count() == 2
    assert sorted(of_b.exclude(channel=Channel.IMPORT).values_list("channel", flat=True)) == [
        "kiosk",
        "kiosk",
        "paper",
    ]
    assert of_b.filter(channel=Channel.IMPORT).get().import_batch == b


def test_a_file_imported_before_the_first_day_read_is_left_out_and_no_row_is_lost(mixed):
    """Rows are dated no later than the day their file came in (the importer refuses days
    to come): a file imported before ``since`` holds none of the days read."""
    doi_ngo, _le_loi = mixed
    a = ImportBatch.objects.get(filename="a.csv")
    ImportBatch.objects.filter(pk=a.pk).update(
        imported_at=timezone.make_aware(datetime.datetime(2024, 3, 6, 9, 0))
    )
    later = datetime.date(2024, 3, 8)

    read = SurveyResponse.objects.of_commune(doi_ngo, since=later)

    assert read.filter(import_batch=a).count() == 0
    assert _pks(read.filter(answered_on__gte=later)) == _pks(
        SurveyResponse.objects.filter(commune=doi_ngo, answered_on__gte=later)
    )
    # The day after it came in, and the day itself, still read it (a day's margin).
    assert SurveyResponse.objects.of_commune(doi_ngo, since=MARCH).filter(import_batch=a).count()


def test_question_shares_count_the_kiosk_paper_and_imported_answers(mixed):
    doi_ngo, _le_loi = mixed

    shares = selectors.question_shares(
        commune=doi_ngo, start=datetime.date(2024, 3, 1), end=datetime.date(2024, 3, 31)
    )

    q1 = next(q for q in shares.questions if q.code == "Q1")
    # Kiosk 5 and 5, paper 2, file a 5, file b 2.
    assert (q1.answered, q1.positive) == (5, 3)


def test_the_latest_entries_and_comments_read_every_kind_of_row(mixed):
    doi_ngo, _le_loi = mixed

    recent = list(selectors.recent_responses(commune=doi_ngo))
    comments = list(
        selectors.recent_comments(
            commune=doi_ngo, start=datetime.date(2024, 1, 1), end=datetime.date(2024, 12, 31)
        )
    )

    assert sorted(r.channel for r in recent) == ["import", "import", "kiosk", "kiosk", "paper"]
    assert [c.comment for c in comments] == ["Nhanh gọn", "Nhanh gọn"]


def test_the_roll_up_rebuilt_for_some_communes_counts_every_kind_of_row(mixed):
    doi_ngo, le_loi = mixed
    SurveyYear.objects.all().delete()

    months_rebuild(commune_ids=[doi_ngo.pk, le_loi.pk])

    years = SurveyYear.objects.values_list(
        "commune", "year", "responses", "satisfied", "responses_3", "responses_4"
    )
    assert sorted(years) == sorted([(doi_ngo.pk, 2024, 5, 3, 5, 0), (le_loi.pk, 2024, 3, 3, 2, 1)])


def test_the_responses_from_a_day_count_kiosk_and_imported_rows(mixed):
    """What the reorganization's preview reads (``communes.hooks``)."""
    doi_ngo, le_loi = mixed

    counts = hooks.survey_responses_from(
        commune_ids=[doi_ngo.pk, le_loi.pk], day=datetime.date(2024, 3, 6)
    )

    assert counts == {doi_ngo.pk: 2, le_loi.pk: 2}


def test_a_repeated_row_is_found_among_several_earlier_files_and_not_among_kiosk_rows(
    mixed, csv_file
):
    """The importer's rows already in (``_Earlier``) are read through the batches' index:
    a row of b.csv found again, a kiosk row's twin is new."""
    doi_ngo, le_loi = mixed

    report = _import(
        csv_file,
        [
            [le_loi.code, "2024-03-07", "1", "4", "4"],  # b.csv's
            ["7444", "2024-03-05", "1", "5", "5"],  # like a kiosk answer: new
        ],
        "d.csv",
    )

    assert (report.rows, report.already_in, report.written) == (2, 1, 1)
    assert [e.filename for e in report.earlier] == ["b.csv"]


def test_a_replace_deletes_the_earlier_files_rows_of_its_communes_and_days(mixed, csv_file):
    """b2.csv corrects b.csv for Đồi Ngô: b.csv's row there goes, its Lê Lợi row and
    a.csv's row of the same days stay."""
    doi_ngo, le_loi = mixed

    report = survey_file_import(
        path=csv_file(
            [HEADER, ["7444", "2024-03-07", "0", "2", "2"], ["7444", "2024-03-06", "1", "4", "4"]],
            name="b2.csv",
        ),
        filename="b2.csv",
        replace=True,
    )

    assert report.replaced == 1
    assert list(
        SurveyResponse.objects.filter(import_batch__filename="b.csv").values_list(
            "commune", flat=True
        )
    ) == [le_loi.pk]
    assert SurveyResponse.objects.filter(import_batch__filename="a.csv").count() == 1
    assert SurveyResponse.objects.of_commune(doi_ngo).count() == 6


def test_undoing_an_import_deletes_its_rows_only(mixed, admin_user):
    doi_ngo, le_loi = mixed
    b = ImportBatch.objects.get(filename="b.csv")
    b_pk = b.pk
    request = RequestFactory().post("/")
    request.user = admin_user

    site._registry[ImportBatch].delete_model(request, b)

    assert not SurveyResponse.objects.filter(import_batch_id=b_pk).exists()
    assert SurveyResponse.objects.of_commune(doi_ngo).count() == 4
    assert SurveyResponse.objects.of_commune(le_loi).count() == 2


def test_deleting_a_commune_deletes_its_kiosk_paper_and_imported_rows(mixed, admin_user):
    doi_ngo, le_loi = mixed
    request = RequestFactory().post("/")
    request.user = admin_user

    site._registry[Commune].delete_model(request, doi_ngo)

    assert set(SurveyResponse.objects.values_list("commune", flat=True)) == {le_loi.pk}
    assert SurveyResponse.objects.count() == 3


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_postgresql_reads_a_communes_responses_through_both_indexes(
    questionnaire, doi_ngo, recompute
):
    """With rows of many communes and files, the planner reads one commune's through the
    kiosk and paper rows' index and the batches' index, not the whole table."""
    if connection.vendor != "postgresql":
        skip_or_fail("the plan is PostgreSQL's")
    communes = list(Commune.objects.values_list("pk", flat=True))
    batches = ImportBatch.objects.bulk_create(
        ImportBatch(sha256=f"{n:064d}", filename=f"{n}.csv", rows=0) for n in range(20)
    )
    rows = []
    for n in range(6000):
        batch = batches[n % 40] if n % 40 < 20 else None
        rows.append(
            SurveyResponse(
                commune_id=communes[n % len(communes)],
                questionnaire=questionnaire,
                answered_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=n % 300),
                channel=Channel.IMPORT if batch else Channel.KIOSK,
                satisfied=n % 3 > 0,
                answers={"Q1": 4, "Q11": 5},
                import_batch=batch,
            )
        )
    SurveyResponse.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {SurveyResponse._meta.db_table}")

    plan = (
        SurveyResponse.objects.of_commune(doi_ngo)
        .filter(answered_on__range=(datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)))
        .explain()
    )

    assert "survey_entered_commune_day" in plan, plan
    assert "survey_batch_commune_day" in plan, plan
    assert "Seq Scan" not in plan, plan
