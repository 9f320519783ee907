"""What the rule reads of a year: its checklist and thresholds, each commune's facts, and
the fingerprint of those facts that lets a recompute skip the communes where none moved.

``targets.rules.evaluate`` is a pure function of (year, ``Facts``, ``Checklist``,
``Thresholds``). A status is therefore still right as long as those are what they were
when it was computed: the recompute stores, beside each status, a fingerprint of them
(``CertificationStatus.facts_hash``), and the next run evaluates only the communes whose
fingerprint differs (``fingerprints_compare``, one statement on PostgreSQL).

The fingerprint is an MD5 of a line of text holding the MD5 of another:

    base = md5(<year key>|<committee day>|<launch day>|<evidence>)
    fingerprint = md5(<base>|<responses>|<satisfied>)

with days as YYYY-MM-DD (empty when none), the year's survey counts from the roll-up,
and the year's evidence that is not a draft as ``criterion id:state:value`` (value empty
when none) joined by commas in the order of the criterion ids. The base is stored with
the status (``facts_base``): a change of survey counts alone gives the new fingerprint
from it and the new counts, without reading the evidence (``targets.services``). The
year key is an MD5 of
the year, its thresholds, its active criteria in checklist order (what the rule reads of
each), and the source of the code that the result depends on (``code_key``): editing a
criterion, a year's rule or the rule's code makes every status of the year be evaluated
again.

The line is written twice, in Python (``YearRule.fingerprint``, from the facts the
verdict was computed from: what is stored) and in SQL (``FINGERPRINTS_SQL``, from the
tables now: what is compared). They must agree; a test keeps them so. If they ever
disagreed, statuses would be evaluated again every night (slower, never stale): a
fingerprint is only a cache key, the rule stays ``targets.rules`` alone.
"""

import datetime
import functools
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db.models import IntegerField, Min, Q, TextField, Value

from communes import numbers
from communes.models import (
    Commune,
    Criterion,
    CriterionKind,
    Evidence,
    EvidenceState,
    Level,
    reference_date,
)
from communes.selectors import certification_rule
from friendlygov import bulk
from surveys import rules as survey_rules
from surveys.models import SurveyYear
from targets import rules
from targets.models import Status


@functools.cache
def code_key() -> str:
    """A digest of the code a status depends on besides its facts: the rule, the survey
    test and the numbers it calls, this module (which facts are read, and how they are
    fingerprinted), and the codes of the states, kinds and statuses the rule compares.
    Computed once per process."""
    digest = hashlib.md5(usedforsecurity=False)
    for module in (rules, survey_rules, numbers):
        digest.update(_source(module.__file__))
    digest.update(_source(__file__))
    for choices in (Status, EvidenceState, CriterionKind, Level):
        digest.update(repr(choices.values).encode())
    return digest.hexdigest()


def _source(path: str | None) -> bytes:
    if path is None:  # a module without a file: nothing to tell versions apart
        raise RuntimeError("the rule's code has no source file to fingerprint")
    return Path(path).read_bytes()


@dataclass(frozen=True, slots=True)
class YearRule:
    """A year's checklist and thresholds, prepared once for the evaluation of many
    communes, and the key of the year's fingerprints."""

    year: int
    on: datetime.date  # the reference date: the units in force on it are evaluated
    thresholds: rules.Thresholds
    checklist: rules.Checklist
    key: str

    def evaluate(self, facts: rules.Facts) -> rules.Verdict:
        return rules.evaluate(
            year=self.year, facts=facts, criteria=self.checklist, rule=self.thresholds
        )

    def part(self, facts: rules.Facts) -> rules.Part:
        return rules.evaluate_part(year=self.year, facts=facts, criteria=self.checklist)

    def compose(self, part: rules.Part, responses: int, satisfied: int) -> rules.Verdict:
        return rules.compose(
            part,
            responses=responses,
            satisfied=satisfied,
            criteria=self.checklist,
            rule=self.thresholds,
        )

    def survey_met(self, responses: int, satisfied: int) -> bool:
        return rules.survey_met(responses, satisfied, self.thresholds)

    def fingerprint(self, facts: rules.Facts) -> str:
        """The fingerprint of ``facts`` (see the module's docstring), as
        ``FINGERPRINTS_SQL`` computes it from the tables."""
        return facts_hash(self.base(facts), facts.responses, facts.satisfied)

    def base(self, facts: rules.Facts) -> str:
        """The digest of the year key and the facts but the survey counts (the first
        line of the module's docstring)."""
        evidence = ",".join(
            f"{criterion_id}:{state}:{'' if value is None else value}"
            for criterion_id, (state, value) in sorted(facts.evidence.items())
        )
        line = "|".join((self.key, _day(facts.committee_on), _day(facts.launched_on), evidence))
        return hashlib.md5(line.encode(), usedforsecurity=False).hexdigest()


def facts_hash(base: str, responses: int, satisfied: int) -> str:
    """The fingerprint of the facts whose other facts' digest is ``base`` (the second
    line of the module's docstring)."""
    line = f"{base}|{responses}|{satisfied}"
    return hashlib.md5(line.encode(), usedforsecurity=False).hexdigest()


def _day(day: datetime.date | None) -> str:
    return "" if day is None else day.isoformat()


def year_rule(year: int) -> YearRule:
    """The rule of ``year``: its reference date, thresholds and the criteria active in it
    (three queries)."""
    rule = certification_rule(year=year)
    thresholds = rules.Thresholds(
        satisfaction_threshold=rule.satisfaction_threshold,
        min_responses=rule.min_responses,
        pass_score=rule.pass_score,
    )
    checklist = rules.Checklist(
        rules.Criterion(
            id=c.pk,
            code=c.code,
            kind=c.kind,
            is_required=c.is_required,
            points=c.points,
            threshold=c.threshold,
        )
        for c in Criterion.objects.active_in(year)
    )
    # The criteria in checklist order: the order of the reasons is part of the verdict.
    key = f"{code_key()}|{year}|{thresholds!r}|{checklist.criteria!r}"
    return YearRule(
        year=year,
        on=reference_date(year),
        thresholds=thresholds,
        checklist=checklist,
        key=hashlib.md5(key.encode(), usedforsecurity=False).hexdigest(),
    )


# A commune's committee day: the day its earliest commune-level committee was set up.
_COMMITTEE_ON = Min("committees__established_on", filter=Q(committees__level=Level.COMMUNE))


def year_facts(
    *, rule: YearRule, commune_ids: Iterable[int] | None = None
) -> dict[int, rules.Facts]:
    """The facts of the year of ``rule`` of each commune of ``commune_ids`` (default all)
    in force on the year's reference date, in three queries whatever their number: the
    communes with their earliest committee, the year's evidence, and the survey counts
    (from the roll-up per commune and year, ``SurveyYear``)."""
    year = rule.year
    # A year is evaluated on the units in force on its reference date, and only on them.
    communes = Commune.objects.in_force(on=rule.on)
    evidence_rows = Evidence.objects.filter(year=year).exclude(state=EvidenceState.DRAFT)
    survey_years = SurveyYear.objects.filter(year=year)
    if commune_ids is not None:
        ids = bulk.ids_in(commune_ids)
        communes = communes.filter(pk__in=ids)
        evidence_rows = evidence_rows.filter(commune_id__in=ids)
        survey_years = survey_years.filter(commune_id__in=ids)

    commune_rows = bulk.rows(
        communes.annotate(committee_on=_COMMITTEE_ON)
        .order_by()
        .values_list("pk", "model_launched_on", "committee_on")
    )
    # Evidence is unique per (commune, criterion, year): each row is already the
    # per-criterion aggregate the rule needs, so the rows are read as they are, as plain
    # (state, value) pairs.
    evidence: defaultdict[int, dict[int, tuple[str, Decimal | None]]] = defaultdict(dict)
    for commune_id, criterion_id, state, value in bulk.rows(
        evidence_rows.order_by().values_list("commune_id", "criterion_id", "state", "value")
    ):
        evidence[commune_id][criterion_id] = (state, value)
    surveys = {
        commune_id: (responses, satisfied)
        for commune_id, responses, satisfied in bulk.rows(
            survey_years.order_by().values_list("commune_id", "responses", "satisfied")
        )
    }

    no_evidence: Mapping[int, tuple[str, Decimal | None]] = {}
    facts = {}
    for commune_id, launched_on, committee_on in commune_rows:
        responses, satisfied = surveys.get(commune_id, (0, 0))
        facts[commune_id] = rules.Facts(
            committee_on=committee_on,
            launched_on=launched_on,
            evidence=evidence.get(commune_id, no_evidence),
            responses=responses,
            satisfied=satisfied,
        )
    return facts


# The fingerprint of every commune in force in each year compared, as
# ``YearRule.fingerprint`` computes it, from ``{in_force}`` (rows of year, year key,
# commune, launch day, committee day: the communes each year is evaluated on) and the
# year's survey counts and evidence, beside the stored status's. Returns how many statuses
# are still what their facts give per year and status (year, NULL, status, count), and
# each (year, commune) to evaluate (year, commune, NULL, 1): its facts moved, or it has no
# status yet. One statement for all the years, each table read once for all of them; it
# writes nothing. The parameters are positional, in the order of the text:
# ``{in_force}``'s, the years, the draft state.
# (The in-force rows carry the committee day rather than joining it by commune: a join on
# the union's column, which has no statistics, made PostgreSQL expect a million rows.)
FINGERPRINTS_SQL = """
SELECT year,
       CASE WHEN kept THEN NULL ELSE commune_id END,
       CASE WHEN kept THEN status END,
       count(*)
FROM (
    SELECT c.year, c.commune_id, t.status,
           coalesce(t.facts_hash = md5(concat_ws('|',
                         md5(concat_ws('|',
                             c.key,
                             coalesce(to_char(c.committee_on, 'YYYY-MM-DD'), ''),
                             coalesce(to_char(c.launched_on, 'YYYY-MM-DD'), ''),
                             coalesce(e.evidence, ''))),
                         coalesce(s.responses, 0)::text,
                         coalesce(s.satisfied, 0)::text)), false) AS kept
    FROM (
        SELECT u.fy::smallint AS year, u.fk::text AS key, u.pk AS commune_id,
               u.model_launched_on AS launched_on, u.committee_on
        FROM ({in_force}) u
    ) c
    LEFT JOIN surveys_surveyyear s ON s.commune_id = c.commune_id AND s.year = c.year
    LEFT JOIN (
        SELECT year, commune_id,
               string_agg(criterion_id::text || ':' || state || ':' || coalesce(value::text, ''),
                          ',' ORDER BY criterion_id) AS evidence
        FROM communes_evidence
        WHERE year = ANY(%s::smallint[]) AND state <> %s
        GROUP BY year, commune_id
    ) e ON e.commune_id = c.commune_id AND e.year = c.year
    LEFT JOIN targets_certificationstatus t ON t.year = c.year AND t.commune_id = c.commune_id
) f
GROUP BY 1, 2, 3
"""


def fingerprints_compare(
    *, year_rules: Iterable[YearRule]
) -> dict[int, tuple[list[int], Counter[str]]]:
    """Compare the fingerprint of each commune in force in each year of ``year_rules`` now
    with its stored status's. Returns, per year, the communes to evaluate (facts moved, or
    no status yet) and how many of the others (still what their facts give) have each
    status. Writes nothing. PostgreSQL only (one statement)."""
    year_rules = list(year_rules)
    if not year_rules:
        return {}
    in_force = [
        Commune.objects.in_force(on=rule.on)
        .order_by()
        .annotate(
            fy=Value(rule.year, IntegerField()),
            fk=Value(rule.key, TextField()),
            committee_on=_COMMITTEE_ON,
        )
        .values_list("fy", "fk", "pk", "model_launched_on", "committee_on")
        for rule in year_rules
    ]
    union_sql, union_params = in_force[0].union(*in_force[1:], all=True).query.sql_with_params()
    years = [rule.year for rule in year_rules]
    params = [
        *union_params,
        years,
        str(EvidenceState.DRAFT),
    ]
    compared: dict[int, tuple[list[int], Counter[str]]] = {year: ([], Counter()) for year in years}
    # Bound by PostgreSQL: the statement's text is the same every night.
    with bulk.bound_cursor() as cursor:
        cursor.execute(FINGERPRINTS_SQL.format(in_force=union_sql), params)
        for year, commune_id, status, count in cursor.fetchall():
            moved, kept = compared[year]
            if status is None:
                moved.append(commune_id)
            else:
                kept[status] = count
    for moved, _kept in compared.values():
        moved.sort()
    return compared
