"""Recognition decisions (Quyết định công nhận): drafting, issuing, withdrawing, and what
they say about each commune.

A commune whose status is CERTIFIED meets the criteria; it is recognized ("đạt chuẩn")
only by an issued decision of the competent People's Committee, which a later issued
decision may withdraw. Who is competent for a year is data
(``CertificationRule.recognizing_level``): a district's People's Committee decides for
its own communes, the province's for any commune of the province.

Every page, export and the API read a commune's recognition through ``recognitions``.
"""

import datetime
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from communes import uploads
from communes.access import has_role
from communes.models import Commune, Role, scope_of
from targets import caching
from targets.models import (
    CertificationRule,
    CertificationStatus,
    DecisionCommune,
    RecognitionDecision,
    Status,
)

DISTRICT, PROVINCE = "district", "province"


# --- Reads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recognition:
    """An issued decision recognizing a commune for a year, still in force."""

    decision_id: int
    number: str
    date: datetime.date
    district_id: int | None = None
    province_id: int | None = None

    def as_dict(self) -> dict:
        return {"number": self.number, "date": self.date.isoformat()}


def standing(*, year: int, communes=None):
    """({commune id: recognition in force}, {commune id: the withdrawal that ended it})."""
    entries = DecisionCommune.objects.filter(
        decision__year=year, decision__state=RecognitionDecision.State.ISSUED
    )
    if communes is not None:
        entries = entries.filter(commune__in=communes)
    recognized: dict[int, Recognition] = {}
    withdrawn: dict[int, Recognition] = {}
    for (
        commune_id,
        kind,
        decision_id,
        number,
        signed_on,
        district_id,
        province_id,
    ) in entries.order_by("decision__signed_on", "decision__issued_at", "decision_id").values_list(
        "commune_id",
        "decision__kind",
        "decision_id",
        "decision__number",
        "decision__signed_on",
        "commune__district_id",
        "commune__province_id",
    ):
        if signed_on is None:  # never for an issued decision (decision_issue requires it)
            continue
        act = Recognition(decision_id, number, signed_on, district_id, province_id)
        if kind == RecognitionDecision.Kind.RECOGNIZE:
            recognized[commune_id] = act
            withdrawn.pop(commune_id, None)
        elif recognized.pop(commune_id, None) is not None:
            withdrawn[commune_id] = act
    return recognized, withdrawn


def recognitions(*, year: int, communes=None) -> dict[int, Recognition]:
    """{commune id: its recognition in force for ``year``} (one query).

    A commune is recognized when the latest issued decision naming it for the year (by
    date of signature, then by order of issue) recognizes it; a later withdrawal ends it.
    """
    return standing(year=year, communes=communes)[0]


def withdrawals(*, year: int, communes=None) -> dict[int, Recognition]:
    """{commune id: the issued decision that withdrew its recognition for ``year``}."""
    return standing(year=year, communes=communes)[1]


def recognition_text(
    status: str | None, recognition: Recognition | None, withdrawal: Recognition | None = None
) -> str:
    """How a page names a commune's standing: recognized by which decision, its
    recognition withdrawn by which, or meeting the criteria and awaiting recognition
    (empty for a commune that does not meet them and was never recognized)."""
    if recognition is not None:
        return _("Đã công nhận theo Quyết định số %(number)s ngày %(date)s") % {
            "number": recognition.number,
            "date": formats.date_format(recognition.date, "SHORT_DATE_FORMAT"),
        }
    if withdrawal is not None:
        return _("Đã bị thu hồi công nhận theo Quyết định số %(number)s ngày %(date)s") % {
            "number": withdrawal.number,
            "date": formats.date_format(withdrawal.date, "SHORT_DATE_FORMAT"),
        }
    if status == Status.CERTIFIED:
        return _("Đạt tiêu chí, chờ quyết định công nhận")
    return ""


def recognizing_level(*, year: int) -> str:
    rule = CertificationRule.objects.filter(year=year).only("recognizing_level").first()
    return rule.recognizing_level if rule else PROVINCE


def target_on_recognized(*, year: int) -> bool:
    rule = CertificationRule.objects.filter(year=year).only("target_on_recognized").first()
    return bool(rule and rule.target_on_recognized)


def may_decide(user, *, year: int) -> bool:
    """Whether ``user`` drafts and issues the decisions of ``year`` (its competent level)."""
    level = recognizing_level(year=year)
    return has_role(user, Role.DISTRICT if level == DISTRICT else Role.PROVINCE)


def decisions_visible_to(user, *, year: int | None = None):
    """The decisions naming a commune ``user`` sees, or drafted by the user's level."""
    decisions = RecognitionDecision.objects.select_related("district", "withdraws")
    if year is not None:
        decisions = decisions.filter(year=year)
    scope = scope_of(user)
    if scope is None:
        return decisions.none()
    if scope.sees_everything:
        return decisions
    named = DecisionCommune.objects.filter(commune__in=Commune.objects.visible_to(user))
    return decisions.filter(Q(pk__in=named.values("decision_id")) | Q(created_by=user))


def awaiting_recognition(*, year: int, communes):
    """CERTIFIED statuses of ``communes`` for ``year`` whose commune is not recognized,
    nor named in a draft already."""
    recognized = recognitions(year=year, communes=communes)
    drafted = DecisionCommune.objects.filter(
        decision__year=year,
        decision__state=RecognitionDecision.State.DRAFT,
        decision__kind=RecognitionDecision.Kind.RECOGNIZE,
    ).values("commune_id")
    return (
        CertificationStatus.objects.filter(year=year, status=Status.CERTIFIED, commune__in=communes)
        .exclude(commune_id__in=list(recognized))
        .exclude(commune_id__in=drafted)
        .select_related("commune__district")
        .order_by("commune__district__code", "commune__name")
    )


def awaiting_summary(*, year: int, communes, national: bool) -> dict:
    """What the decisions page says of ``awaiting_recognition``: how many, the first
    ``AWAITING_NAMED`` by name, and how many per province (``national``: an
    administrator's 10,598 communes) or per district; never a row per commune."""
    awaiting = awaiting_recognition(year=year, communes=communes)
    unit = "commune__province" if national else "commune__district"
    by_unit = list(
        awaiting.order_by()
        .values(f"{unit}__code", f"{unit}__name")
        .annotate(n=Count("pk"))
        .order_by(f"{unit}__code")
    )
    by_unit = [
        {"code": row[f"{unit}__code"], "name": row[f"{unit}__name"], "n": row["n"]}
        for row in by_unit
    ]
    named = list(awaiting[:AWAITING_NAMED])
    count = sum(row["n"] for row in by_unit)
    return {
        "count": count,
        "more": count - len(named),
        "named": named,
        "by_unit": by_unit if len(by_unit) > 1 else [],
        "by_province": national,
    }


AWAITING_NAMED = 50  # awaiting communes named on the decisions page; the rest counted


# --- Writes -----------------------------------------------------------------------------


def _require_decider(user, year: int) -> None:
    if not may_decide(user, year=year):
        raise PermissionDenied


def _require_draft(decision: RecognitionDecision) -> None:
    if decision.is_issued:
        raise ValidationError(_("Quyết định đã ban hành thì không sửa được."))


def _statuses(year: int, commune_ids) -> dict[int, str]:
    return dict(
        CertificationStatus.objects.filter(year=year, commune_id__in=commune_ids).values_list(
            "commune_id", "status"
        )
    )


def decision_draft(*, year: int, by, communes=None) -> RecognitionDecision:
    """A draft decision of ``year`` naming ``communes`` (default: every commune of the
    user's scope that is CERTIFIED and awaiting recognition)."""
    _require_decider(by, year)
    visible = Commune.objects.visible_to(by)
    level = recognizing_level(year=year)
    scope = scope_of(by)
    with transaction.atomic():
        decision = RecognitionDecision.objects.create(
            year=year,
            kind=RecognitionDecision.Kind.RECOGNIZE,
            level=level,
            district=getattr(scope, "district", None) if level == DISTRICT else None,
            created_by=by,
        )
        if communes is None:
            chosen = [s.commune for s in awaiting_recognition(year=year, communes=visible)]
        else:
            chosen = list(communes)
        statuses = _statuses(year, [c.pk for c in chosen])
        for commune in chosen:
            if statuses.get(commune.pk) != Status.CERTIFIED:
                raise ValidationError(
                    _("%(commune)s chưa đạt chuẩn: cần ghi lý do khi đưa vào quyết định.")
                    % {"commune": commune.name}
                )
        DecisionCommune.objects.bulk_create(
            DecisionCommune(decision=decision, commune=c, status_when_added=statuses[c.pk])
            for c in chosen
        )
    return decision


def decision_commune_add(
    *, decision: RecognitionDecision, commune: Commune, by, reason: str = ""
) -> DecisionCommune:
    """Name ``commune`` in a draft; a commune not CERTIFIED for the year needs ``reason``."""
    _require_decider(by, decision.year)
    _require_draft(decision)
    if not Commune.objects.visible_to(by).filter(pk=commune.pk).exists():
        raise PermissionDenied
    status = _statuses(decision.year, [commune.pk]).get(commune.pk, "")
    reason = (reason or "").strip()
    if status != Status.CERTIFIED and not reason:
        raise ValidationError(
            _("%(commune)s chưa đạt chuẩn: cần ghi lý do khi đưa vào quyết định.")
            % {"commune": commune.name}
        )
    entry, _created = DecisionCommune.objects.update_or_create(
        decision=decision,
        commune=commune,
        defaults={"status_when_added": status, "reason": reason},
    )
    return entry


def decision_commune_remove(*, decision: RecognitionDecision, commune_id: int, by) -> None:
    _require_decider(by, decision.year)
    _require_draft(decision)
    DecisionCommune.objects.filter(decision=decision, commune_id=commune_id).delete()


def decision_update(
    *, decision: RecognitionDecision, by, number: str, signed_on, signer: str, scan=None
) -> RecognitionDecision:
    """Record a draft's number, date, signer and (``scan``: an upload) its signed scan.

    The scan is checked by its content like any evidence file (communes.uploads).
    """
    _require_decider(by, decision.year)
    _require_draft(decision)
    decision.number = (number or "").strip()
    decision.signed_on = signed_on
    decision.signer = (signer or "").strip()
    if scan is not None:
        checked = uploads.check_upload(scan)
        name = f"decisions/{decision.year}/{secrets.token_hex(16)}.{checked.extension}"
        decision.scan.save(name, ContentFile(checked.data), save=False)
    decision.save()
    return decision


def decision_issue(*, decision: RecognitionDecision, by) -> RecognitionDecision:
    """Issue a complete draft; from then on it never changes."""
    _require_decider(by, decision.year)
    with transaction.atomic():
        decision = RecognitionDecision.objects.select_for_update().get(pk=decision.pk)
        _require_draft(decision)
        missing = []
        if not decision.number:
            missing.append(_("số quyết định"))
        if not decision.signed_on:
            missing.append(_("ngày ký"))
        if not decision.signer:
            missing.append(_("người ký"))
        if not decision.scan:
            missing.append(_("bản quét có chữ ký"))
        if not decision.entries.exists():
            missing.append(_("danh sách xã"))
        if decision.kind == RecognitionDecision.Kind.WITHDRAW and not decision.reason:
            missing.append(_("lý do thu hồi"))
        if missing:
            raise ValidationError(
                _("Chưa ban hành được, còn thiếu: %(missing)s.") % {"missing": ", ".join(missing)}
            )
        withdrawn = decision.withdraws
        if (
            withdrawn is not None
            and withdrawn.signed_on is not None
            and decision.signed_on is not None
            and decision.signed_on < withdrawn.signed_on
        ):
            raise ValidationError(_("Quyết định thu hồi phải ký sau quyết định bị thu hồi."))
        decision.state = RecognitionDecision.State.ISSUED
        decision.issued_by = by
        decision.issued_at = timezone.now()
        decision.save()
        transaction.on_commit(caching.invalidate)
    return decision


def decision_withdraw_draft(
    *, decision: RecognitionDecision, by, commune_ids, reason: str
) -> RecognitionDecision:
    """A draft decision withdrawing the recognition of ``commune_ids`` given by the issued
    ``decision``; it takes effect when it is issued in its turn."""
    _require_decider(by, decision.year)
    reason = (reason or "").strip()
    if not decision.is_issued or decision.kind != RecognitionDecision.Kind.RECOGNIZE:
        raise ValidationError(_("Chỉ thu hồi được một quyết định công nhận đã ban hành."))
    if not reason:
        raise ValidationError(_("Cần ghi lý do thu hồi."))
    named = set(decision.entries.values_list("commune_id", flat=True))
    visible = set(
        Commune.objects.visible_to(by).filter(pk__in=commune_ids).values_list("pk", flat=True)
    )
    chosen = [pk for pk in commune_ids if pk in named and pk in visible]
    if not chosen:
        raise ValidationError(_("Hãy chọn ít nhất một xã của quyết định để thu hồi."))
    with transaction.atomic():
        withdrawal = RecognitionDecision.objects.create(
            year=decision.year,
            kind=RecognitionDecision.Kind.WITHDRAW,
            level=decision.level,
            district=decision.district,
            withdraws=decision,
            reason=reason,
            created_by=by,
        )
        statuses = _statuses(decision.year, chosen)
        DecisionCommune.objects.bulk_create(
            DecisionCommune(
                decision=withdrawal, commune_id=pk, status_when_added=statuses.get(pk, "")
            )
            for pk in chosen
        )
    return withdrawal
