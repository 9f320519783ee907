"""Reads of the communes app that pages share: checklist, reviews, committees, practices."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, OuterRef, Prefetch, Q, Sum
from django.utils import timezone

from communes import hooks
from communes.models import (
    CertificationRule,
    Commune,
    CommuneLink,
    Criterion,
    CriterionGroup,
    CriterionKind,
    District,
    Evidence,
    EvidenceFile,
    EvidenceState,
    FacilityInvestment,
    GoodPractice,
    PracticeAdoption,
    ProgrammeYear,
    SteeringCommittee,
    reference_dates,
)
from communes.text import fold
from friendlygov.cache import stamp_current, stamp_move
from friendlygov.params import ascii_int

FIRST_YEAR = 2023

# --- Years --------------------------------------------------------------------------


def programme_years() -> list[int]:
    """The years the programme runs: every year with a target (each target records its
    year as a ProgrammeYear). Before any is recorded, the programme's first year to this
    year."""
    years = list(ProgrammeYear.objects.order_by("year").values_list("year", flat=True))
    return years or default_programme_years()


def default_programme_years() -> list[int]:
    """The years before any target is recorded: the programme's first year to this year."""
    return list(range(FIRST_YEAR, timezone.localdate().year + 1))


def current_programme_year(years: list[int] | None = None) -> int:
    """The year pages open on when none is asked: this year, clamped to the programme
    years (after the last one, the last; before the first, the first). The dashboards
    and the commune navigation both ask here."""
    years = years if years is not None else programme_years()
    this_year = timezone.localdate().year
    if this_year in years:
        return this_year
    earlier = [y for y in years if y < this_year]
    return earlier[-1] if earlier else years[0]


def programme_year(raw, years: list[int] | None = None) -> int:
    """``raw`` (a ``?year=`` value) if it is a programme year, otherwise the current one."""
    years = years if years is not None else programme_years()
    year = ascii_int(raw, minimum=1, maximum=9999)
    return year if year in years else current_programme_year(years)


def year_of_unit(unit, year: int, years: list[int]) -> int:
    """``year`` if ``unit`` is evaluated in it (in force on its reference date), otherwise
    the programme year closest before it that ``unit`` was evaluated in (the first after
    it for a unit not yet in force); ``year`` when there is none."""
    if unit.valid_from is None and unit.valid_to is None:
        return year  # in force in every year
    dates = reference_dates(years)
    own = [y for y in years if unit.is_in_force(dates[y])]
    if not own or year in own:
        return year
    earlier = [y for y in own if y < year]
    return earlier[-1] if earlier else own[0]


@dataclass
class Lineage:
    """Where a unit came from and where it went: CommuneLink rows, with their units."""

    predecessors: list
    successors: list
    renames: list  # the unit's own renames and changes of kind (links to itself)

    def __bool__(self):
        return bool(self.predecessors or self.successors or self.renames)


def lineage(*, commune) -> Lineage:
    """The lineage links of ``commune`` in both directions (one query)."""
    links = list(
        CommuneLink.objects.filter(Q(successor=commune) | Q(predecessor=commune))
        .select_related("predecessor__district", "successor__district", "reorganization")
        .order_by("effective_on", "predecessor_code", "pk")
    )
    before = [link for link in links if link.successor_id == commune.pk]
    after = [link for link in links if link.predecessor_id == commune.pk]
    renames = [link for link in before if link.predecessor_id == commune.pk]
    return Lineage(
        predecessors=[link for link in before if link.predecessor_id != commune.pk],
        successors=[link for link in after if link.successor_id != commune.pk],
        renames=renames,
    )


@dataclass
class DistrictSuccessor:
    """A unit that took (part of) a dissolved district's communes, with the links that say
    which of them, how and by which resolution (``successor`` None: not known)."""

    successor: Commune | None
    links: list


def district_successors(*, district) -> list[DistrictSuccessor]:
    """Where the communes of ``district`` went when it ended: the successors of the
    communes it had on its last day, through the communes' lineage (a district needs no
    lineage of its own: its communes' links say it all), ordered by the successor's name;
    empty while the district is in force (two queries)."""
    if district.valid_to is None:
        return []
    last = Commune.objects.in_force(on=district.valid_to).filter(district=district)
    links = (
        CommuneLink.objects.filter(predecessor__in=last)
        .exclude(successor_id=F("predecessor_id"))
        .select_related("successor__district", "successor__province", "reorganization")
        .order_by("successor__name", "predecessor_name", "pk")
    )
    groups: dict[int | None, DistrictSuccessor] = {}
    for link in links:
        group = groups.setdefault(link.successor_id, DistrictSuccessor(link.successor, []))
        group.links.append(link)
    # A known successor first, by name; an unknown one last.
    return sorted(groups.values(), key=lambda g: (g.successor is None, fold(str(g.successor))))


def carry_over_sources(*, commune, year: int):
    """Evidence the predecessors of ``commune`` had approved (their latest year before
    ``year`` per criterion is what a page offers) for criteria active in ``year`` for which
    ``commune`` has no approved evidence of ``year``: what its reviewer may accept with
    one action. A QuerySet (one query when read)."""
    predecessors = CommuneLink.objects.filter(successor=commune, predecessor__isnull=False).exclude(
        predecessor=commune
    )
    done = Evidence.objects.filter(commune=commune, year=year, state=EvidenceState.APPROVED).values(
        "criterion_id"
    )
    return Evidence.objects.filter(
        commune__in=predecessors.values("predecessor_id"),
        state=EvidenceState.APPROVED,
        year__lt=year,
        criterion__in=Criterion.objects.active_in(year),
    ).exclude(criterion_id__in=done)


def carry_over_offers(*, commune, year: int) -> list:
    """Of ``carry_over_sources``, each predecessor's latest approved evidence per criterion,
    with its commune and criterion (one query)."""
    latest: dict[tuple[int, int], Evidence] = {}
    for evidence in (
        carry_over_sources(commune=commune, year=year)
        .select_related("commune", "criterion")
        .order_by("criterion__order", "criterion__code", "commune__name", "-year")
    ):
        latest.setdefault((evidence.criterion_id, evidence.commune_id), evidence)
    return list(latest.values())


def checklist_years() -> list[int]:
    """The years a checklist can be opened for: the programme years."""
    return programme_years()


# --- The year's rule ------------------------------------------------------------------


def certification_rule(*, year: int) -> CertificationRule:
    """The year's CertificationRule, or an unsaved one with the defaults of DESIGN.md (85%
    satisfied of at least 30 responses, no pass score).

    The one loader of a year's rule: the engine, the checklist, the surveys pages and the
    exports read the thresholds through it.
    """
    return CertificationRule.objects.filter(year=year).first() or CertificationRule(year=year)


def pass_score(*, year: int) -> int | None:
    """The pass score of the scored criteria in ``year`` (None when no rule is set)."""
    rule = certification_rule(year=year)
    return rule.pass_score if rule.pk else None


# --- What changed since the last approval ----------------------------------------------


@dataclass
class Changes:
    """How evidence differs from what was approved last time."""

    approved_at: datetime.datetime | None = None
    approved_by: str = ""
    note_changed: bool = False
    old_note: str = ""
    value_changed: bool = False
    old_value: Decimal | None = None
    new_value: Decimal | None = None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self):
        return bool(self.note_changed or self.value_changed or self.added or self.removed)


def changes_since_approval(evidence: Evidence) -> Changes | None:
    """What changed since the last approval; None if never approved or unchanged.

    Uses ``evidence.files.all()``, so a prefetch of files keeps this query-free.
    """
    snap = evidence.approved_snapshot
    if not snap or evidence.state == EvidenceState.APPROVED:
        return None
    old_value = Decimal(snap["value"]) if snap.get("value") is not None else None
    old_files = {f["id"]: f["name"] for f in snap.get("files", [])}
    current = {f.pk: f.original_name for f in evidence.files.all()}
    changes = Changes(
        approved_at=datetime.datetime.fromisoformat(snap["at"]) if snap.get("at") else None,
        approved_by=snap.get("by", ""),
        note_changed=(snap.get("note") or "") != evidence.note,
        old_note=snap.get("note") or "",
        value_changed=old_value != evidence.value,
        old_value=old_value,
        new_value=evidence.value,
        added=[name for pk, name in current.items() if pk not in old_files],
        removed=[name for pk, name in old_files.items() if pk not in current],
    )
    return changes or None


# --- The checklist ------------------------------------------------------------------------


@dataclass
class ChecklistRow:
    criterion: Criterion
    evidence: Evidence | None = None
    survey: hooks.SurveyFigures | None = None  # for the survey criterion (surveys)

    @property
    def state(self) -> str:
        """missing / draft / submitted / approved / rejected, or survey_<state>."""
        if self.criterion.kind == CriterionKind.SURVEY:
            return f"survey_{self.survey.state}" if self.survey else "survey_too_few"
        return self.evidence.state if self.evidence else "missing"

    @property
    def is_approved(self) -> bool:
        return self.evidence is not None and self.evidence.state == EvidenceState.APPROVED

    @property
    def awaiting(self) -> str | None:
        """Whose move it is: ``commune``, ``district`` or None (done, or computed)."""
        if self.criterion.kind == CriterionKind.SURVEY:
            return None
        if self.evidence is None or self.evidence.is_editable:
            return "commune"
        if self.evidence.state == EvidenceState.SUBMITTED:
            return "district"
        return None

    @property
    def below_threshold(self) -> bool:
        """A measured value entered that does not reach the criterion's threshold."""
        return (
            self.criterion.kind == CriterionKind.MEASURED
            and self.evidence is not None
            and self.evidence.value is not None
            and not self.criterion.meets_threshold(self.evidence.value)
        )

    @property
    def earns_points(self) -> bool:
        return (
            not self.criterion.is_required
            and self.is_approved
            and (
                self.criterion.kind != CriterionKind.MEASURED
                or self.criterion.meets_threshold(self.evidence.value)  # type: ignore[union-attr]
            )
        )

    @property
    def files(self) -> list[EvidenceFile]:
        return list(self.evidence.files.all()) if self.evidence else []

    @property
    def changes(self) -> Changes | None:
        return changes_since_approval(self.evidence) if self.evidence else None

    @property
    def submittable(self) -> bool:
        """A draft that has what it needs: the checklist offers to send it right away.

        A returned item is not offered: its reviewer's note asks for a change first.
        """
        if self.evidence is None or self.evidence.state != EvidenceState.DRAFT:
            return False
        if self.criterion.kind == CriterionKind.EVIDENCE:
            return bool(self.files)
        if self.criterion.kind == CriterionKind.MEASURED:
            return self.evidence.value is not None
        return False


@dataclass
class ChecklistGroup:
    key: str
    label: str
    rows: list[ChecklistRow]


@dataclass
class Checklist:
    commune: Commune
    year: int
    groups: list[ChecklistGroup]
    survey: hooks.SurveyFigures | None  # None without a survey criterion
    pass_score: int | None  # None while the year has no CertificationRule

    @property
    def rows(self) -> list[ChecklistRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def reviewed_rows(self) -> list[ChecklistRow]:
        return [r for r in self.rows if r.criterion.needs_review]

    @property
    def approved_count(self) -> int:
        return sum(r.is_approved for r in self.reviewed_rows)

    @property
    def total_count(self) -> int:
        return len(self.reviewed_rows)

    @property
    def approved_percent(self) -> int:
        return round(100 * self.approved_count / self.total_count) if self.total_count else 0

    @property
    def required_total(self) -> int:
        return sum(r.criterion.is_required for r in self.reviewed_rows)

    @property
    def required_approved(self) -> int:
        return sum(r.criterion.is_required and r.is_approved for r in self.reviewed_rows)

    @property
    def points_available(self) -> int:
        return sum(r.criterion.points for r in self.reviewed_rows if not r.criterion.is_required)

    @property
    def points_earned(self) -> int:
        return sum(r.criterion.points for r in self.reviewed_rows if r.earns_points)

    @property
    def awaiting_commune(self) -> int:
        return sum(r.awaiting == "commune" for r in self.rows)

    @property
    def awaiting_district(self) -> int:
        return sum(r.awaiting == "district" for r in self.rows)

    @property
    def returned_count(self) -> int:
        return sum(r.state == EvidenceState.REJECTED for r in self.rows)

    @property
    def changed_count(self) -> int:
        return sum(bool(r.changes) for r in self.rows)

    @property
    def has_evidence(self) -> bool:
        return any(r.evidence is not None for r in self.rows)

    # What ``?show=`` may narrow the list to: what the commune must act on, or what
    # was returned to it.
    SHOW = ("action", "returned")

    def groups_shown(self, show: str | None) -> list[ChecklistGroup]:
        """The groups with only the rows ``show`` asks for (all of them for None)."""
        keep = {
            "action": lambda r: r.awaiting == "commune",
            "returned": lambda r: r.state == EvidenceState.REJECTED,
        }.get(show)  # type: ignore[arg-type]
        if keep is None:
            return self.groups
        groups = [
            ChecklistGroup(key=g.key, label=g.label, rows=[r for r in g.rows if keep(r)])
            for g in self.groups
        ]
        return [g for g in groups if g.rows]


def checklist(*, commune: Commune, year: int) -> Checklist:
    """Every criterion active in ``year`` with the commune's evidence, grouped.

    A constant number of queries (criteria, evidence with their files and people, the
    survey figures, the year's rule), whatever the number of criteria.
    """
    criteria = list(Criterion.objects.active_in(year))
    evidence = {
        e.criterion_id: e
        for e in Evidence.objects.filter(commune=commune, year=year)
        .select_related("submitted_by", "reviewed_by")
        .prefetch_related(Prefetch("files", queryset=EvidenceFile.objects.order_by("pk")))
    }
    rule = certification_rule(year=year)
    survey = None
    if any(c.kind == CriterionKind.SURVEY for c in criteria):
        survey = hooks.survey_figures(commune=commune, year=year, rule=rule)
    labels = dict(CriterionGroup.choices)
    by_group: dict[str, list[ChecklistRow]] = {}
    for criterion in criteria:
        row = ChecklistRow(
            criterion=criterion,
            evidence=evidence.get(criterion.pk),
            survey=survey if criterion.kind == CriterionKind.SURVEY else None,
        )
        by_group.setdefault(criterion.group, []).append(row)
    groups = [
        ChecklistGroup(key=key, label=labels[key], rows=by_group[key])  # type: ignore[arg-type]
        for key in labels
        if key in by_group
    ]
    return Checklist(
        commune=commune,
        year=year,
        groups=groups,
        survey=survey,
        pass_score=rule.pass_score if rule.pk else None,
    )


def evidence_row(*, commune: Commune, criterion: Criterion, year: int) -> ChecklistRow:
    """One criterion of the checklist with the commune's evidence (for the evidence page)."""
    evidence = (
        Evidence.objects.filter(commune=commune, criterion=criterion, year=year)
        .select_related("submitted_by", "reviewed_by")
        .prefetch_related(
            Prefetch(
                "files",
                queryset=EvidenceFile.objects.select_related("uploaded_by").order_by("pk"),
            )
        )
        .first()
    )
    survey = None
    if criterion.kind == CriterionKind.SURVEY:
        survey = hooks.survey_figures(commune=commune, year=year)
    return ChecklistRow(criterion=criterion, evidence=evidence, survey=survey)


def evidence_history(evidence: Evidence | None):
    """Every state change of ``evidence``, oldest first, with who made it."""
    if evidence is None:
        return []
    return evidence.transitions.select_related("by").order_by("at", "pk")


# --- The review queue ---------------------------------------------------------------------


def overdue_days() -> int:
    return settings.EVIDENCE_REVIEW_OVERDUE_DAYS


def review_queue(*, user):
    """Submitted evidence of the communes ``user`` may see, oldest submission first.

    Each row carries ``files_count``; the commune, district, criterion and submitter come
    in the same query. The files are counted by a subquery, for the rows of the page
    only: counted by a join, every submitted row of the queue was grouped before one
    page of them was kept (a country's 32,000: 250 ms, BENCHMARKS.md).
    """
    return (
        Evidence.objects.visible_to(user)
        .filter(state=EvidenceState.SUBMITTED)
        .select_related("commune__district", "criterion", "submitted_by")
        .annotate(files_count=_count(EvidenceFile.objects.filter(evidence=OuterRef("pk"))))
        .order_by("submitted_at", "pk")
    )


def overdue_before() -> datetime.datetime:
    """Submissions before this moment are overdue."""
    return timezone.now() - datetime.timedelta(days=overdue_days())


# --- Committees -----------------------------------------------------------------------------


def current_committee(unit) -> SteeringCommittee | None:
    """The committee in force for ``unit`` (the newest), with its members."""
    return SteeringCommittee.objects.of_unit(unit).prefetch_related("members").first()


def practice_list():
    """Every good practice with its origin and ``adopters``: the communes that adopted it."""
    return (
        GoodPractice.objects.select_related("origin__district")
        .annotate(adopters=Count("adoptions", distinct=True))
        .order_by("name")
    )


def practice_spread(*, practice, districts=None):
    """Each district (of ``districts``, default all) with ``communes_total`` and
    ``adopters``, the number of its communes that adopted ``practice``. One query."""
    districts = districts if districts is not None else District.objects.all()
    return districts.annotate(
        communes_total=Count("communes", distinct=True),
        adopters=Count(
            "communes__adoptions",
            filter=Q(communes__adoptions__practice=practice),
            distinct=True,
        ),
    ).order_by("code")


def practice_spread_by_province(*, practice):
    """Each province with ``communes_total`` and ``adopters`` of ``practice``: the national
    view of ``practice_spread`` (63 rows, not 705). One query."""
    from communes.models import Province

    return Province.objects.annotate(
        communes_total=Count("communes", distinct=True),
        adopters=Count(
            "communes__adoptions",
            filter=Q(communes__adoptions__practice=practice),
            distinct=True,
        ),
    ).order_by("code", "valid_from")


def practice_adoptions(*, practice, communes):
    """The adoptions of ``practice`` by ``communes`` (a scoped queryset), earliest first."""
    return (
        PracticeAdoption.objects.filter(practice=practice, commune__in=communes)
        .select_related("commune__district")
        .order_by("adopted_on", "commune__name")
    )


def communes_total() -> int:
    return Commune.objects.count()


def district_investments(*, district) -> list:
    """The district's facility investment rows, every year: year by year, its own rows
    first, then its communes' in alphabetical order (Vietnamese letters folded)."""
    rows = FacilityInvestment.objects.filter(district=district).select_related(
        "commune", "district"
    )
    return sorted(
        rows,
        key=lambda r: (r.year, r.commune_id is not None, fold(r.commune.name if r.commune else "")),
    )


def investment_totals_by_year(*, district) -> list[dict]:
    """[{"year", "planned", "spent"}] of the district (its own and its communes' rows)."""
    return list(
        FacilityInvestment.objects.filter(district=district)  # type: ignore[arg-type]
        .values("year")
        .annotate(planned=Sum("planned_vnd"), spent=Sum("spent_vnd"))
        .order_by("year")
    )


# --- Deadlines --------------------------------------------------------------------------


# A filter no commune passes, which still compiles to SQL (an empty ``pk__in`` would make
# Django skip the whole query, and an aggregate beside it would read 0).
_NOTHING = Q(pk__isnull=True)


@dataclass(frozen=True)
class DeadlineState:
    """Where a commune stands against its year's deadlines on ``today``.

    The one place that says whether a checklist is open and how many days are left:
    the checklist, the evidence pages, the services and the worklists all ask here.
    """

    today: datetime.date
    submission_deadline: datetime.date | None
    review_deadline: datetime.date | None
    extension_until: datetime.date | None = None
    extension_note: str = ""

    @property
    def closes_on(self) -> datetime.date | None:
        """The last day the commune may still submit (None: no deadline set)."""
        if self.submission_deadline is None:
            return None
        return max(self.submission_deadline, self.extension_until or self.submission_deadline)

    @property
    def is_open(self) -> bool:
        return self.closes_on is None or self.today <= self.closes_on

    @property
    def is_extended(self) -> bool:
        return (
            self.extension_until is not None
            and self.submission_deadline is not None
            and self.extension_until > self.submission_deadline
        )

    @property
    def days_left(self) -> int | None:
        """Days until the checklist closes (0 on the last day, negative once closed)."""
        return None if self.closes_on is None else (self.closes_on - self.today).days

    @property
    def review_days_left(self) -> int | None:
        return None if self.review_deadline is None else (self.review_deadline - self.today).days

    # The same rule as a filter of communes annotated with ``extension_until`` (their
    # extension of the year, NULL without one): on the year's state (no extension of its
    # own), for a board of every commune counted and paged in SQL.

    def extended_q(self) -> Q:
        """Communes whose extension goes past the deadline (``is_extended``)."""
        if self.submission_deadline is None:
            return _NOTHING
        return Q(extension_until__gt=self.submission_deadline)

    def closed_q(self) -> Q:
        """Communes whose checklist is closed on ``today`` (not ``is_open``)."""
        if self.submission_deadline is None or self.today <= self.submission_deadline:
            return _NOTHING
        return Q(extension_until__isnull=True) | Q(extension_until__lt=self.today)


def deadline_state(*, commune: Commune, year: int, today=None) -> DeadlineState:
    """The commune's deadlines for ``year`` and its extension, if any (two queries)."""
    from communes.models import ChecklistDeadline, DeadlineExtension

    today = today or timezone.localdate()
    deadline = ChecklistDeadline.objects.filter(year=year).first()
    extension = DeadlineExtension.objects.filter(commune=commune, year=year).first()
    return DeadlineState(
        today=today,
        submission_deadline=deadline.submission_deadline if deadline else None,
        review_deadline=deadline.review_deadline if deadline else None,
        extension_until=extension.until if extension else None,
        extension_note=extension.note if extension else "",
    )


def year_deadline_state(*, year: int, today=None) -> DeadlineState:
    """The year's deadlines without any commune's extension (a reviewer's worklist)."""
    from communes.models import ChecklistDeadline

    deadline = ChecklistDeadline.objects.filter(year=year).first()
    return DeadlineState(
        today=today or timezone.localdate(),
        submission_deadline=deadline.submission_deadline if deadline else None,
        review_deadline=deadline.review_deadline if deadline else None,
    )


@dataclass(frozen=True, slots=True)
class UnitRef:
    """What a long list shows of a unit: read as plain values, no model instance (the
    deadlines board reads one per commune of the caller's scope, 10,598 for an admin)."""

    pk: int
    code: str
    name: str
    district: "UnitRef | None" = None


@dataclass(frozen=True)
class DeadlineRow:
    commune: UnitRef
    state: DeadlineState
    required: int
    sent: int  # required criteria submitted or approved

    @property
    def is_late(self) -> bool:
        """Closed while required evidence is still not sent."""
        return not self.state.is_open and self.sent < self.required


@dataclass
class DeadlineBoard:
    """The "who is late, who is extended" screen of a year over some communes: counted,
    filtered and paged in SQL (an administrator's board covers 10,598 communes), rows
    built only for what a page shows (``rows_of``)."""

    year_state: DeadlineState  # the year's deadlines, without any commune's extension
    required: int  # required criteria of the year (the survey aside)
    communes: Any  # the communes, annotated with ``sent`` and their extension
    late_q: Q
    extended_q: Q
    sent: Any  # the expression counting a commune's required items sent

    @property
    def late(self):
        return self.communes.filter(self.late_q)

    @property
    def extended(self):
        return self.communes.filter(self.extended_q)

    def counts(self) -> dict[str, int]:
        """{"all": n, "late": n, "extended": n} (one query)."""
        return self.communes.aggregate(
            all=Count("pk"),
            late=Count("pk", filter=self.late_q),
            extended=Count("pk", filter=self.extended_q),
        )

    def listing(self, communes):
        """What ``rows_of`` reads of ``communes`` (``communes``, ``late``, ``extended``,
        filtered further if need be): slice it, page it, then make rows of the slice."""
        return communes.annotate(sent=self.sent).values_list(
            "pk", "code", "name", "district__code", "district__name", "sent",
            "extension_until", "extension_note",
        )  # fmt: skip

    def rows_of(self, listed) -> list[DeadlineRow]:
        """A row of each of ``listed`` (values of ``listing``), its state worked out by
        ``DeadlineState``."""
        rows = []
        districts: dict[str, UnitRef] = {}
        for pk, code, name, district_code, district_name, sent, until, note in listed:
            district = None
            if district_code is not None:
                district = districts.setdefault(
                    district_code, UnitRef(pk=0, code=district_code, name=district_name)
                )
            state = DeadlineState(
                today=self.year_state.today,
                submission_deadline=self.year_state.submission_deadline,
                review_deadline=self.year_state.review_deadline,
                extension_until=until,
                extension_note=note or "",
            )
            commune = UnitRef(pk=pk, code=code, name=name, district=district)
            rows.append(DeadlineRow(commune, state, self.required, sent))
        return rows


def deadline_board(*, year: int, communes, today=None) -> DeadlineBoard:
    """``communes`` with their deadline state for ``year`` and how much of their required
    evidence they have sent, by district and name: the queries of the deadlines page,
    whatever the number of communes (nothing is read per commune in Python).

    Who is late is one anti-join against the communes that sent every required item
    (grouped once), not a count per commune; what each shown row sent is counted for the
    rows of the page only (``listing``)."""
    from django.db.models import FilteredRelation, IntegerField, Subquery
    from django.db.models.functions import Coalesce

    year_state = year_deadline_state(year=year, today=today)
    required = (
        Criterion.objects.active_in(year)
        .filter(is_required=True)
        .exclude(kind=CriterionKind.SURVEY)
    )
    evidence_sent = Evidence.objects.filter(
        year=year,
        criterion__in=required,
        state__in=(EvidenceState.SUBMITTED, EvidenceState.APPROVED),
    ).order_by()
    required_count = required.count()
    sent = (
        evidence_sent.filter(commune=OuterRef("pk"))
        .values("commune")
        .annotate(n=Count("pk"))
        .values("n")
    )
    complete = (
        evidence_sent.values("commune")
        .annotate(n=Count("pk"))
        .filter(n__gte=required_count)
        .values("commune")
    )
    # At most one extension a commune and year (a constraint): a join, not a subquery.
    annotated = communes.annotate(
        year_extension=FilteredRelation("extensions", condition=Q(extensions__year=year)),
        extension_until=F("year_extension__until"),
        extension_note=F("year_extension__note"),
    ).order_by("district__code", "name", "pk")
    return DeadlineBoard(
        year_state=year_state,
        required=required_count,
        communes=annotated,
        late_q=(year_state.closed_q() & ~Q(pk__in=complete)) if required_count else _NOTHING,
        extended_q=year_state.extended_q(),
        sent=Coalesce(Subquery(sent, output_field=IntegerField()), 0),
    )


# --- The navigation's counts ----------------------------------------------------------------


def _count(queryset):
    """A scalar subquery counting ``queryset`` (0 when empty), to read many counts at once."""
    from django.db.models import IntegerField, Subquery, Value
    from django.db.models.functions import Coalesce

    counted = queryset.order_by().annotate(_one=Value(1)).values("_one")
    counted = counted.annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


NAV_COUNTS_SECONDS = 60
_NAV_GENERATION_KEY = "nav-counts:generation"


def forget_nav_counts(**_signal_kwargs) -> None:
    """Every user's navigation counts are read afresh: an evidence item moved, a
    notification was sent or read (now, and when the transaction commits). A signal
    receiver too: any arguments are accepted."""
    stamp_move(_NAV_GENERATION_KEY)


def nav_counts(user, found: dict | None = None) -> dict:
    """``nav_counts_of(user)``, from the shared cache (``settings.SHARED_CACHE``) while no
    evidence or notification has changed since, for at most ``NAV_COUNTS_SECONDS`` (what
    becomes overdue with time alone shows within that): every page of a signed-in user
    shows them, and they cost a query of counts. ``found``: what the cache answered for
    ``nav_counts_keys(user.pk)`` in this request, when already read."""
    from django.core.cache import cache

    if not getattr(settings, "SHARED_CACHE", False) or not user.is_authenticated:
        return nav_counts_of(user)
    keys = nav_counts_keys(user.pk)
    if found is None:
        found = cache.get_many(keys)
    cached = nav_counts_cached(user.pk, found)
    if cached is not None:
        return cached
    key = keys[1]
    generation = stamp_current(_NAV_GENERATION_KEY, found)
    counts = nav_counts_of(user)
    if generation is not None:
        cache.set(key, (generation, dict(counts)), NAV_COUNTS_SECONDS)
    return counts


def nav_counts_keys(user_id) -> list[str]:
    """The cache keys ``nav_counts`` reads for ``user_id``: a caller that reads them with
    something else (one ``get_many``) asks ``nav_counts_cached`` what they hold."""
    return [_NAV_GENERATION_KEY, f"nav-counts:{user_id}"]


def nav_counts_cached(user_id, found: dict) -> dict | None:
    """The navigation counts of ``user_id`` in what the cache answered for
    ``nav_counts_keys(user_id)`` (``found``), if they are current; else None."""
    generation_key, key = nav_counts_keys(user_id)
    generation, entry = found.get(generation_key), found.get(key)
    if generation is not None and entry is not None and entry[0] == generation:
        return entry[1]
    return None


def nav_counts_of(user) -> dict:
    """What the navigation shows ``user`` beside its links, in one query: their unread
    notifications and, by role, evidence returned to their commune, evidence waiting for
    their review, and how much of it is overdue."""
    from django.contrib.auth import get_user_model

    from communes.access import communes_reviewed_by, has_role
    from communes.models import Notification, Role, scope_of

    scope = scope_of(user)
    if scope is None:
        return {}
    communes = Commune.objects.visible_to(user)
    evidence = Evidence.objects.filter(commune__in=communes)
    counts = {"unread": _count(Notification.objects.filter(user=OuterRef("pk"), read_at=None))}
    if scope.role == Role.COMMUNE:
        counts["returned"] = _count(evidence.filter(state=EvidenceState.REJECTED))
        counts["waiting"] = _count(evidence.filter(state=EvidenceState.SUBMITTED))
    elif (
        has_role(user, Role.DISTRICT, Role.PROVINCE_REVIEWER, Role.PROVINCE)
        and not scope.sees_everything
    ):
        reviews = has_role(user, Role.DISTRICT, Role.PROVINCE_REVIEWER)
        reviewed = communes_reviewed_by(user) if reviews else communes
        waiting = Evidence.objects.filter(commune__in=reviewed, state=EvidenceState.SUBMITTED)
        counts["waiting"] = _count(waiting)
        counts["overdue"] = _count(waiting.filter(submitted_at__lt=overdue_before()))
    row = get_user_model().objects.filter(pk=user.pk).values(**counts).first()
    return row or {}  # type: ignore[return-value]


# --- Lineage ------------------------------------------------------------------------


def successor_in_force(*, unit: Commune, on: datetime.date) -> Commune | None:
    """The unit in force on ``on`` that took over ``unit``'s one-stop desk: ``unit`` itself
    while it is in force, else its successor, following later reorganizations too.

    A predecessor taken whole by one unit goes to it; one split between several goes to
    the successor chosen on the reorganization screen (``CommuneLink.takes_desk``). None
    when there is no such unit: before ``unit`` came into force, a split nobody chose, an
    unknown successor. The kiosk asks here, so that surveys need not know lineage.
    """
    seen = set()
    while not unit.is_in_force(on):
        if unit.pk in seen or (unit.valid_from and on < unit.valid_from):
            return None
        seen.add(unit.pk)
        links = [
            link
            for link in CommuneLink.objects.filter(
                predecessor=unit, successor__isnull=False, effective_on__lte=on
            )
            .exclude(successor=unit)
            .select_related("successor")
        ]
        successors = {link.successor.pk: link.successor for link in links if link.successor}
        if len(successors) != 1:
            successors = {
                link.successor.pk: link.successor
                for link in links
                if link.successor and link.takes_desk
            }
        if len(successors) != 1:
            return None
        (unit,) = successors.values()
    return unit
