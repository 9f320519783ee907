"""Audit finding 8: the kiosk's limit holds across processes, a form is valid for a
bounded time, and a form opened before the link was rotated is refused on the new link."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from surveys.models import SurveyResponse
from surveys.services import kiosk_link_rotate
from tests.surveys.conftest import all_answers
from tests.surveys.test_kiosk import aged_stamp, kiosk_url

pytestmark = pytest.mark.django_db


# The per-process cache this test stands for, whatever CACHE_URL the suite runs with (with
# Redis every worker shares the count, and emptying it is not "another worker").
@override_settings(
    SURVEY_KIOSK_MAX_PER_MINUTE=3,
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
)
def test_the_limit_holds_when_each_answer_reaches_another_process(
    client, kiosk_link, questionnaire
):
    """With the default per-process cache, each gunicorn worker has its own: emptied
    between answers, as if each went to a fresh worker, the count must survive."""
    statuses = []
    for _ in range(5):
        cache.clear()  # the next worker's cache knows nothing of this client
        response = client.post(
            kiosk_url(kiosk_link), {**all_answers(overall=5), "stamp": aged_stamp(kiosk_link)}
        )
        statuses.append(response.status_code)
    assert statuses == [302, 302, 302, 429, 429]
    assert SurveyResponse.objects.count() == 3


def test_a_form_is_valid_for_two_hours_not_a_day(client, kiosk_link, questionnaire):
    stale = aged_stamp(kiosk_link, seconds=3 * 3600)
    response = client.post(kiosk_url(kiosk_link), {**all_answers(overall=5), "stamp": stale})
    assert response.status_code == 400
    assert "Phiếu đã mở quá lâu" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_form_opened_before_a_rotation_is_refused_on_the_new_link(
    client, kiosk_link, questionnaire, commune_staff
):
    opened = aged_stamp(kiosk_link)
    link = kiosk_link_rotate(commune=kiosk_link.commune, by=commune_staff)
    response = client.post(kiosk_url(link), {**all_answers(overall=5), "stamp": opened})
    assert response.status_code == 400
    assert "Phiếu không hợp lệ" in response.content.decode()
    assert not SurveyResponse.objects.exists()
