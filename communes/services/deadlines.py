"""Extensions of a year's submission deadline, granted by a commune's reviewer."""

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.models import ChecklistDeadline, Commune, DeadlineExtension


def deadline_extension_grant(
    *, commune: Commune, year: int, until: datetime.date, note: str, by: User
) -> DeadlineExtension:
    """Let ``commune`` keep submitting ``year``'s evidence until ``until`` (inclusive).

    The caller has checked that ``by`` reviews the commune. A second grant replaces the
    first; both stay in the extension's history with who, when and the note.
    """
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Cần ghi lý do gia hạn.")})
    deadline = ChecklistDeadline.objects.filter(year=year).first()
    if deadline is None:
        raise ValidationError({"until": _("Năm này chưa có hạn nộp nên không cần gia hạn.")})
    if until <= deadline.submission_deadline:
        raise ValidationError({"until": _("Ngày gia hạn phải sau hạn nộp của năm.")})
    if until < timezone.localdate():
        raise ValidationError({"until": _("Ngày gia hạn không được ở quá khứ.")})
    with transaction.atomic():
        extension = (
            DeadlineExtension.objects.select_for_update().filter(commune=commune, year=year).first()
        ) or DeadlineExtension(commune=commune, year=year)
        extension.until = until
        extension.note = note
        extension.granted_by = by
        extension.granted_at = timezone.now()
        extension._history_user = by  # type: ignore[attr-defined]
        extension.save()
    return extension
