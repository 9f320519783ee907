"""The SIPAS questionnaire: shipped as version 1, edited only as a new version."""

import datetime
import importlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from surveys import services
from surveys.importing import survey_file_import
from surveys.models import Channel, Element, Question, Questionnaire, SurveyResponse
from surveys.selectors import active_questionnaire


@pytest.mark.django_db
def test_version_1_asks_about_the_five_sipas_elements_and_overall(questionnaire):
    assert questionnaire.version == 1 and questionnaire.is_active
    questions = list(questionnaire.questions.all())
    assert [q.code for q in questions] == [f"Q{n}" for n in range(1, 12)]
    elements = {q.element for q in questions}
    assert elements == set(Element.values)
    assert [q.element for q in questions if q.element == Element.OVERALL] == [Element.OVERALL]
    assert "Bộ phận Một cửa" in questions[-1].text


@pytest.mark.django_db
def test_questions_of_an_answered_version_cannot_change(questionnaire, make_responses, doi_ngo):
    question = questionnaire.questions.first()
    question.full_clean()  # no answers yet: editable
    make_responses(doi_ngo, datetime.date(2024, 1, 5), satisfied=1)
    question.text = "Một câu hỏi khác"
    with pytest.raises(ValidationError, match="tạo phiên bản mới"):
        question.full_clean()


@pytest.mark.django_db
def test_each_writer_of_responses_marks_its_version_answered_and_it_stays_so(
    questionnaire, doi_ngo, admin_user, csv_file, recompute
):
    answers = {q.code: 5 for q in questionnaire.questions.all()}
    response = services.survey_response_create(
        commune=doi_ngo,
        questionnaire=questionnaire,
        answered_on=datetime.date(2024, 1, 5),
        answers=answers,
        channel=Channel.PAPER,
    )
    assert Questionnaire.objects.get(pk=questionnaire.pk).is_frozen
    # A new version, answered only through an imported file.
    second = services.questionnaire_new_version(questionnaire=questionnaire)
    services.questionnaire_activate(questionnaire=second)
    assert not second.is_frozen
    survey_file_import(
        path=csv_file(
            [["commune_code", "answered_on", "satisfied", "Q11"], ["7444", "2024-02-01", "1", "5"]]
        ),
        filename="second.csv",
    )
    assert second.is_frozen
    # Answers deleted later do not make a version editable again: they were given.
    services.survey_responses_delete(
        responses=SurveyResponse.objects.filter(pk=response.pk), by=admin_user
    )
    assert questionnaire.is_frozen


@pytest.mark.django_db
def test_a_new_version_copies_the_questions_and_old_responses_keep_theirs(
    questionnaire, make_responses, doi_ngo
):
    old_response = make_responses(doi_ngo, datetime.date(2024, 1, 5), satisfied=1)[0]
    copy = services.questionnaire_new_version(questionnaire=questionnaire)
    assert copy.version == 2 and not copy.is_active
    assert [q.code for q in copy.questions.all()] == [q.code for q in questionnaire.questions.all()]
    changed = copy.questions.get(code="Q1")
    changed.text = "Nơi ngồi chờ có quạt, có nước uống."
    changed.full_clean()
    changed.save()
    services.questionnaire_activate(questionnaire=copy)
    assert active_questionnaire() == copy
    assert Questionnaire.objects.filter(is_active=True).count() == 1
    old_response.refresh_from_db()
    assert old_response.questionnaire == questionnaire
    assert questionnaire.questions.get(code="Q1").text.startswith("Nơi ngồi chờ tại")


@pytest.mark.django_db
def test_a_version_without_an_overall_question_cannot_be_used(questionnaire):
    copy = services.questionnaire_new_version(questionnaire=questionnaire)
    copy.questions.filter(element=Element.OVERALL).delete()
    with pytest.raises(ValidationError):
        services.questionnaire_activate(questionnaire=copy)
    assert active_questionnaire() == questionnaire


@pytest.mark.django_db
def test_the_admin_shows_answered_questions_read_only_and_copies_a_version(
    client, admin_user, questionnaire, make_responses, doi_ngo
):
    make_responses(doi_ngo, datetime.date(2024, 1, 5), satisfied=1)
    client.force_login(admin_user)
    change = reverse("admin:surveys_questionnaire_change", args=[questionnaire.pk])
    html = client.get(change).content.decode()
    assert 'name="questions-0-text_vi"' not in html  # read-only once answered
    assert 'name="questions-0-text_en"' in html  # its translation stays editable
    response = client.post(
        reverse("admin:surveys_questionnaire_changelist"),
        {"action": "new_version", "_selected_action": [questionnaire.pk]},
    )
    assert response.status_code == 302
    copy = Questionnaire.objects.get(version=2)
    html = client.get(
        reverse("admin:surveys_questionnaire_change", args=[copy.pk])
    ).content.decode()
    assert 'name="questions-0-text_vi"' in html  # the new version is editable
    assert Question.objects.filter(questionnaire=copy).count() == 11


@pytest.mark.django_db
def test_the_admin_activates_one_version(client, admin_user, questionnaire):
    copy = services.questionnaire_new_version(questionnaire=questionnaire)
    client.force_login(admin_user)
    client.post(
        reverse("admin:surveys_questionnaire_changelist"),
        {"action": "activate", "_selected_action": [copy.pk]},
    )
    assert active_questionnaire() == copy


@pytest.mark.django_db
def test_the_admin_lists_responses_with_their_history(client, admin_user, make_responses, doi_ngo):
    response = make_responses(doi_ngo, datetime.date(2024, 1, 5), satisfied=1)[0]
    client.force_login(admin_user)
    assert client.get(reverse("admin:surveys_surveyresponse_changelist")).status_code == 200
    history = reverse("admin:surveys_surveyresponse_history", args=[response.pk])
    assert client.get(history).status_code == 200
    assert SurveyResponse.objects.count() == 1


@pytest.mark.django_db
def test_responses_are_read_only_in_the_admin(client, admin_user, make_responses, doi_ngo):
    response = make_responses(doi_ngo, datetime.date(2024, 1, 5), satisfied=1)[0]
    client.force_login(admin_user)
    change = reverse("admin:surveys_surveyresponse_change", args=[response.pk])
    client.post(change, {"satisfied": ""})
    response.refresh_from_db()
    assert response.satisfied is True
    assert client.get(reverse("admin:surveys_surveyresponse_add")).status_code == 403


@pytest.mark.django_db
def test_deleting_an_imported_file_in_the_admin_removes_its_responses_and_queues_recomputes(
    client, admin_user, make_responses, doi_ngo, le_loi, recompute
):
    from surveys.models import Channel, ImportBatch

    batch = ImportBatch.objects.create(sha256="0" * 64, filename="sai.xlsx", rows=3)
    make_responses(
        doi_ngo, datetime.date(2024, 1, 5), satisfied=2, channel=Channel.IMPORT, import_batch=batch
    )
    make_responses(
        le_loi, datetime.date(2023, 7, 5), satisfied=1, channel=Channel.IMPORT, import_batch=batch
    )
    kept = make_responses(doi_ngo, datetime.date(2024, 1, 5), satisfied=1)[0]
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:surveys_importbatch_changelist"),
        {"action": "delete_selected", "_selected_action": [batch.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not ImportBatch.objects.exists()
    assert list(SurveyResponse.objects.all()) == [kept]
    assert SurveyResponse.history.filter(history_type="-", history_user=admin_user).count() == 3
    assert sorted(c.kwargs["year"] for c in recompute.call_args_list) == [2023, 2024]


@pytest.mark.django_db
def test_the_upgrade_marks_the_versions_that_have_responses(questionnaire, make_responses, doi_ngo):
    """Migration 0017 fills ``answered`` from the responses already there."""
    from django.apps import apps

    upgrade = importlib.import_module("surveys.migrations.0017_questionnaire_answered_kept_on_it")
    second = services.questionnaire_new_version(questionnaire=questionnaire)
    make_responses(doi_ngo, datetime.date(2024, 1, 5), satisfied=1)
    Questionnaire.objects.update(answered=False)  # as the new column starts

    upgrade.answered_from_responses(apps, None)

    assert questionnaire.is_frozen and not second.is_frozen
