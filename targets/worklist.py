"""Reads of the worklist ("needs my action"), each user's landing page after login.

It lives in targets, the highest app it reads from (evidence, statuses), so that the
lower apps never import upwards. Scope comes from ``communes.access`` and
``Commune.objects.visible_to``, never from role checks of its own.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Min, Q
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communes.access import communes_reviewed_by
from communes.models import (
    Commune,
    Criterion,
    Evidence,
    EvidenceState,
    Notification,
)
from communes.selectors import (
    deadline_state,
    overdue_before,
    review_queue,
    year_deadline_state,
)
from targets.models import CertificationStatus, Status
from targets.selectors import JSONArrayLength

# How many rows each part of the worklist shows; its "all" link opens the full list.
SHOWN = 20


def work_year() -> int:
    """The year whose checklist is being filled now: the current programme year (the one
    the dashboards and the commune navigation open)."""
    from communes.selectors import current_programme_year

    return current_programme_year()


# --- Deadlines ----------------------------------------------------------------------------


def deadlines(*, year: int, commune: Commune | None = None) -> list:
    """The submission and review deadlines of ``year`` in words, with the days left: for
    ``commune``, its own (an extension counts); otherwise the year's. Days left come from
    the one rule, ``communes.selectors.DeadlineState``."""
    if commune is not None:
        state = deadline_state(commune=commune, year=year)
    else:
        state = year_deadline_state(year=year)
    lines = []
    if state.submission_deadline is not None:
        closes_on = formats.date_format(state.closes_on or "", "SHORT_DATE_FORMAT")
        days_left = state.days_left or 0
        if state.is_open:
            lines.append(
                ngettext(
                    "Nộp minh chứng đến hết ngày %(date)s (còn %(days)s ngày).",
                    "Nộp minh chứng đến hết ngày %(date)s (còn %(days)s ngày).",
                    days_left,
                )
                % {"date": closes_on, "days": days_left}
            )
        else:
            lines.append(_("Đã quá hạn nộp minh chứng (%(date)s).") % {"date": closes_on})
    if state.review_deadline is not None:
        lines.append(
            _("Hạn duyệt minh chứng: %(date)s.")
            % {"date": formats.date_format(state.review_deadline, "SHORT_DATE_FORMAT")}
        )
    return lines


# --- Commune staff ------------------------------------------------------------------------


@dataclass
class CommuneWork:
    commune: Commune
    year: int
    returned: list = field(default_factory=list)
    drafts: list = field(default_factory=list)
    waiting: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    deadlines: list = field(default_factory=list)

    @property
    def action_count(self) -> int:
        return len(self.returned) + len(self.drafts) + len(self.missing)


def commune_work(*, commune: Commune) -> CommuneWork:
    """What waits for a commune's staff: items returned with the reviewer's note (every
    year), drafts not sent, items still missing for this year, what waits for review,
    and the deadlines. Five queries."""
    year = work_year()
    evidence = list(
        Evidence.objects.filter(
            commune=commune,
            state__in=[EvidenceState.REJECTED, EvidenceState.DRAFT, EvidenceState.SUBMITTED],
        )
        .select_related("criterion", "reviewed_by")
        .order_by("-year", "criterion__order", "criterion__code")
    )
    present = set(
        Evidence.objects.filter(commune=commune, year=year).values_list("criterion_id", flat=True)
    )
    missing = [
        c for c in Criterion.objects.active_in(year).exclude(kind="survey") if c.pk not in present
    ]
    return CommuneWork(
        commune=commune,
        year=year,
        returned=[e for e in evidence if e.state == EvidenceState.REJECTED],
        drafts=[e for e in evidence if e.state == EvidenceState.DRAFT],
        waiting=[e for e in evidence if e.state == EvidenceState.SUBMITTED],
        missing=missing,
        deadlines=deadlines(year=year, commune=commune),
    )


# --- Reviewers ------------------------------------------------------------------------------


@dataclass
class ReviewWork:
    queue: list
    total: int
    overdue: int
    overdue_before: object
    deadlines: list = field(default_factory=list)


def review_work(*, user) -> ReviewWork:
    """The reviewer's queue, oldest (so overdue) first: its first rows and its counts."""
    queue = review_queue(user=user).filter(commune__in=communes_reviewed_by(user))
    before = overdue_before()
    counts = queue.aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(submitted_at__lt=before))
    )
    return ReviewWork(
        queue=list(queue[:SHOWN]),
        total=counts["total"],
        overdue=counts["overdue"],
        overdue_before=before,
        deadlines=deadlines(year=work_year()),
    )


# --- The province -------------------------------------------------------------------------


def review_backlog(*, communes, by: str = "district"):
    """Per district (``by="province"``: per province, an administrator's country) of
    ``communes``: evidence waiting for review, how much of it is overdue and the oldest
    submission, most overdue first. One query."""
    before = overdue_before()
    unit = f"commune__{by}"
    rows = (
        Evidence.objects.filter(commune__in=communes, state=EvidenceState.SUBMITTED)
        .values(f"{unit}__code", f"{unit}__name", f"{unit}_id")
        .annotate(
            waiting=Count("pk"),
            overdue=Count("pk", filter=Q(submitted_at__lt=before)),
            oldest=Min("submitted_at"),
        )
        .order_by("-overdue", "oldest")
    )
    return [
        {
            "code": r[f"{unit}__code"],
            "name": r[f"{unit}__name"],
            "id": r[f"{unit}_id"],
            "waiting": r["waiting"],
            "overdue": r["overdue"],
            "oldest": r["oldest"],
        }
        for r in rows
    ]


def furthest_from_target(*, year: int, communes, limit: int = SHOWN):
    """The communes of ``communes`` not certified in ``year`` that miss the most, those
    not started first. One query."""
    return list(
        CertificationStatus.objects.filter(year=year, commune__in=communes)
        .exclude(status=Status.CERTIFIED)
        .annotate(reason_count=JSONArrayLength("reasons"))
        .select_related("commune__district")
        .order_by("-reason_count", "commune__district__code", "commune__name")[:limit]
    )


def recent_notifications(*, user, limit: int = 10):
    return list(Notification.objects.filter(user=user).select_related("commune")[:limit])


# --- The public page's search --------------------------------------------------------------

PUBLIC_SEARCH_LIMIT = 30


def public_search(*, year: int, query: str):
    """Communes whose name holds ``query`` (without diacritics: "tam di" finds "Tam Dị"),
    with their status of ``year``: what a citizen may see of their own commune. One query."""
    from django.db.models import F, FilteredRelation

    from communes.text import fold

    folded = fold(query)
    if not folded:
        return []
    return list(
        Commune.objects.filter(search_name__contains=folded)
        .select_related("district", "province")
        .annotate(
            year_row=FilteredRelation("statuses", condition=Q(statuses__year=year)),
            year_status=F("year_row__status"),
        )
        .order_by("name", "code")[:PUBLIC_SEARCH_LIMIT]
    )
