"""The admin: targets and rules editable, statuses and runs read-only with words."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from communes.models import EvidenceState
from targets import services
from targets.models import CertificationRule, CertificationStatus, RecomputeRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model",
    ["yeartarget", "certificationrule", "certificationstatus", "statuschange", "recomputerun"],
)
def test_every_targets_list_opens_for_an_admin(client_for, admin_user, checklist, model):
    services.statuses_recompute(year=2023)
    RecomputeRun.objects.create()
    response = client_for(admin_user).get(reverse(f"admin:targets_{model}_changelist"))
    assert response.status_code == 200


def test_a_status_shows_its_reasons_in_words_and_cannot_be_edited(
    client_for, admin_user, make_ready, doi_ngo
):
    make_ready([doi_ngo], states={"TC-DUNG-HAN": EvidenceState.REJECTED})
    services.statuses_recompute(year=2023)
    status = CertificationStatus.objects.get(commune=doi_ngo, year=2023)
    client = client_for(admin_user)

    page = client.get(reverse("admin:targets_certificationstatus_change", args=[status.pk]))

    assert "Tiêu chí TC-DUNG-HAN (Tỷ lệ hồ sơ đúng hạn): minh chứng bị trả lại" in page.text
    assert "Thị trấn Đồi Ngô 2023: Chưa đạt" in page.text
    assert "2.023" not in page.text  # a year, not a number with a thousands separator
    assert 'name="_save"' not in page.text
    assert client.get(reverse("admin:targets_certificationstatus_add")).status_code == 403


def test_the_nightly_schedule_is_listed_with_the_periodic_tasks(client_for, admin_user):
    call_command("write_schedules")
    page = client_for(admin_user).get(reverse("admin:django_celery_beat_periodictask_changelist"))
    assert "Tính lại kết quả công nhận hằng đêm" in page.text


def test_an_admin_recomputes_the_selected_years_from_the_rules_list(
    client_for, admin_user, checklist, django_capture_on_commit_callbacks
):
    rule = CertificationRule.objects.get(year=2024)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_user).post(
            reverse("admin:targets_certificationrule_changelist"),
            {"action": "recompute", "_selected_action": [rule.pk]},
            follow=True,
        )
    assert response.status_code == 200
    run = RecomputeRun.objects.get()
    assert (run.year, run.trigger, run.state) == (2024, "admin", "done")
    assert CertificationStatus.objects.filter(year=2024).count() == 209


def test_the_targets_admin_is_closed_to_officials(client_for, province_official):
    response = client_for(province_official).get(
        reverse("admin:targets_certificationstatus_changelist")
    )
    assert response.status_code == 302  # to the admin login: officials are not staff
