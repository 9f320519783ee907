"""Telling people what happened: in the portal (the bell) and by e-mail.

Who is told is decided in ``communes.access`` (``reviewers_of``, ``staff_of``,
``communes_reviewed_by``), never here, so nobody outside a unit's scope hears of it.

Every notification is written in the transaction of the change that caused it. Those
whose user wants that kind by e-mail are marked ``email_pending``: the table is the
outbox. ``notifications_send`` mails each user's pending notifications as one message
(a district told of twelve submissions gets one mail, not twelve) and clears the mark;
it is queued after the commit and run every few minutes by beat, so a mail that could
not be queued while Redis was down is sent by the next drain.
"""

import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection, send_mail
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from kombu.exceptions import OperationalError as BrokerError

from communes.access import communes_reviewed_by, has_role, reviewers_of, staff_of
from communes.models import (
    Commune,
    Evidence,
    EvidenceState,
    Notification,
    NotificationKind,
    NotificationPreference,
    Role,
    scope_of,
)
from communes.selectors import forget_nav_counts

logger = logging.getLogger(__name__)

# How long a burst of submissions is gathered before the reviewers' mail goes out.
SEND_DELAY_SECONDS = 120


# --- Writing ----------------------------------------------------------------------------


def _preferences(user_ids) -> dict[int, NotificationPreference]:
    return {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids)}


def _create(users, *, kind: str, commune=None, params: dict, url: str) -> list[Notification]:
    """One notification per user of ``users``, marked for e-mail when the user wants it."""
    users = list(users)
    preferences = _preferences([u.pk for u in users])
    rows = [
        Notification(
            user=user,
            kind=kind,
            commune=commune,
            params=params,
            url=url,
            email_pending=bool(user.email)
            and preferences.get(user.pk, NotificationPreference()).wants_email(kind),
        )
        for user in users
    ]
    Notification.objects.bulk_create(rows)
    forget_nav_counts()
    if any(row.email_pending for row in rows):
        send_later()
    return rows


def evidence_submitted(evidence: Evidence) -> None:
    """Tell the commune's reviewers that ``evidence`` waits for them.

    Submissions of one commune and year gather in the reviewer's one unread notification
    (its list of criteria grows), so a commune sending ten items makes one entry.
    """
    url = reverse("reviews") + f"?commune={evidence.commune_id}"
    code = evidence.criterion.code
    fresh = []
    for reviewer in reviewers_of(evidence.commune):
        pending = (
            Notification.objects.select_for_update()
            .filter(
                user=reviewer,
                kind=NotificationKind.SUBMITTED,
                commune_id=evidence.commune_id,
                params__year=evidence.year,
                read_at__isnull=True,
            )
            .first()
        )
        if pending is None:
            fresh.append(reviewer)
        elif code not in pending.params["criteria"]:
            pending.params["criteria"].append(code)
            pending.created_at = timezone.now()
            pending.save(update_fields=["params", "created_at"])
    params = {"commune": evidence.commune.name, "year": evidence.year, "criteria": [code]}
    _create(
        fresh, kind=NotificationKind.SUBMITTED, commune=evidence.commune, params=params, url=url
    )


def evidence_reviewed(evidence: Evidence, *, approved: bool) -> None:
    """Tell the commune's staff that ``evidence`` was approved or returned (with the note)."""
    commune = evidence.commune
    _create(
        staff_of([commune.pk]),
        kind=NotificationKind.APPROVED if approved else NotificationKind.RETURNED,
        commune=commune,
        params={
            "commune": commune.name,
            "year": evidence.year,
            "criteria": [evidence.criterion.code],
            "note": evidence.review_comment,
        },
        url=reverse("evidence_detail", args=[commune.code, evidence.year, evidence.criterion.code]),
    )


def status_changes(changes) -> None:
    """Tell each commune's staff that its certification status of a year changed.

    ``changes`` are StatusChange-like objects (commune_id, year, from_status, to_status);
    the first computation of a status (no from_status) is not news. A few queries
    whatever the number of changes (a nightly recompute of a whole country).
    """
    changes = [c for c in changes if c.from_status]
    if not changes:
        return
    names = dict(
        Commune.objects.filter(pk__in={c.commune_id for c in changes}).values_list("pk", "name")
    )
    codes = dict(
        Commune.objects.filter(pk__in={c.commune_id for c in changes}).values_list("pk", "code")
    )
    staff = defaultdict(list)
    users = list(staff_of(names).select_related("scope"))
    for user in users:
        staff[user.scope.commune_id].append(user)
    preferences = _preferences([u.pk for u in users])
    rows = []
    for change in changes:
        for user in staff[change.commune_id]:
            rows.append(
                Notification(
                    user=user,
                    kind=NotificationKind.STATUS,
                    commune_id=change.commune_id,
                    params={
                        "commune": names[change.commune_id],
                        "year": change.year,
                        "from": change.from_status,
                        "to": change.to_status,
                    },
                    url=reverse("commune_detail", args=[codes[change.commune_id]])
                    + f"?year={change.year}",
                    email_pending=bool(user.email)
                    and preferences.get(user.pk, NotificationPreference()).wants_email(
                        NotificationKind.STATUS
                    ),
                )
            )
    Notification.objects.bulk_create(rows, batch_size=500)
    forget_nav_counts()
    if any(row.email_pending for row in rows):
        send_later()


def mark_read(*, user, pk: int | None = None) -> int:
    """Mark one of ``user``'s notifications (or all of them) read; how many changed."""
    unread = Notification.objects.filter(user=user).unread()
    if pk is not None:
        unread = unread.filter(pk=pk)
    changed = unread.update(read_at=timezone.now())
    forget_nav_counts()
    return changed


def preference_for(user, *, language: str | None = None) -> NotificationPreference:
    """The user's preference; a new one writes mails in ``language`` (the page's)."""
    defaults = {"language": language} if language in dict(settings.LANGUAGES) else {}
    return NotificationPreference.objects.get_or_create(user=user, defaults=defaults)[0]


def mail_language_set(*, user, language: str) -> None:
    """The language the user chose in the portal is the language of their mails."""
    if language in dict(settings.LANGUAGES):
        NotificationPreference.objects.update_or_create(user=user, defaults={"language": language})


# --- Reading ------------------------------------------------------------------------------


# {status value: label}: filled by the targets app, which owns the statuses (a lower app
# does not import a higher one); labels are lazy, so they read in the reader's language.
status_labels: dict = {}


def _status_label(value) -> str:
    return str(status_labels.get(value, value))


def message(notification: Notification) -> str:
    """What ``notification`` says, in the current language."""
    p = notification.params
    criteria = ", ".join(p.get("criteria", []))
    if notification.kind == NotificationKind.SUBMITTED:
        return ngettext(
            "%(commune)s gửi %(n)d minh chứng năm %(year)s chờ duyệt: %(criteria)s.",
            "%(commune)s gửi %(n)d minh chứng năm %(year)s chờ duyệt: %(criteria)s.",
            len(p.get("criteria", [])),
        ) % {
            "commune": p["commune"],
            "n": len(p["criteria"]),
            "year": p["year"],
            "criteria": criteria,
        }
    if notification.kind == NotificationKind.RETURNED:
        return _("Minh chứng %(criteria)s năm %(year)s bị trả lại: “%(note)s”") % {
            "criteria": criteria,
            "year": p["year"],
            "note": p.get("note", ""),
        }
    if notification.kind == NotificationKind.APPROVED:
        return _("Minh chứng %(criteria)s năm %(year)s đã được duyệt.") % {
            "criteria": criteria,
            "year": p["year"],
        }
    if notification.kind == NotificationKind.STATUS:
        return _("Kết quả năm %(year)s của %(commune)s đổi từ “%(old)s” sang “%(new)s”.") % {
            "year": p["year"],
            "commune": p["commune"],
            "old": _status_label(p["from"]),
            "new": _status_label(p["to"]),
        }
    parts = []
    if p.get("overdue"):
        parts.append(
            ngettext(
                "%(n)d minh chứng chờ duyệt quá hạn",
                "%(n)d minh chứng chờ duyệt quá hạn",
                p["overdue"],
            )
            % {"n": p["overdue"]}
        )
    if p.get("returned"):
        parts.append(
            ngettext(
                "%(n)d minh chứng bị trả lại chưa sửa",
                "%(n)d minh chứng bị trả lại chưa sửa",
                p["returned"],
            )
            % {"n": p["returned"]}
        )
    if p.get("drafts"):
        parts.append(
            ngettext("%(n)d nháp chưa gửi duyệt", "%(n)d nháp chưa gửi duyệt", p["drafts"])
            % {"n": p["drafts"]}
        )
    return _("Tổng hợp tuần: %(parts)s.") % {"parts": "; ".join(parts)}


# --- Sending ------------------------------------------------------------------------------


def send_later() -> None:
    """Queue the e-mail drain after the commit; a broker that is down only delays it."""
    from communes.tasks import notifications_send

    def queue():
        try:
            notifications_send.apply_async(countdown=SEND_DELAY_SECONDS)
        except BrokerError:
            logger.exception("Could not queue the notification mails; the next drain sends them")

    transaction.on_commit(queue, robust=True)


def _absolute(url: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + url


def pending_send() -> int:
    """Mail every user's pending notifications, one message per user; how many mails went.

    Rows are claimed under a lock (skipped by a drain running at the same time on
    PostgreSQL), and cleared only once their mail is accepted by the mail server: a
    failed send leaves them for the next drain.
    """
    User = get_user_model()
    sent = 0
    user_ids = list(
        Notification.objects.filter(email_pending=True).values_list("user_id", flat=True).distinct()
    )
    if not user_ids:
        return 0
    preferences = _preferences(user_ids)
    mail = get_connection(fail_silently=False)
    with mail:
        for user in User.objects.filter(pk__in=user_ids):
            with transaction.atomic():
                claimed = Notification.objects.filter(user=user, email_pending=True)
                if connection.features.has_select_for_update_skip_locked:
                    claimed = claimed.select_for_update(skip_locked=True)
                items = list(claimed.order_by("created_at", "pk"))
                if not items or not user.email:
                    Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                        email_pending=False
                    )
                    continue
                preference = preferences.get(user.pk)
                language = preference.language if preference else settings.LANGUAGE_CODE
                with translation.override(language):
                    subject, body = _mail_text(user, items)
                send_mail(
                    subject,
                    body,
                    settings.DEFAULT_FROM_EMAIL,
                    [user.email],
                    connection=mail,
                )
                Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                    email_pending=False, emailed_at=timezone.now()
                )
                sent += 1
    return sent


def _mail_text(user, items) -> tuple[str, str]:
    from communes.text import person_name

    subject = ngettext(
        "[Chính quyền thân thiện] %(n)d thông báo mới",
        "[Chính quyền thân thiện] %(n)d thông báo mới",
        len(items),
    ) % {"n": len(items)}
    lines = [_("Kính gửi %(name)s,") % {"name": person_name(user)}, ""]
    for item in items:
        lines.append(f"- {message(item)}")
        if item.url:
            lines.append(f"  {_absolute(item.url)}")
    lines += [
        "",
        _("Xem tất cả: %(url)s") % {"url": _absolute(reverse("worklist"))},
        _("Chọn loại thư muốn nhận: %(url)s")
        % {"url": _absolute(reverse("notification_preferences"))},
    ]
    return subject, "\n".join(lines)


# --- The weekly digest ----------------------------------------------------------------------


def digest_figures(user) -> dict:
    """What is overdue for ``user``: reviews waiting too long in the communes they review
    (or, for provincial officials, in their whole province), and for commune staff the
    returned items not yet corrected and the drafts not yet sent."""
    from communes.selectors import overdue_before

    scope = scope_of(user)
    if scope is None:
        return {}
    figures = {}
    if has_role(user, Role.DISTRICT, Role.PROVINCE_REVIEWER) and not scope.sees_everything:
        figures["overdue"] = Evidence.objects.filter(
            commune__in=communes_reviewed_by(user),
            state=EvidenceState.SUBMITTED,
            submitted_at__lt=overdue_before(),
        ).count()
    elif scope.role == Role.PROVINCE:
        figures["overdue"] = Evidence.objects.filter(
            commune__in=Commune.objects.visible_to(user),
            state=EvidenceState.SUBMITTED,
            submitted_at__lt=overdue_before(),
        ).count()
    elif scope.role == Role.COMMUNE:
        counts = Evidence.objects.filter(commune_id=scope.commune_id).aggregate(
            returned=Count("pk", filter=Q(state=EvidenceState.REJECTED)),
            drafts=Count("pk", filter=Q(state=EvidenceState.DRAFT)),
            oldest=Min("updated_at"),
        )
        figures["returned"], figures["drafts"] = counts["returned"], counts["drafts"]
    return {k: v for k, v in figures.items() if v}


def digest_send() -> int:
    """Write this week's digest for every user with something overdue (in the portal, and
    mailed to those who want it); how many users got one."""
    User = get_user_model()
    told = 0
    with transaction.atomic():
        for user in User.objects.filter(is_active=True, scope__isnull=False).select_related(
            "scope"
        ):
            figures = digest_figures(user)
            if not figures:
                continue
            _create([user], kind=NotificationKind.DIGEST, params=figures, url=reverse("worklist"))
            told += 1
    return told
