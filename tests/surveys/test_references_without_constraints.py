"""The survey table has no foreign key constraint on its commune, questionnaire, import
batch and user (an import checks them once per file, not once per row): what the
constraints guaranteed still holds. A row naming no commune is a named error, deleting
a commune deletes its responses and its roll-up, a questionnaire that has responses
cannot be deleted, undoing an import deletes its rows, deleting a user empties the
column of their responses, and a commune or user deleted while a file is imported (or
a paper form entered) stops it with nothing written."""

import datetime
from unittest import mock

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.test import RequestFactory

from communes.models import Commune
from surveys import importing, services
from surveys.importing import ImportRefused, survey_file_import
from surveys.models import Channel, ImportBatch, Questionnaire, SurveyResponse, SurveyYear
from tests.surveys.conftest import all_answers

pytestmark = pytest.mark.django_db

HEADER = ["commune_code", "answered_on", "satisfied", "Q1", "Q11"]


def test_a_row_naming_no_commune_is_a_named_error(csv_file, questionnaire, recompute):
    rows = [HEADER, ["7444", "2024-03-05", "1", "4", "5"], ["99999", "2024-03-05", "1", "4", "5"]]
    with pytest.raises(ImportRefused) as refused:
        survey_file_import(path=csv_file(rows), filename="unknown.csv")

    assert refused.value.report.errors == ["dòng 3: mã xã “99999” không có trong danh mục"]
    assert not SurveyResponse.objects.exists() and not ImportBatch.objects.exists()


def test_deleting_a_commune_deletes_its_responses_and_its_roll_up(
    csv_file, questionnaire, doi_ngo, le_loi, recompute
):
    rows = [
        HEADER,
        ["7444", "2024-03-05", "1", "4", "5"],
        [le_loi.code, "2024-03-05", "1", "4", "5"],
    ]
    survey_file_import(path=csv_file(rows), filename="two.csv")

    doi_ngo.delete()

    assert list(SurveyResponse.objects.values_list("commune", flat=True)) == [le_loi.pk]
    assert list(SurveyYear.objects.values_list("commune", flat=True)) == [le_loi.pk]


@pytest.mark.parametrize("how", ["delete_model", "delete_queryset"])
def test_the_admins_deletion_of_a_commune_deletes_its_responses_and_its_roll_up(
    csv_file, questionnaire, doi_ngo, le_loi, admin_user, recompute, how
):
    """The admin locks the commune first (so that it waits for an import writing for it)
    and deletes it with its rows, from its page or from the list."""
    rows = [
        HEADER,
        ["7444", "2024-03-05", "1", "4", "5"],
        [le_loi.code, "2024-03-05", "1", "4", "5"],
    ]
    survey_file_import(path=csv_file(rows), filename="two.csv")
    request = RequestFactory().post("/")
    request.user = admin_user
    commune_admin = site._registry[Commune]

    if how == "delete_model":
        commune_admin.delete_model(request, doi_ngo)
    else:
        commune_admin.delete_queryset(request, Commune.objects.filter(pk=doi_ngo.pk))

    assert not Commune.objects.filter(pk=doi_ngo.pk).exists()
    assert list(SurveyResponse.objects.values_list("commune", flat=True)) == [le_loi.pk]
    assert list(SurveyYear.objects.values_list("commune", flat=True)) == [le_loi.pk]


def test_a_questionnaire_with_responses_cannot_be_deleted(csv_file, questionnaire, recompute):
    survey_file_import(
        path=csv_file([HEADER, ["7444", "2024-03-05", "1", "4", "5"]]), filename="a.csv"
    )

    with pytest.raises(ProtectedError):
        Questionnaire.objects.get(pk=questionnaire.pk).delete()
    assert SurveyResponse.objects.get().questionnaire == questionnaire


def test_deleting_an_import_batch_deletes_its_rows(csv_file, questionnaire, recompute):
    report = survey_file_import(
        path=csv_file([HEADER, ["7444", "2024-03-05", "1", "4", "5"]]), filename="a.csv"
    )

    ImportBatch.objects.get(pk=report.batch.pk).delete()

    assert not SurveyResponse.objects.exists()


def test_a_commune_deleted_while_the_file_is_imported_stops_the_import(
    csv_file, questionnaire, doi_ngo, le_loi, recompute
):
    """Another user deletes Đồi Ngô after the file was read and its rows written, before
    the import commits: the import names the commune and writes nothing."""
    rows = [
        HEADER,
        ["7444", "2024-03-05", "1", "4", "5"],
        [le_loi.code, "2024-03-05", "1", "4", "5"],
    ]
    take_out_repeats = importing._take_out_repeats

    def then_delete(*args, **kwargs):
        take_out_repeats(*args, **kwargs)
        Commune.objects.filter(pk=doi_ngo.pk).delete()

    with (
        mock.patch("surveys.importing._take_out_repeats", side_effect=then_delete),
        pytest.raises(ImportRefused) as refused,
    ):
        survey_file_import(path=csv_file(rows), filename="late.csv")

    assert refused.value.report.errors == [
        f"xã 7444 ({doi_ngo.name}) vừa bị xoá khỏi danh mục: tệp không được nhập"
    ]
    # The deletion was inside the refused import's transaction: rolled back with it.
    assert Commune.objects.filter(pk=doi_ngo.pk).exists()
    assert not SurveyResponse.objects.exists() and not SurveyYear.objects.exists()
    assert not ImportBatch.objects.exists()
    recompute.assert_not_called()


def test_an_import_without_an_active_questionnaire_names_no_questionnaire(
    csv_file, doi_ngo, recompute
):
    """Without a questionnaire the file's rows have none, and nothing is locked for it."""
    Questionnaire.objects.update(is_active=False)
    report = survey_file_import(
        path=csv_file([["commune_code", "answered_on", "satisfied"], ["7444", "2024-03-05", "1"]]),
        filename="plain.csv",
    )

    assert report.written == 1
    assert SurveyResponse.objects.get().questionnaire is None
    assert SurveyResponse.objects.get().answered_on == datetime.date(2024, 3, 5)


def test_an_import_names_its_user_on_its_rows_until_the_user_is_deleted(
    csv_file, questionnaire, admin_user, recompute
):
    survey_file_import(
        path=csv_file([HEADER, ["7444", "2024-03-05", "1", "4", "5"]]),
        filename="a.csv",
        by=admin_user,
    )
    assert SurveyResponse.objects.get().entered_by == admin_user

    get_user_model().objects.filter(pk=admin_user.pk).delete()

    assert SurveyResponse.objects.get().entered_by is None


def test_a_user_deleted_while_their_file_is_imported_stops_the_import(
    csv_file, questionnaire, admin_user, recompute
):
    take_out_repeats = importing._take_out_repeats

    def then_delete(*args, **kwargs):
        take_out_repeats(*args, **kwargs)
        get_user_model().objects.filter(pk=admin_user.pk).delete()

    with (
        mock.patch("surveys.importing._take_out_repeats", side_effect=then_delete),
        pytest.raises(ImportRefused) as refused,
    ):
        survey_file_import(
            path=csv_file([HEADER, ["7444", "2024-03-05", "1", "4", "5"]]),
            filename="late.csv",
            by=admin_user,
        )

    assert refused.value.report.errors == ["Tài khoản nhập tệp vừa bị xoá: tệp không được nhập"]
    assert get_user_model().objects.filter(pk=admin_user.pk).exists()  # rolled back
    assert not SurveyResponse.objects.exists() and not ImportBatch.objects.exists()
    recompute.assert_not_called()


def test_a_paper_form_entered_by_a_user_deleted_meanwhile_is_not_recorded(
    questionnaire, doi_ngo, commune_staff, recompute
):
    get_user_model().objects.filter(pk=commune_staff.pk).delete()  # the object keeps its id

    with pytest.raises(ValidationError) as error:
        services.survey_response_create(
            commune=doi_ngo,
            questionnaire=questionnaire,
            answered_on=datetime.date(2024, 2, 1),
            answers=all_answers(),
            channel=Channel.PAPER,
            by=commune_staff,
        )

    assert error.value.messages == ["Tài khoản của bạn vừa bị xoá: phiếu không được ghi."]
    assert not SurveyResponse.objects.exists() and not SurveyYear.objects.exists()
    recompute.assert_not_called()
