"""Writes of the surveys app: questionnaires, responses and kiosk links.

Every change to a commune's responses queues a recompute of its certification status.
The file import lives in ``surveys.importing``.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.access import has_role
from communes.hooks import recompute_later
from communes.models import Commune, Role, scope_of
from friendlygov import bulk
from surveys import conf, rollup
from surveys.models import (
    COMMENT_MAX_LENGTH,
    Channel,
    Element,
    KioskLink,
    Question,
    Questionnaire,
    SurveyResponse,
    new_kiosk_code,
    new_kiosk_token,
)
from surveys.questions import (
    DEFAULT_QUESTIONS,
    DEFAULT_QUESTIONS_EN,
    DEFAULT_TITLE,
    SATISFIED_FROM,
    SCALE_MAX,
    SCALE_MIN,
)

# --- Questionnaires ----------------------------------------------------------------------


@transaction.atomic
def questionnaire_create_default() -> Questionnaire:
    """Version 1 of the SIPAS questionnaire (what the data migration ships), made if missing.

    Test databases that were flushed and the demo call this; a fresh install already has it.
    """
    questionnaire, created = Questionnaire.objects.get_or_create(
        version=1, defaults={"title": DEFAULT_TITLE}
    )
    if created:
        Question.objects.bulk_create(
            Question(
                questionnaire=questionnaire,
                code=code,
                element=element,
                text_vi=text,
                text_en=DEFAULT_QUESTIONS_EN.get(code),
                order=n,
            )
            for n, (code, element, text) in enumerate(DEFAULT_QUESTIONS, start=1)
        )
    if not Questionnaire.objects.filter(is_active=True).exists():
        questionnaire_activate(questionnaire=questionnaire)
    return questionnaire


@transaction.atomic
def questionnaire_new_version(*, questionnaire: Questionnaire) -> Questionnaire:
    """A copy of ``questionnaire`` as the next version, not yet active, open for editing.

    This is how questions change once people have answered: the answered version stays
    as it was (its responses keep meaning what they meant).
    """
    next_version = (Questionnaire.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    copy = Questionnaire.objects.create(version=next_version, title=questionnaire.title)
    Question.objects.bulk_create(
        Question(
            questionnaire=copy,
            code=q.code,
            element=q.element,
            text_vi=q.text_vi,
            text_en=q.text_en,
            order=q.order,
        )
        for q in questionnaire.questions.all()
    )
    return copy


@transaction.atomic
def questionnaire_activate(*, questionnaire: Questionnaire) -> None:
    """Make ``questionnaire`` the one the kiosk and paper entry use from now on."""
    if not questionnaire.questions.filter(element=Element.OVERALL).exists():
        raise ValidationError(_("Bộ câu hỏi cần có một câu đánh giá chung trước khi dùng."))
    Questionnaire.objects.filter(is_active=True).exclude(pk=questionnaire.pk).update(
        is_active=False
    )
    Questionnaire.objects.filter(pk=questionnaire.pk).update(is_active=True)
    questionnaire.is_active = True


def overall_question(questionnaire: Questionnaire) -> Question:
    return next(q for q in questionnaire.questions.all() if q.element == Element.OVERALL)


# --- Responses ---------------------------------------------------------------------------


def _clean_answers(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, int]:
    codes = {q.code for q in questionnaire.questions.all()}
    unknown = set(answers) - codes
    if unknown:
        raise ValidationError(
            _("Câu hỏi không có trong bộ câu hỏi: %s") % ", ".join(sorted(unknown))
        )
    cleaned = {}
    for code, value in answers.items():
        if value is None:
            continue
        if not isinstance(value, int) or not SCALE_MIN <= value <= SCALE_MAX:
            raise ValidationError(_("%(code)s phải là số từ 1 đến 5.") % {"code": code})
        cleaned[code] = value
    return cleaned


def survey_response_create(
    *,
    commune: Commune,
    questionnaire: Questionnaire,
    answered_on: datetime.date,
    answers: dict[str, int],
    channel: str,
    by: User | None = None,
    submission_token: str | None = None,
    comment: str = "",
) -> SurveyResponse | None:
    """Record one citizen's answers; ``satisfied`` follows the overall question (4 or 5).

    A kiosk form carries a one-time ``submission_token``: when it was already used (a
    double tap), nothing is recorded and None is returned.
    """
    answers = _clean_answers(questionnaire, answers)
    overall = overall_question(questionnaire)
    if overall.code not in answers:
        raise ValidationError(_("Chưa trả lời câu đánh giá chung."))
    if answered_on > timezone.localdate():
        raise ValidationError(_("Ngày trả lời không được sau hôm nay."))
    response = SurveyResponse(
        commune=commune,
        questionnaire=questionnaire,
        answered_on=answered_on,
        channel=channel,
        satisfied=answers[overall.code] >= SATISFIED_FROM,
        answers=answers,
        submission_token=submission_token,
        entered_by=by,
        comment=comment.strip()[:COMMENT_MAX_LENGTH],
    )
    if by is not None:
        response._history_user = by  # type: ignore[attr-defined]
    try:
        # The answer and the request to recompute its commune are saved together: an
        # answer is never kept without its recompute request, nor the reverse.
        with transaction.atomic():
            # What a foreign key constraint would check (the column has none, for imports).
            if by is not None and not bulk.key_share_locked(get_user_model(), [by.pk]):
                raise ValidationError(_("Tài khoản của bạn vừa bị xoá: phiếu không được ghi."))
            response.save()
            questionnaire.answered_now()
            rollup.months_add(
                {(commune.pk, answered_on.year, answered_on.month): [1, int(response.satisfied)]}
            )
            recompute_later(commune_id=commune.pk, year=answered_on.year)
    except IntegrityError:
        if (
            submission_token
            and SurveyResponse.objects.filter(submission_token=submission_token).exists()
        ):
            return None
        raise
    return response


def response_deletable_until(response: SurveyResponse) -> datetime.datetime:
    return response.created_at + datetime.timedelta(days=conf.delete_within_days())


def response_can_delete(response: SurveyResponse, *, user: User) -> bool:
    """A mistaken paper entry may be deleted for a few days, by its commune's staff.

    Kiosk and imported responses are the citizens' own words: nobody deletes them here.
    """
    if response.channel != Channel.PAPER:
        return False
    if timezone.now() > response_deletable_until(response):
        return False
    scope = scope_of(user)
    if scope is None:
        return False
    if scope.sees_everything:
        return True
    return bool(scope.role == Role.COMMUNE and scope.commune_id == response.commune_id)


@transaction.atomic
def survey_response_delete(*, response: SurveyResponse, by: User) -> None:
    """Delete a mistaken paper entry; the history keeps it with who deleted it and when."""
    if not response_can_delete(response, user=by):
        raise PermissionDenied(_("Phiếu này không còn xóa được."))
    commune_id, year = response.commune_id, response.answered_on.year
    response._history_user = by  # type: ignore[attr-defined]
    response._change_reason = "deleted as a mistaken entry"  # type: ignore[attr-defined]
    rollup.months_remove(SurveyResponse.objects.filter(pk=response.pk))
    response.delete()
    recompute_later(commune_id=commune_id, year=year)


@transaction.atomic
def survey_responses_delete(*, responses: QuerySet[SurveyResponse], by: User) -> int:
    """Delete responses (the admin's way; any channel, any age), keeping each in the history.

    One recompute is queued per commune and year affected.
    """
    pks = list(responses.values_list("pk", flat=True))
    affected = set()
    for start in range(0, len(pks), 900):  # SQLite's limit of query parameters
        affected |= rollup.months_remove(
            SurveyResponse.objects.filter(pk__in=pks[start : start + 900])
        )
    count = 0
    for start in range(0, len(pks), 900):
        for response in SurveyResponse.objects.filter(pk__in=pks[start : start + 900]).iterator():
            response._history_user = by  # type: ignore[attr-defined]
            response.delete()
            count += 1
    for commune_id, year in sorted(affected):
        recompute_later(commune_id=commune_id, year=year)
    return count


def commune_responses_delete(sender: type[Commune], instance: Commune, **kwargs: Any) -> None:
    """A commune's deletion deletes its responses, in its transaction (a ``pre_delete``
    receiver of ``Commune``, connected in ``SurveysConfig.ready``): what a CASCADE did,
    through the table's indexes (``SurveyResponse.commune``)."""
    SurveyResponse.objects.of_commune(instance).delete()


# --- Kiosk links -------------------------------------------------------------------------


def _unused_kiosk_codes(count: int) -> list[str]:
    """``count`` different short codes that no desk has: a draw that repeats another or
    one in use is drawn again (rare among 34 million codes, but not impossible)."""
    codes: set[str] = set()
    while len(codes) < count:
        drawn = {new_kiosk_code() for _ in range(count - len(codes))} - codes
        in_use = KioskLink.objects.filter(code__in=drawn).values_list("code", flat=True)
        codes |= drawn - set(in_use)
    return list(codes)


def _unused_kiosk_code() -> str:
    return _unused_kiosk_codes(1)[0]


def kiosk_links_create(communes: Iterable[Commune]) -> list[KioskLink]:
    """The kiosk links of those of ``communes`` that have none, each with its own code."""
    have = set(KioskLink.objects.values_list("commune_id", flat=True))
    missing = [commune for commune in communes if commune.pk not in have]
    codes = _unused_kiosk_codes(len(missing))
    return KioskLink.objects.bulk_create(
        KioskLink(commune=commune, code=code) for commune, code in zip(missing, codes, strict=True)
    )


def kiosk_link_ensure(*, commune: Commune) -> KioskLink:
    """The kiosk link of ``commune``, made on first use."""
    # A callable default is called only when the link is made (Django's get_or_create).
    defaults: dict[str, Any] = {"code": _unused_kiosk_code}
    link, _created = KioskLink.objects.get_or_create(commune=commune, defaults=defaults)
    if link.code is None:
        link.code = _unused_kiosk_code()
        link.save(update_fields=["code"])
    return link


@transaction.atomic
def kiosk_link_rotate(*, commune: Commune, by: User) -> KioskLink:
    """Give ``commune`` a new kiosk link; the old one stops working at once."""
    if not has_role(by, Role.COMMUNE, Role.DISTRICT):
        raise PermissionDenied
    link = kiosk_link_ensure(commune=commune)
    link.token = new_kiosk_token()
    link.code = _unused_kiosk_code()
    link.save()
    return link
