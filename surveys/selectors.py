"""Reads of the surveys app that pages, exports and other apps share."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.numbers import percent
from communes.selectors import certification_rule
from surveys import rules
from surveys.models import (
    MONTHS,
    Element,
    ImportBatch,
    Question,
    Questionnaire,
    SurveyResponse,
    SurveyYear,
    month_fields,
)
from surveys.questions import SATISFIED_FROM


class Period:
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CHOICES = [(MONTH, _("Tháng")), (QUARTER, _("Quý")), (YEAR, _("Năm"))]


@dataclass(frozen=True)
class Figures:
    """Responses, satisfied responses and the satisfaction rate of one period."""

    responses: int = 0
    satisfied: int = 0

    @property
    def rate(self) -> Decimal | None:
        return percent(self.satisfied, self.responses)

    def __add__(self, other):
        return Figures(self.responses + other.responses, self.satisfied + other.satisfied)


@dataclass(frozen=True)
class PeriodRow:
    key: str  # "2024", "2024-Q2", "2024-05"
    label: str  # what people read: "2024", "Quý 2/2024", "05/2024"
    start: datetime.date
    end: datetime.date
    figures: Figures


def active_questionnaire() -> Questionnaire | None:
    """The questionnaire the kiosk and paper entry use now, with its questions."""
    return Questionnaire.objects.filter(is_active=True).prefetch_related("questions").first()


def _year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def monthly_figures(*, commune, year: int) -> list[Figures]:
    """The 12 months of ``year`` (index 0 = January) for ``commune``: one query, on the
    roll-up (``SurveyYear``)."""
    columns = [name for month in MONTHS for name in month_fields(month)]
    row = SurveyYear.objects.filter(commune=commune, year=year).values_list(*columns).first()
    if row is None:
        return [Figures()] * 12
    return [Figures(row[2 * m], row[2 * m + 1]) for m in range(12)]


def period_rows(*, commune, year: int, period: str, months=None) -> list[PeriodRow]:
    """The figures of ``commune`` in ``year`` by month, quarter or for the whole year.

    ``months`` (from ``monthly_figures`` or a ``Trend``) saves the query when known.
    """
    if months is None:
        months = monthly_figures(commune=commune, year=year)
    if period == Period.MONTH:
        return [
            PeriodRow(
                key=f"{year}-{m:02d}",
                label=f"{m:02d}/{year}",
                start=datetime.date(year, m, 1),
                end=_month_end(year, m),
                figures=months[m - 1],
            )
            for m in range(1, 13)
        ]
    if period == Period.QUARTER:
        return [
            PeriodRow(
                key=f"{year}-Q{q}",
                label=_("Quý %(q)s/%(year)s") % {"q": q, "year": year},
                start=datetime.date(year, 3 * q - 2, 1),
                end=_month_end(year, 3 * q),
                figures=sum(months[3 * q - 3 : 3 * q], Figures()),
            )
            for q in range(1, 5)
        ]
    start, end = _year_bounds(year)
    return [
        PeriodRow(
            key=str(year), label=str(year), start=start, end=end, figures=sum(months, Figures())
        )
    ]


def _month_end(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)


@dataclass(frozen=True)
class QuestionShare:
    """How many answered a question and how many of them gave 4 or 5."""

    code: str
    element: str
    text: str
    answered: int
    positive: int

    @property
    def share(self) -> Decimal | None:
        return percent(self.positive, self.answered)


@dataclass(frozen=True)
class ElementShare:
    element: str
    label: str
    answered: int
    positive: int

    @property
    def share(self) -> Decimal | None:
        return percent(self.positive, self.answered)


@dataclass
class Shares:
    """Per-question and per-element shares of one commune and period."""

    questions: list[QuestionShare] = field(default_factory=list)
    elements: list[ElementShare] = field(default_factory=list)
    # Versions of the questionnaire answered in the period (more than one after an edit).
    versions: list[int] = field(default_factory=list)


def question_shares(*, commune, start: datetime.date, end: datetime.date) -> Shares:
    """The share answering 4-5, per question and per SIPAS element, for answers in the dates.

    Questions are taken from each questionnaire version answered in the period, so an old
    version keeps its own questions. Two queries per version in the period, usually one.
    """
    responses = SurveyResponse.objects.of_commune(commune, since=start).filter(
        answered_on__range=(start, end)
    )
    version_ids = list(
        responses.exclude(questionnaire=None)
        .values_list("questionnaire", flat=True)
        .distinct()
        .order_by()
    )
    questionnaires = Questionnaire.objects.filter(pk__in=version_ids).prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("order", "code"))
    )
    shares = Shares()
    by_element: dict[str, list[int]] = {}
    for questionnaire in sorted(questionnaires, key=lambda q: q.version):
        shares.versions.append(questionnaire.version)
        questions = list(questionnaire.questions.all())
        aggregates = {}
        for i, question in enumerate(questions):
            key = f"answers__{question.code}"
            aggregates[f"a{i}"] = Count("pk", filter=Q(**{f"{key}__isnull": False}))
            aggregates[f"p{i}"] = Count("pk", filter=Q(**{f"{key}__gte": SATISFIED_FROM}))
        counts = responses.filter(questionnaire=questionnaire).aggregate(**aggregates)
        for i, question in enumerate(questions):
            share = QuestionShare(
                code=question.code,
                element=question.element,
                text=question.text,
                answered=counts[f"a{i}"],
                positive=counts[f"p{i}"],
            )
            shares.questions.append(share)
            totals = by_element.setdefault(question.element, [0, 0])
            totals[0] += share.answered
            totals[1] += share.positive
    shares.elements = [
        ElementShare(
            element=value,
            label=label,  # type: ignore[arg-type]
            answered=by_element[value][0],
            positive=by_element[value][1],
        )
        for value, label in Element.choices
        if value in by_element
    ]
    return shares


def survey_figures(*, commune, year: int, rule=None) -> rules.SurveyFigures:
    """Responses dated in ``year`` and the satisfied among them, with the year's thresholds
    (``rule``, or the year's rule loaded), from the roll-up. Two queries at most. The
    checklist reads it through ``communes.hooks.survey_figures``."""
    counts = (
        SurveyYear.objects.filter(commune=commune, year=year)
        .values_list("responses", "satisfied")
        .first()
    ) or (0, 0)
    rule = rule or certification_rule(year=year)
    return rules.SurveyFigures(
        responses=counts[0],
        satisfied=counts[1],
        threshold=rule.satisfaction_threshold,
        min_responses=rule.min_responses,
    )


@dataclass
class Trend:
    """A commune's satisfaction by month over one year, for the trend chart and its table."""

    commune: object
    year: int
    months: list[PeriodRow]
    monthly: list[Figures]
    total: Figures
    min_responses: int
    threshold: Decimal

    @property
    def meets_rule(self) -> bool:
        """The year's survey test on the year's totals (``surveys.rules``)."""
        return (
            rules.survey_outcome(
                responses=self.total.responses,
                satisfied=self.total.satisfied,
                min_responses=self.min_responses,
                threshold=self.threshold,
            )
            == rules.MET
        )

    @property
    def chart_id(self) -> str:
        return f"survey-trend-{self.commune.code}-{self.year}"  # type: ignore[attr-defined]

    @property
    def chart(self) -> dict:
        """What static/js/survey_trend.js draws (passed through json_script)."""
        return {
            "labels": [row.label for row in self.months],
            "responses": [row.figures.responses for row in self.months],
            "rates": [
                float(row.figures.rate) if row.figures.rate is not None else None
                for row in self.months
            ],
            "threshold": float(self.threshold),
            "labelResponses": str(_("Số phiếu")),
            "labelRate": str(_("Tỷ lệ hài lòng (%)")),
            "labelThreshold": str(_("Ngưỡng đạt (%)")),
        }


def commune_trend(*, commune, year: int) -> Trend:
    """The month-by-month figures of ``commune`` in ``year``, with the rule's thresholds.

    Two queries (the months, the year's rule). Render with
    ``{% include "surveys/_commune_trend.html" with trend=trend %}``.
    """
    monthly = monthly_figures(commune=commune, year=year)
    months = period_rows(commune=commune, year=year, period=Period.MONTH, months=monthly)
    rule = certification_rule(year=year)
    return Trend(
        commune=commune,
        year=year,
        months=months,
        monthly=monthly,
        total=sum((row.figures for row in months), Figures()),
        min_responses=rule.min_responses,
        threshold=rule.satisfaction_threshold,
    )


def responses_from(*, commune_ids: Iterable[int], day: datetime.date) -> dict[int, int]:
    """{commune id: its responses answered on ``day`` or later}, for those that have any
    (``communes.hooks.survey_responses_from``). Two queries."""
    return dict(
        SurveyResponse.objects.of_communes(commune_ids, since=day)
        .filter(answered_on__gte=day)
        .order_by()
        .values("commune_id")
        .annotate(n=Count("pk"))
        .values_list("commune_id", "n")
    )


def response_years(*, commune) -> list[int]:
    """The years in which ``commune`` has responses, newest first."""
    return list(
        SurveyYear.objects.filter(commune=commune, responses__gt=0)
        .order_by("-year")
        .values_list("year", flat=True)
    )


def recent_responses(*, commune, limit: int = 20):
    """The last responses recorded for ``commune``, newest first, with who typed them."""
    return (
        SurveyResponse.objects.of_commune(commune)
        .select_related("entered_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def recent_deletions(*, commune, limit: int = 5):
    """The last deleted responses of ``commune``, from the history, with who deleted them."""
    return (
        SurveyResponse.history.filter(commune_id=commune.pk, history_type="-")
        .select_related("history_user")
        .order_by("-history_date")[:limit]
    )


def recent_comments(*, commune, start, end, limit: int = 20):
    """What citizens wrote at the kiosk between ``start`` and ``end``, newest first."""
    return (
        # Imported rows carry no comment (surveys.importing): no file's rows to look for.
        SurveyResponse.objects.of_commune(commune, batches=ImportBatch.objects.none())
        .filter(answered_on__range=(start, end))
        .exclude(comment="")
        .only("answered_on", "satisfied", "comment")
        .order_by("-answered_on", "-pk")[:limit]
    )


def paper_entries_today(*, commune, by) -> int:
    """How many paper forms ``by`` has typed in for ``commune`` today (a counter for the desk)."""
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        # Typed-in forms have no import batch: no file's rows to look for.
        SurveyResponse.objects.of_commune(commune, batches=ImportBatch.objects.none())
        .filter(channel="paper", entered_by=by, created_at__gte=midnight)
        .count()
    )


def today() -> datetime.date:
    return timezone.localdate()
