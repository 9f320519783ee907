"""Hand-written SQL that the benchmark measures the portal against (PostgreSQL).

Each statement computes, with nothing but SQL, the same figures as a part of the
portal, so that the benchmark can say how far the portal is from what the database
alone needs: the dashboard's aggregates, and the certification rule of DESIGN.md over
every commune and year.
"""

import datetime

from django.db import connection, transaction

# The certification rule of ``targets.rules`` in one statement, for every commune and
# every year with a rule or a target: (commune_id, year, status, responses, satisfied).
STATUSES_SQL = """
WITH years AS (
    SELECT y.year,
           coalesce(r.satisfaction_threshold, 85) AS threshold,
           greatest(coalesce(r.min_responses, 30), 1) AS minimum,
           coalesce(r.pass_score, 0) AS pass_score
    FROM (SELECT year FROM targets_certificationrule
          UNION SELECT year FROM targets_yeartarget) y
    LEFT JOIN targets_certificationrule r ON r.year = y.year
),
criteria AS (  -- the criteria active each year, with what the rule needs of them
    SELECT y.year, c.id, c.kind, c.is_required, c.points, c.threshold
    FROM years y
    JOIN communes_criterion c
      ON c.active_from <= y.year AND (c.active_to IS NULL OR c.active_to >= y.year)
),
per_year AS (  -- what a commune with no evidence at all would miss, per year
    SELECT y.year,
           count(*) FILTER (WHERE c.kind <> 'survey' AND c.is_required) AS required,
           coalesce(sum(c.points) FILTER (WHERE c.kind <> 'survey'), 0) AS evidence_points,
           coalesce(sum(c.points) FILTER (WHERE c.kind = 'survey'), 0) AS survey_points
    FROM years y LEFT JOIN criteria c ON c.year = y.year
    GROUP BY y.year
),
outcomes AS (  -- each piece of evidence that is not a draft, judged
    SELECT e.commune_id, e.year, c.is_required, c.points,
           CASE
             WHEN e.state = 'submitted' THEN 'awaiting'
             WHEN e.state = 'rejected' THEN 'rejected'
             WHEN c.kind = 'measured' AND c.threshold IS NOT NULL AND e.value IS NULL
               THEN 'value_missing'
             WHEN c.kind = 'measured' AND c.threshold IS NOT NULL AND e.value < c.threshold
               THEN 'below'
             ELSE 'met'
           END AS outcome
    FROM communes_evidence e
    JOIN criteria c ON c.id = e.criterion_id AND c.year = e.year AND c.kind <> 'survey'
    WHERE e.state <> 'draft'
),
evidence AS (
    SELECT commune_id, year,
           count(*) FILTER (WHERE is_required) AS required_present,
           count(*) FILTER (WHERE is_required AND outcome IN ('awaiting', 'value_missing'))
               AS required_pending,
           count(*) FILTER (WHERE is_required AND outcome IN ('rejected', 'below'))
               AS required_failed,
           coalesce(sum(points) FILTER (WHERE outcome = 'met'), 0) AS points_met,
           coalesce(sum(points) FILTER (WHERE outcome IN ('rejected', 'below')), 0)
               AS points_failed
    FROM outcomes
    GROUP BY commune_id, year
),
surveys AS (  -- from the roll-up per commune and year, as the engine reads it
    SELECT commune_id, year, responses, satisfied
    FROM surveys_surveyyear
    WHERE year >= %(first_year)s AND year <= %(last_year)s
),
committees AS (
    SELECT commune_id, min(established_on) AS committee_on
    FROM communes_steeringcommittee WHERE level = 'commune'
    GROUP BY commune_id
),
facts AS (
    SELECT c.id AS commune_id, y.year, y.threshold, y.minimum, y.pass_score,
           (k.committee_on IS NULL OR k.committee_on > make_date(y.year, 12, 31)
            OR c.model_launched_on IS NULL OR c.model_launched_on > make_date(y.year, 12, 31))
               AS not_started,
           p.required - coalesce(e.required_present, 0) AS required_missing,
           coalesce(e.required_pending, 0) AS required_pending,
           coalesce(e.required_failed, 0) AS required_failed,
           coalesce(e.points_met, 0) AS points_met,
           p.evidence_points - coalesce(e.points_met, 0) - coalesce(e.points_failed, 0)
               AS points_pending,
           p.survey_points,
           coalesce(s.responses, 0) AS responses,
           coalesce(s.satisfied, 0) AS satisfied
    FROM communes_commune c
    CROSS JOIN years y
    JOIN per_year p ON p.year = y.year
    LEFT JOIN committees k ON k.commune_id = c.id
    LEFT JOIN evidence e ON e.commune_id = c.id AND e.year = y.year
    LEFT JOIN surveys s ON s.commune_id = c.id AND s.year = y.year
),
judged AS (
    SELECT f.*,
           f.responses < f.minimum AS too_few,
           f.responses >= f.minimum AND f.satisfied * 100 < f.threshold * f.responses
               AS dissatisfied
    FROM facts f
),
scored AS (
    SELECT j.*,
           j.points_met + CASE WHEN NOT j.too_few AND NOT j.dissatisfied
                               THEN j.survey_points ELSE 0 END AS score,
           j.points_pending + CASE WHEN j.too_few THEN j.survey_points ELSE 0 END AS pending
    FROM judged j
)
SELECT commune_id, year,
       CASE
         WHEN not_started THEN 'NOT_STARTED'
         WHEN required_failed > 0 OR dissatisfied
              OR (score < pass_score AND score + pending < pass_score) THEN 'NOT_MET'
         WHEN required_missing > 0 OR required_pending > 0 OR too_few
              OR score < pass_score THEN 'IN_PROGRESS'
         ELSE 'CERTIFIED'
       END AS status,
       responses, satisfied
FROM scored
"""


# The statement above, writing what it computes into the stored statuses (the status and
# the survey figures; the portal writes its reasons and scores too) and moving the stamps
# of their provinces (``targets.models.ComputedProvince``), as one statement.
WRITE_STATUSES_SQL = f"""
WITH computed AS ({STATUSES_SQL}),
written AS (
    UPDATE targets_certificationstatus s
    SET status = c.status, survey_responses = c.responses, survey_satisfied = c.satisfied,
        computed_at = now()
    FROM computed c
    WHERE s.commune_id = c.commune_id AND s.year = c.year
    RETURNING c.commune_id, c.year, c.status
),
stamped AS (
    INSERT INTO targets_computedprovince AS p (year, province_id, computed_at)
    SELECT DISTINCT w.year, k.province_id, now()
    FROM written w JOIN communes_commune k ON k.id = w.commune_id
    ON CONFLICT (year, province_id)
    DO UPDATE SET computed_at = greatest(p.computed_at, EXCLUDED.computed_at)
)
SELECT commune_id, year, status FROM written
"""  # noqa: S608  # nosec B608 (a constant)


def statuses(*, years: list[int], write: bool = False) -> dict[tuple[int, int], str]:
    """{(commune id, year): status} by the one statement above; ``years`` (those with a
    rule or a target) bound the survey roll-up's years. With ``write``, the statement
    also writes them over the stored statuses, and is rolled back."""
    bounds = {"first_year": min(years), "last_year": max(years)}
    if not write:
        with connection.cursor() as cursor:
            cursor.execute(STATUSES_SQL, bounds)
            return {(c, year): status for c, year, status, _r, _s in cursor.fetchall()}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(WRITE_STATUSES_SQL, bounds)
        computed = {(c, year): status for c, year, status in cursor.fetchall()}
        transaction.set_rollback(True)
    return computed


# ``targets.selectors.last_computed_at`` over the provinces' stamps (a few dozen rows):
# the latest of them, or the year's last run of every commune (``ComputedYear``) if later;
# nothing when there is no stamp.
LAST_COMPUTATION = """CASE WHEN max(computed_at) IS NOT NULL THEN greatest(
        max(computed_at),
        (SELECT computed_at FROM targets_computedyear WHERE year = %(year)s))
    END"""


# The aggregates of the province dashboard (``targets.selectors.dashboard_figures``,
# ``closest_to_certification``, ``share_by_year``, ``last_computed_at``), for the
# districts of the given provinces, in one round trip.
DASHBOARD_SQL = f"""
WITH d AS NOT MATERIALIZED (
    SELECT id FROM communes_district
    WHERE %(provinces)s::bigint[] IS NULL OR province_id = ANY(%(provinces)s::bigint[])
),
c AS NOT MATERIALIZED (
    SELECT c.id, c.district_id, c.model_launched_on FROM communes_commune c
    JOIN d ON d.id = c.district_id
),
communes AS (
    SELECT district_id, count(*) AS total,
           count(*) FILTER (WHERE model_launched_on <= %(end)s) AS launched
    FROM c GROUP BY district_id
),
statuses AS (
    SELECT c.district_id,
           count(*) AS computed,
           count(*) FILTER (WHERE s.status = 'CERTIFIED') AS certified,
           count(*) FILTER (WHERE s.status = 'IN_PROGRESS') AS in_progress,
           count(*) FILTER (WHERE s.status = 'NOT_MET') AS not_met,
           count(*) FILTER (WHERE s.status = 'NOT_STARTED') AS not_started,
           sum(s.survey_responses) AS responses, sum(s.survey_satisfied) AS satisfied,
           sum(s.evidence_required) AS required, sum(s.evidence_approved) AS approved
    FROM targets_certificationstatus s JOIN c ON c.id = s.commune_id
    WHERE s.year = %(year)s
    GROUP BY c.district_id
),
committees AS (
    SELECT c.district_id, count(DISTINCT k.commune_id) AS n
    FROM communes_steeringcommittee k JOIN c ON c.id = k.commune_id
    WHERE k.level = 'commune' AND k.established_on <= %(end)s
    GROUP BY c.district_id
),
awaiting AS (
    SELECT c.district_id, count(*) AS n
    FROM communes_evidence e JOIN c ON c.id = e.commune_id
    WHERE e.year = %(year)s AND e.state = 'submitted'
    GROUP BY c.district_id
),
money AS (
    SELECT f.district_id, sum(f.planned_vnd) AS planned, sum(f.spent_vnd) AS spent
    FROM communes_facilityinvestment f JOIN d ON d.id = f.district_id
    WHERE f.year = %(year)s
    GROUP BY f.district_id
),
adoptions AS (
    SELECT c.district_id, a.practice_id, count(DISTINCT a.commune_id) AS n
    FROM communes_practiceadoption a JOIN c ON c.id = a.commune_id
    WHERE a.adopted_on <= %(end)s
    GROUP BY GROUPING SETS ((c.district_id, a.practice_id), (c.district_id))
),
closest AS (
    SELECT count(*) AS n FROM targets_certificationstatus s JOIN c ON c.id = s.commune_id
    WHERE s.year = %(year)s AND s.status <> 'CERTIFIED' AND jsonb_array_length(s.reasons) = 1
),
closest_first AS (
    SELECT s.id FROM targets_certificationstatus s
    JOIN c ON c.id = s.commune_id
    JOIN communes_commune cc ON cc.id = s.commune_id
    JOIN communes_district dd ON dd.id = cc.district_id
    WHERE s.year = %(year)s AND s.status <> 'CERTIFIED' AND jsonb_array_length(s.reasons) = 1
    ORDER BY dd.code, cc.name LIMIT 6
),
shares AS (
    SELECT s.year, count(*) AS n FROM targets_certificationstatus s JOIN c ON c.id = s.commune_id
    WHERE s.year IN (2023, 2024, 2025) AND s.status = 'CERTIFIED'
    GROUP BY s.year
)
SELECT 'communes', (SELECT json_agg(communes) FROM communes)
UNION ALL SELECT 'statuses', (SELECT json_agg(statuses) FROM statuses)
UNION ALL SELECT 'committees', (SELECT json_agg(committees) FROM committees)
UNION ALL SELECT 'awaiting', (SELECT json_agg(awaiting) FROM awaiting)
UNION ALL SELECT 'money', (SELECT json_agg(money) FROM money)
UNION ALL SELECT 'adoptions', (SELECT json_agg(adoptions) FROM adoptions)
UNION ALL SELECT 'closest', (SELECT json_agg(closest) FROM closest)
UNION ALL SELECT 'closest_first', (SELECT json_agg(closest_first) FROM closest_first)
UNION ALL SELECT 'shares', (SELECT json_agg(shares) FROM shares)
UNION ALL SELECT 'computed_at', (SELECT to_json({LAST_COMPUTATION})
    FROM targets_computedprovince
    WHERE year = %(year)s
      AND (%(provinces)s::bigint[] IS NULL OR province_id = ANY(%(provinces)s::bigint[])))
"""  # noqa: S608  # nosec B608 (constants)


# The aggregates of the national dashboard (``targets.selectors.national_figures``,
# ``closest_to_certification`` with the page's limit, ``share_by_year``,
# ``last_computed_at``): one row per province in force on the year's reference date, each
# over its communes in force then, in one round trip.
NATIONAL_SQL = f"""
WITH on_day AS (
    SELECT coalesce((SELECT reference_date FROM communes_programmeyear WHERE year = %(year)s),
                    make_date(%(year)s, 1, 1)) AS on_day
),
p AS (
    SELECT p.id, p.code, p.name FROM communes_province p, on_day
    WHERE (p.valid_from IS NULL OR p.valid_from <= on_day)
      AND (p.valid_to IS NULL OR p.valid_to >= on_day)
),
c AS MATERIALIZED (
    SELECT c.id, c.province_id, c.district_id, c.model_launched_on, c.name
    FROM communes_commune c, on_day
    WHERE (c.valid_from IS NULL OR c.valid_from <= on_day)
      AND (c.valid_to IS NULL OR c.valid_to >= on_day)
),
communes AS (
    SELECT province_id, count(*) AS total,
           count(*) FILTER (WHERE model_launched_on <= %(end)s) AS launched
    FROM c GROUP BY province_id
),
statuses AS (
    SELECT c.province_id,
           count(*) AS computed,
           count(*) FILTER (WHERE s.status = 'CERTIFIED') AS certified,
           count(*) FILTER (WHERE s.status = 'IN_PROGRESS') AS in_progress,
           count(*) FILTER (WHERE s.status = 'NOT_MET') AS not_met,
           count(*) FILTER (WHERE s.status = 'NOT_STARTED') AS not_started,
           sum(s.survey_responses) AS responses, sum(s.survey_satisfied) AS satisfied,
           sum(s.evidence_required) AS required, sum(s.evidence_approved) AS approved
    FROM targets_certificationstatus s JOIN c ON c.id = s.commune_id
    WHERE s.year = %(year)s
    GROUP BY c.province_id
),
committees AS (
    SELECT c.province_id, count(DISTINCT k.commune_id) AS n
    FROM communes_steeringcommittee k JOIN c ON c.id = k.commune_id
    WHERE k.level = 'commune' AND k.established_on <= %(end)s
    GROUP BY c.province_id
),
awaiting AS (
    SELECT c.province_id, count(*) AS n
    FROM communes_evidence e JOIN c ON c.id = e.commune_id
    WHERE e.year = %(year)s AND e.state = 'submitted'
    GROUP BY c.province_id
),
money AS (
    SELECT d.province_id, sum(f.planned_vnd) AS planned, sum(f.spent_vnd) AS spent,
           count(*) AS n
    FROM communes_facilityinvestment f JOIN communes_district d ON d.id = f.district_id, on_day
    WHERE f.year = %(year)s AND (d.valid_from IS NULL OR d.valid_from <= on_day)
      AND (d.valid_to IS NULL OR d.valid_to >= on_day)
    GROUP BY d.province_id
),
adoptions AS (
    SELECT c.province_id, a.practice_id, count(DISTINCT a.commune_id) AS n
    FROM communes_practiceadoption a JOIN c ON c.id = a.commune_id
    WHERE a.adopted_on <= %(end)s
    GROUP BY GROUPING SETS ((c.province_id, a.practice_id), (c.province_id))
),
recognized AS (
    SELECT cc.province_id, count(DISTINCT dc.commune_id) AS n
    FROM targets_decisioncommune dc
    JOIN targets_recognitiondecision r ON r.id = dc.decision_id
    JOIN communes_commune cc ON cc.id = dc.commune_id
    WHERE r.year = %(year)s AND r.state = 'issued' AND r.kind = 'recognize'
    GROUP BY cc.province_id
),
closest AS (
    SELECT count(*) AS n FROM targets_certificationstatus s
    WHERE s.year = %(year)s AND s.status <> 'CERTIFIED' AND jsonb_array_length(s.reasons) = 1
),
closest_first AS (
    SELECT s.*, cc.code, cc.name, dd.name AS district FROM targets_certificationstatus s
    JOIN communes_commune cc ON cc.id = s.commune_id
    LEFT JOIN communes_district dd ON dd.id = cc.district_id
    WHERE s.year = %(year)s AND s.status <> 'CERTIFIED' AND jsonb_array_length(s.reasons) = 1
    ORDER BY dd.code, cc.name LIMIT %(closest)s
),
shares AS (
    SELECT s.year, count(*) AS n FROM targets_certificationstatus s
    WHERE s.year IN (SELECT year FROM communes_programmeyear) AND s.status = 'CERTIFIED'
    GROUP BY s.year
),
share_days AS (
    SELECT year, coalesce(reference_date, make_date(year, 1, 1)) AS on_day
    FROM communes_programmeyear
),
share_totals AS (
    SELECT y.year, count(cc.id) AS n FROM share_days y
    JOIN communes_commune cc
      ON (cc.valid_from IS NULL OR cc.valid_from <= y.on_day)
     AND (cc.valid_to IS NULL OR cc.valid_to >= y.on_day)
    GROUP BY y.year
)
SELECT 'provinces', (SELECT json_agg(p ORDER BY p.code) FROM p)
UNION ALL SELECT 'communes', (SELECT json_agg(communes) FROM communes)
UNION ALL SELECT 'statuses', (SELECT json_agg(statuses) FROM statuses)
UNION ALL SELECT 'committees', (SELECT json_agg(committees) FROM committees)
UNION ALL SELECT 'awaiting', (SELECT json_agg(awaiting) FROM awaiting)
UNION ALL SELECT 'money', (SELECT json_agg(money) FROM money)
UNION ALL SELECT 'adoptions', (SELECT json_agg(adoptions) FROM adoptions)
UNION ALL SELECT 'recognized', (SELECT json_agg(recognized) FROM recognized)
UNION ALL SELECT 'closest', (SELECT json_agg(closest) FROM closest)
UNION ALL SELECT 'closest_first', (SELECT json_agg(closest_first) FROM closest_first)
UNION ALL SELECT 'shares', (SELECT json_agg(shares) FROM shares)
UNION ALL SELECT 'share_totals', (SELECT json_agg(share_totals) FROM share_totals)
UNION ALL SELECT 'computed_at',
    (SELECT to_json({LAST_COMPUTATION}) FROM targets_computedprovince WHERE year = %(year)s)
"""  # noqa: S608  # nosec B608 (constants)


def dashboard(*, year: int, province_ids: list[int] | None, closest: int = 20) -> dict:
    """The dashboard's aggregates: for the districts of ``province_ids``, or for the whole
    country by province when ``province_ids`` is None (the national view, whose list of
    the closest communes shows ``closest``)."""
    end = datetime.date(year, 12, 31)
    with connection.cursor() as cursor:
        if province_ids is None:
            cursor.execute(NATIONAL_SQL, {"year": year, "end": end, "closest": closest})
        else:
            cursor.execute(DASHBOARD_SQL, {"provinces": province_ids, "year": year, "end": end})
        return dict(cursor.fetchall())
