"""The evidence workflow: draft -> submitted -> approved, or returned with a note.

Every write locks the evidence row (``select_for_update``) and compares the version
the caller's form was opened at with the stored one, so two people acting at once
leave one consistent result and the second is told what happened instead of
silently overwriting it. Every change of state is kept as an EvidenceTransition
(who, when, the note), and a recompute of the commune's status is queued once the
change commits.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from communes import notifications, selectors, uploads
from communes.hooks import recompute_later
from communes.models import (
    Commune,
    Criterion,
    CriterionKind,
    Evidence,
    EvidenceFile,
    EvidenceState,
    EvidenceTransition,
)
from communes.text import person_name


class EvidenceConflict(Exception):
    """Someone changed the evidence first; ``message`` tells who did what, and when."""

    def __init__(self, message: str, evidence: Evidence | None = None):
        super().__init__(message)
        self.message = message
        self.evidence = evidence


class ChecklistClosed(EvidenceConflict):
    """The year's submission deadline has passed and the commune has no extension."""

    def __init__(self, state: "selectors.DeadlineState", *, by_province: bool = False) -> None:
        closes_on = formats.date_format(state.closes_on or "", "SHORT_DATE_FORMAT")
        if by_province:  # no district (from 1/7/2025): the province reviews and extends
            message = _(
                "Đã quá hạn nộp minh chứng (%(date)s): danh mục chỉ còn xem được. "
                "Hãy đề nghị tỉnh gia hạn."
            )
        else:
            message = _(
                "Đã quá hạn nộp minh chứng (%(date)s): danh mục chỉ còn xem được. "
                "Hãy đề nghị huyện gia hạn."
            )
        super().__init__(message % {"date": closes_on})
        self.state = state


def check_checklist_open(*, commune: Commune, year: int) -> None:
    """Raise ChecklistClosed when the commune may no longer change ``year``'s evidence."""
    state = selectors.deadline_state(commune=commune, year=year)
    if not state.is_open:
        raise ChecklistClosed(state, by_province=commune.district_id is None)


class EvidenceIncomplete(Exception):
    """A submit was asked for evidence that lacks a required part (``missing``)."""

    def __init__(self, missing: list[str]):
        super().__init__("; ".join(missing))
        self.missing = missing


@dataclass
class SaveResult:
    evidence: Evidence
    submitted: bool = False
    # Why a requested submit did not happen (the draft is saved all the same).
    missing: list[str] = field(default_factory=list)


def missing_parts(evidence: Evidence) -> list[str]:
    """What ``evidence`` still lacks before it can be submitted, in words."""
    criterion = evidence.criterion
    missing = []
    if criterion.kind == CriterionKind.EVIDENCE and not evidence.files.exists():
        missing.append(_("cần ít nhất một tệp minh chứng"))
    if criterion.kind == CriterionKind.MEASURED and evidence.value is None:
        missing.append(_("cần nhập giá trị đo được"))
    return missing


def evidence_save(
    *,
    commune: Commune,
    criterion: Criterion,
    year: int,
    by: User,
    version: int,
    note: str,
    value: Decimal | None = None,
    files: Sequence[uploads.CheckedFile] = (),
    submit: bool = False,
) -> SaveResult:
    """Save the commune's note, value and new files for a criterion; submit if asked.

    ``version`` is the evidence version the form was opened at (0 for none yet). A
    submit that lacks a required part still saves the draft and says what is missing
    in ``SaveResult.missing``. Raises EvidenceConflict when the evidence changed
    meanwhile or is locked (submitted or approved).
    """
    if not criterion.needs_review:
        raise ValueError(f"{criterion.code} is computed from surveys; it takes no evidence")
    check_checklist_open(commune=commune, year=year)
    stored: list[str] = []
    try:
        with transaction.atomic():
            evidence, created = _lock_or_create(commune, criterion, year, by, version)
            if not created:
                _check_editable(evidence, version)
            state_before = evidence.state
            evidence.note = note.strip()
            if criterion.kind == CriterionKind.MEASURED:
                evidence.value = value
            for checked in files:
                name, thumbnail = uploads.store(checked, commune_code=commune.code, year=year)
                stored += [name, thumbnail]
                EvidenceFile.objects.create(
                    evidence=evidence,
                    file=name,
                    thumbnail=thumbnail,
                    original_name=checked.name,
                    content_type=checked.content_type,
                    size=checked.size,
                    uploaded_by=by,
                )
            result = SaveResult(evidence=evidence)
            if submit:
                result.missing = missing_parts(evidence)
                if not result.missing:
                    _submit(evidence, by)
                    result.submitted = True
            if evidence.state == EvidenceState.REJECTED:
                # Being corrected after a return: a draft again (the reviewer's note stays).
                _move(evidence, EvidenceState.DRAFT, by)
            _save(evidence, by)
            if evidence.state != state_before:
                recompute_later(commune_id=commune.pk, year=year)
    except BaseException:
        uploads.delete_stored(*stored)
        raise
    return result


def evidence_submit(*, evidence_id: int, by: User, version: int) -> Evidence:
    """Send a complete draft (or a corrected returned item) to the district for review."""
    with transaction.atomic():
        evidence = _lock(evidence_id)
        check_checklist_open(commune=evidence.commune, year=evidence.year)
        _check_editable(evidence, version)
        missing = missing_parts(evidence)
        if missing:
            raise EvidenceIncomplete(missing)
        _submit(evidence, by)
        _save(evidence, by)
        recompute_later(commune_id=evidence.commune_id, year=evidence.year)
    return evidence


def evidence_approve(*, evidence_id: int, by: User, version: int, note: str = "") -> Evidence:
    """Approve submitted evidence; what was approved is kept to show later changes."""
    with transaction.atomic():
        evidence = _lock(evidence_id)
        _check_reviewable(evidence, version)
        now = timezone.now()
        evidence.reviewed_at, evidence.reviewed_by = now, by
        evidence.review_comment = note.strip()
        _move(evidence, EvidenceState.APPROVED, by, note=note.strip(), at=now)
        evidence.approved_snapshot = snapshot(evidence, by=by, at=now)
        _save(evidence, by)
        notifications.evidence_reviewed(evidence, approved=True)
        recompute_later(commune_id=evidence.commune_id, year=evidence.year)
    return evidence


def evidence_return(*, evidence_id: int, by: User, version: int, note: str) -> Evidence:
    """Return submitted evidence to the commune with a note saying what to fix."""
    note = (note or "").strip()
    if not note:
        raise ValueError("a returned evidence needs a note")
    with transaction.atomic():
        evidence = _lock(evidence_id)
        _check_reviewable(evidence, version)
        now = timezone.now()
        evidence.reviewed_at, evidence.reviewed_by = now, by
        evidence.review_comment = note
        _move(evidence, EvidenceState.REJECTED, by, note=note, at=now)
        _save(evidence, by)
        notifications.evidence_reviewed(evidence, approved=False)
        recompute_later(commune_id=evidence.commune_id, year=evidence.year)
    return evidence


def evidence_reopen(*, evidence_id: int, by: User, version: int) -> Evidence:
    """Open approved evidence again for an update; it must then be reviewed again."""
    with transaction.atomic():
        evidence = _lock(evidence_id)
        check_checklist_open(commune=evidence.commune, year=evidence.year)
        if evidence.state != EvidenceState.APPROVED or evidence.version != version:
            raise EvidenceConflict(describe(evidence), evidence)
        if not evidence.approved_snapshot:
            # Approved evidence is locked, so what it holds now is what was approved.
            evidence.approved_snapshot = snapshot(
                evidence, by=evidence.reviewed_by, at=evidence.reviewed_at or timezone.now()
            )
        _move(evidence, EvidenceState.DRAFT, by)
        _save(evidence, by)
        recompute_later(commune_id=evidence.commune_id, year=evidence.year)
    return evidence


def evidence_file_delete(*, file_id: int, by: User, version: int) -> Evidence:
    """Remove a file from editable evidence (the stored file goes once nothing uses it)."""
    with transaction.atomic():
        evidence_id = EvidenceFile.objects.values_list("evidence_id", flat=True).get(pk=file_id)
        evidence = _lock(evidence_id)
        check_checklist_open(commune=evidence.commune, year=evidence.year)
        _check_editable(evidence, version)
        doomed = EvidenceFile.objects.get(pk=file_id, evidence=evidence)
        names = [doomed.file.name, doomed.thumbnail.name]
        doomed.delete()
        _save(evidence, by)

        def delete_unused() -> None:
            # Demo data shares a few stored files among many rows.
            unused = [n for n in names if n and not EvidenceFile.objects.filter(file=n).exists()]
            unused = [n for n in unused if not EvidenceFile.objects.filter(thumbnail=n).exists()]
            uploads.delete_stored(*unused)

        transaction.on_commit(delete_unused)
    return evidence


class CarryOverRefused(Exception):
    """The evidence cannot be carried over (no longer approved, not a predecessor's, or
    the unit already has approved evidence for that criterion and year)."""


def evidence_carry_over(*, source_id: int, commune: Commune, year: int, by: User) -> Evidence:
    """Accept, for ``commune`` and ``year``, evidence a predecessor unit had approved: the
    reviewer's one action (nothing carries over silently).

    The unit's evidence for the criterion becomes approved with the source's note, value
    and files (the stored files are shared, not copied), ``carried_from`` pointing to
    the source and a transition saying where it came from; the source is unchanged.
    """
    from communes.selectors import carry_over_sources

    with transaction.atomic():
        source = (
            carry_over_sources(commune=commune, year=year)
            .select_related("commune", "criterion")
            .filter(pk=source_id)
            .first()
        )
        if source is None:
            raise CarryOverRefused(_("Minh chứng này không còn để kế thừa."))
        evidence, _created = _lock_or_create(commune, source.criterion, year, by, 0)
        if evidence.state == EvidenceState.APPROVED:
            raise CarryOverRefused(describe(evidence))
        now = timezone.now()
        evidence.note, evidence.value = source.note, source.value
        evidence.carried_from = source
        for item in source.files.all():
            EvidenceFile.objects.create(
                evidence=evidence,
                file=item.file.name,
                thumbnail=item.thumbnail.name,
                original_name=item.original_name,
                content_type=item.content_type,
                size=item.size,
                uploaded_by=item.uploaded_by,
                uploaded_at=item.uploaded_at,
            )
        note = _("Kế thừa minh chứng đã duyệt của %(unit)s (%(code)s) năm %(year)s.") % {
            "unit": source.commune.name,
            "code": source.commune.code,
            "year": source.year,
        }
        evidence.reviewed_at, evidence.reviewed_by = now, by
        evidence.review_comment = note
        _move(evidence, EvidenceState.APPROVED, by, note=note, at=now)
        evidence.approved_snapshot = snapshot(evidence, by=by, at=now)
        _save(evidence, by)
        recompute_later(commune_id=commune.pk, year=year)
    return evidence


def snapshot(evidence: Evidence, *, by: User | None, at: datetime.datetime) -> dict[str, Any]:
    """What an approval approved: note, value and files, to compare with later."""
    return {
        "at": at.isoformat(),
        "by": _name(by),
        "note": evidence.note,
        "value": None if evidence.value is None else str(evidence.value),
        "files": [{"id": f.pk, "name": f.original_name} for f in evidence.files.all()],
    }


def describe(evidence: Evidence) -> str:
    """Who last changed ``evidence`` and how, in words: what a refused form is told."""
    last = evidence.transitions.select_related("by").order_by("-at", "-pk").first()
    who = _name(last.by) if last else _("một người khác")
    when = _when(last.at) if last else ""
    if evidence.state == EvidenceState.SUBMITTED and evidence.commune.district_id is None:
        return _(
            "Minh chứng này đã được %(who)s gửi duyệt lúc %(when)s và đang chờ tỉnh duyệt; "
            "chưa thể sửa hay gửi lại."
        ) % {"who": who, "when": when}
    if evidence.state == EvidenceState.SUBMITTED:
        return _(
            "Minh chứng này đã được %(who)s gửi duyệt lúc %(when)s và đang chờ huyện duyệt; "
            "chưa thể sửa hay gửi lại."
        ) % {"who": who, "when": when}
    if evidence.state == EvidenceState.APPROVED:
        return _("Minh chứng này đã được %(who)s duyệt lúc %(when)s.") % {
            "who": who,
            "when": when,
        }
    if evidence.state == EvidenceState.REJECTED:
        return _("Minh chứng này đã bị %(who)s trả lại lúc %(when)s.") % {
            "who": who,
            "when": when,
        }
    edit = evidence.history.select_related("history_user").first()
    if edit is not None:
        who, when = _name(edit.history_user), _when(edit.history_date)
    return _(
        "Trong lúc bạn thao tác, %(who)s đã sửa minh chứng này (lúc %(when)s). Hãy xem nội "
        "dung mới rồi làm lại."
    ) % {"who": who, "when": when}


# --- Internals ------------------------------------------------------------------------


def _lock(evidence_id: int) -> Evidence:
    return (
        Evidence.objects.select_for_update(of=("self",))
        .select_related("criterion", "commune")
        .get(pk=evidence_id)
    )


def _lock_or_create(
    commune: Commune, criterion: Criterion, year: int, by: User, version: int
) -> tuple[Evidence, bool]:
    locked = Evidence.objects.select_for_update(of=("self",)).select_related("criterion", "commune")
    evidence = locked.filter(commune=commune, criterion=criterion, year=year).first()
    if evidence is not None:
        return evidence, False
    try:
        with transaction.atomic():  # a savepoint: someone may create it at the same moment
            evidence = Evidence(commune=commune, criterion=criterion, year=year, version=0)
            evidence._history_user = by  # type: ignore[attr-defined]
            evidence.save()
    except IntegrityError:
        evidence = locked.get(commune=commune, criterion=criterion, year=year)
        raise EvidenceConflict(describe(evidence), evidence) from None
    if version != 0:  # the form showed evidence that no longer exists (removed in admin)
        raise EvidenceConflict(describe(evidence), evidence)
    EvidenceTransition.objects.create(evidence=evidence, to_state=EvidenceState.DRAFT, by=by)
    return evidence, True


def _check_editable(evidence: Evidence, version: int) -> None:
    if not evidence.is_editable or evidence.version != version:
        raise EvidenceConflict(describe(evidence), evidence)


def _check_reviewable(evidence: Evidence, version: int) -> None:
    if evidence.state != EvidenceState.SUBMITTED or evidence.version != version:
        raise EvidenceConflict(describe(evidence), evidence)


def _submit(evidence: Evidence, by: User) -> None:
    now = timezone.now()
    evidence.submitted_at, evidence.submitted_by = now, by
    _move(evidence, EvidenceState.SUBMITTED, by, at=now)
    notifications.evidence_submitted(evidence)


def _move(
    evidence: Evidence,
    to_state: str,
    by: User,
    *,
    note: str = "",
    at: datetime.datetime | None = None,
) -> None:
    EvidenceTransition.objects.create(
        evidence=evidence,
        from_state=evidence.state,
        to_state=to_state,
        by=by,
        note=note,
        at=at or timezone.now(),
    )
    evidence.state = to_state


def _save(evidence: Evidence, by: User) -> None:
    evidence.version += 1
    evidence._history_user = by  # type: ignore[attr-defined]  # simple_history records who made this version
    evidence.save()


def _name(user: User | None) -> str:
    if user is None:
        return _("(tài khoản đã xóa)")
    return person_name(user)


def _when(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
