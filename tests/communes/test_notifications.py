"""Notifications: who is told of what, in the portal and by e-mail, and that no mail is lost.

Mail goes to Django's in-memory outbox here (``mail.outbox``); the test that talks to a
real SMTP server is ``test_mail_smtp.py``.
"""

from types import SimpleNamespace
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from kombu.exceptions import OperationalError as BrokerError

from communes import notifications, services, uploads
from communes.models import (
    Criterion,
    EvidenceState,
    Notification,
    NotificationKind,
    NotificationPreference,
    Role,
)
from tests.communes.conftest import EVIDENCE_CODE, MEASURED_CODE, upload
from tests.conftest import BAC_GIANG_CITY, DOI_NGO, LUC_NAM

YEAR = 2025


@pytest.fixture(autouse=True)
def tasks_in_process(monkeypatch):
    """The mail drain runs in the test's process, even where CI sets a broker."""
    from friendlygov.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def submit(commune, code, by, *, value=None):
    criterion = Criterion.objects.get(code=code)
    files = [] if value is not None else [uploads.check_upload(upload())]
    return services.evidence_save(
        commune=commune,
        criterion=criterion,
        year=YEAR,
        by=by,
        version=0,
        note="",
        value=value,
        files=files,
        submit=True,
    ).evidence


@pytest.fixture
def people(make_user):
    """Everyone who could be told, each with an e-mail address."""
    return SimpleNamespace(
        reviewer=make_user(Role.DISTRICT, LUC_NAM, email="huyen@example.org"),
        other_reviewer=make_user(Role.DISTRICT, BAC_GIANG_CITY, email="tp@example.org"),
        staff=make_user(Role.COMMUNE, DOI_NGO, email="xa@example.org"),
        other_staff=make_user(Role.COMMUNE, "7219", email="leloi@example.org"),
        province=make_user(Role.PROVINCE, "24", email="tinh@example.org"),
    )


@pytest.fixture
def mails(django_capture_on_commit_callbacks):
    """Run the callbacks queued for after the commit (the mail drain) as a commit would."""
    mail.outbox.clear()

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        return result

    return run


def told(kind):
    return sorted(n.user.username for n in Notification.objects.filter(kind=kind))


def test_a_submission_tells_the_communes_reviewers_and_nobody_else(
    people, doi_ngo, recompute, mails
):
    mails(lambda: submit(doi_ngo, EVIDENCE_CODE, people.staff))

    assert told(NotificationKind.SUBMITTED) == [people.reviewer.username]
    assert [m.to for m in mail.outbox] == [["huyen@example.org"]]
    assert "Thị trấn Đồi Ngô" in mail.outbox[0].body
    assert EVIDENCE_CODE in mail.outbox[0].body


def test_submissions_of_one_commune_gather_in_one_notification_and_one_mail(
    people, doi_ngo, recompute, mails
):
    def submit_two():
        submit(doi_ngo, EVIDENCE_CODE, people.staff)
        submit(doi_ngo, MEASURED_CODE, people.staff, value=97)

    mails(submit_two)

    notification = Notification.objects.get(kind=NotificationKind.SUBMITTED)
    assert notification.params["criteria"] == [EVIDENCE_CODE, MEASURED_CODE]
    assert len(mail.outbox) == 1
    assert "2 minh chứng" in mail.outbox[0].body


def test_a_return_tells_the_communes_staff_with_the_note(people, doi_ngo, recompute, mails):
    evidence = submit(doi_ngo, EVIDENCE_CODE, people.staff)
    Notification.objects.update(email_pending=False)  # the reviewer's mail went earlier

    mails(
        lambda: services.evidence_return(
            evidence_id=evidence.pk,
            by=people.reviewer,
            version=evidence.version,
            note="Ảnh mờ, chụp lại",
        )
    )

    assert told(NotificationKind.RETURNED) == [people.staff.username]
    assert [m.to for m in mail.outbox] == [["xa@example.org"]]
    assert "Ảnh mờ, chụp lại" in mail.outbox[0].body
    notification = Notification.objects.get(kind=NotificationKind.RETURNED)
    assert notification.url == reverse("evidence_detail", args=[DOI_NGO, YEAR, EVIDENCE_CODE])


def test_an_approval_tells_the_communes_staff_only(people, doi_ngo, recompute, mails):
    evidence = submit(doi_ngo, EVIDENCE_CODE, people.staff)
    mails(
        lambda: services.evidence_approve(
            evidence_id=evidence.pk, by=people.reviewer, version=evidence.version
        )
    )
    assert told(NotificationKind.APPROVED) == [people.staff.username]


def test_a_status_change_tells_the_communes_staff_but_a_first_computation_does_not(people):
    from targets.models import Status

    change = SimpleNamespace(
        commune_id=people.staff.scope.commune_id, year=YEAR, from_status="", to_status="X"
    )
    notifications.status_changes([change])
    assert not Notification.objects.exists()

    change.from_status, change.to_status = Status.IN_PROGRESS, Status.CERTIFIED
    notifications.status_changes([change])

    notification = Notification.objects.get(kind=NotificationKind.STATUS)
    assert notification.user == people.staff
    assert "Đạt chuẩn" in notifications.message(notification)


def test_the_recompute_tells_staff_when_their_status_changes(people, doi_ngo):
    from targets import services as target_services
    from targets.models import CertificationStatus, Status

    target_services.commune_recompute(commune_id=doi_ngo.pk, year=YEAR)
    assert not Notification.objects.filter(kind=NotificationKind.STATUS).exists()
    # Someone changed the status behind the recompute's back: the next run corrects it.
    CertificationStatus.objects.filter(commune=doi_ngo, year=YEAR).update(status=Status.CERTIFIED)

    target_services.commune_recompute(commune_id=doi_ngo.pk, year=YEAR)

    assert told(NotificationKind.STATUS) == [people.staff.username]


def test_a_user_who_opts_out_sees_the_notification_but_gets_no_mail(
    people, doi_ngo, recompute, mails
):
    NotificationPreference.objects.create(user=people.reviewer, email_submitted=False)

    mails(lambda: submit(doi_ngo, EVIDENCE_CODE, people.staff))

    assert told(NotificationKind.SUBMITTED) == [people.reviewer.username]
    assert mail.outbox == []


def test_a_mail_that_could_not_be_queued_is_sent_by_the_next_drain(
    people, doi_ngo, recompute, mails
):
    with mock.patch(
        "communes.tasks.notifications_send.apply_async", side_effect=BrokerError("down")
    ):
        mails(lambda: submit(doi_ngo, EVIDENCE_CODE, people.staff))
    assert mail.outbox == []
    assert Notification.objects.filter(email_pending=True).count() == 1

    # Redis is back: beat's drain (every 5 minutes) finds the row and sends it.
    from communes.tasks import notifications_send

    assert notifications_send.apply().get() == 1
    assert [m.to for m in mail.outbox] == [["huyen@example.org"]]
    assert not Notification.objects.filter(email_pending=True).exists()


def test_a_failed_send_keeps_the_mail_for_the_next_drain(people, doi_ngo, recompute):
    submit(doi_ngo, EVIDENCE_CODE, people.staff)  # no commit here: nothing queued
    with (
        mock.patch("communes.notifications.send_mail", side_effect=OSError("refused")),
        pytest.raises(OSError),
    ):
        notifications.pending_send()
    assert Notification.objects.filter(email_pending=True).count() == 1


def test_the_weekly_digest_tells_each_user_what_is_overdue_in_their_scope(
    people, doi_ngo, recompute, settings, mails
):
    from communes.models import Evidence

    evidence = submit(doi_ngo, EVIDENCE_CODE, people.staff)
    returned = submit(doi_ngo, MEASURED_CODE, people.staff, value=97)
    services.evidence_return(
        evidence_id=returned.pk, by=people.reviewer, version=returned.version, note="Sai số"
    )
    Evidence.objects.filter(pk=evidence.pk).update(submitted_at="2020-01-01T00:00:00Z")
    Notification.objects.all().delete()
    mail.outbox.clear()

    from communes.tasks import notifications_weekly_digest

    mails(lambda: notifications_weekly_digest.apply().get())

    digests = {n.user.username: n.params for n in Notification.objects.all()}
    assert digests == {
        people.reviewer.username: {"overdue": 1},
        people.province.username: {"overdue": 1},
        people.staff.username: {"returned": 1},
    }
    assert sorted(m.to[0] for m in mail.outbox) == [
        "huyen@example.org",
        "tinh@example.org",
        "xa@example.org",
    ]
    assert "quá hạn" in mail.outbox[0].body


def test_nobody_without_an_email_address_is_mailed(make_user, doi_ngo, recompute, mails):
    make_user(Role.DISTRICT, LUC_NAM)  # no address
    staff = make_user(Role.COMMUNE, DOI_NGO)
    mails(lambda: submit(doi_ngo, EVIDENCE_CODE, staff))
    assert Notification.objects.count() == 1
    assert mail.outbox == []


# --- The pages ------------------------------------------------------------------------------


def test_users_see_only_their_own_notifications(client_for, people, doi_ngo, recompute):
    submit(doi_ngo, EVIDENCE_CODE, people.staff)

    page = client_for(people.reviewer).get(reverse("notification_list"))
    assert "Thị trấn Đồi Ngô" in page.content.decode()
    other = client_for(people.other_reviewer).get(reverse("notification_list"))
    assert "Thị trấn Đồi Ngô" not in other.content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(
    client_for, people, doi_ngo, recompute
):
    submit(doi_ngo, EVIDENCE_CODE, people.staff)
    notification = Notification.objects.get()

    # Someone else cannot mark it read.
    client_for(people.other_reviewer).post(reverse("notifications_read"), {"pk": notification.pk})
    notification.refresh_from_db()
    assert notification.read_at is None

    response = client_for(people.reviewer).post(
        reverse("notifications_read"), {"pk": notification.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == notification.url
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_the_notification_pages_refuse_wrong_methods(client_for, people):
    client = client_for(people.staff)
    assert client.post(reverse("notification_list")).status_code == 405
    assert client.get(reverse("notifications_read")).status_code == 405
    assert client.put(reverse("notification_preferences")).status_code == 405


def test_anonymous_users_are_sent_to_login_from_the_notification_pages(client):
    for name in ("notification_list", "notification_preferences"):
        assert client.get(reverse(name))["Location"].startswith("/accounts/login/")


def test_a_user_chooses_which_mails_they_get(client_for, people):
    client = client_for(people.staff)
    assert client.get(reverse("notification_preferences")).status_code == 200
    response = client.post(
        reverse("notification_preferences"),
        {"email_reviewed": "on", "email_status": "on", "language": "en"},
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=people.staff)
    assert preference.email_reviewed and preference.email_status
    assert not preference.email_submitted and not preference.email_digest
    assert preference.language == "en"


def test_mails_are_written_in_the_language_the_user_reads_the_portal_in(
    client_for, client, people, doi_ngo, recompute, mails
):
    """The district official switched the portal to English: the mails telling him of
    submissions are in English too; the commune's staff, who did not, read Vietnamese."""
    reviewer = client_for(people.reviewer)
    switched = reviewer.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302
    assert switched.cookies["django_language"].value == "en"
    assert NotificationPreference.objects.get(user=people.reviewer).language == "en"
    # Anonymous visitors switch as before, and nobody's mail language moves.
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302
    assert NotificationPreference.objects.count() == 1

    evidence = mails(lambda: submit(doi_ngo, EVIDENCE_CODE, people.staff))
    (english,) = mail.outbox
    assert english.to == ["huyen@example.org"]
    assert english.subject == "[Friendly government] 1 new notification"
    assert english.body.startswith("Dear ")
    assert "Thị trấn Đồi Ngô" in english.body

    mail.outbox.clear()
    mails(
        lambda: services.evidence_return(
            evidence_id=evidence.pk, by=people.reviewer, version=evidence.version, note="Mờ"
        )
    )
    (vietnamese,) = mail.outbox
    assert vietnamese.to == ["xa@example.org"]
    assert vietnamese.subject == "[Chính quyền thân thiện] 1 thông báo mới"
    assert vietnamese.body.startswith("Kính gửi ")


def test_a_new_preference_takes_the_language_of_the_page(client_for, people):
    client = client_for(people.reviewer)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("notification_preferences"))
    assert page.status_code == 200
    assert NotificationPreference.objects.get(user=people.reviewer).language == "en"
    assert 'value="en" selected' in page.content.decode()


def test_the_notification_list_query_count_does_not_grow_with_its_length(
    client_for, people, django_assert_max_num_queries
):
    Notification.objects.bulk_create(
        Notification(
            user=people.staff,
            kind=NotificationKind.RETURNED,
            commune_id=people.staff.scope.commune_id,
            params={"year": YEAR, "criteria": ["CSVC-01"], "note": "x"},
        )
        for _ in range(25)
    )
    client = client_for(people.staff)
    # Session, user, scope, the commune the navigation names, the navigation's counts, the
    # page's count and its rows, the current programme year (the navigation's checklist
    # link): guards against a query per notification (its commune).
    with django_assert_max_num_queries(8):
        assert client.get(reverse("notification_list")).status_code == 200


def test_the_reviewers_of_a_commune_are_its_districts_officials(people, doi_ngo, le_loi):
    from communes.access import communes_reviewed_by, reviewers_of

    assert list(reviewers_of(doi_ngo)) == [people.reviewer]
    assert list(reviewers_of(le_loi)) == [people.other_reviewer]
    assert doi_ngo in communes_reviewed_by(people.reviewer)
    assert le_loi not in communes_reviewed_by(people.reviewer)
    assert not communes_reviewed_by(people.province).exists()
    assert not communes_reviewed_by(people.staff).exists()
    assert EvidenceState.SUBMITTED  # the states the queue reads are the model's
