"""The meeting report (báo cáo phục vụ giao ban): a dated, titled PDF of a year's
progress for the province or one district.

``report_context`` gathers everything the report shows from the same selectors the
dashboards use (one business rule, one place); ``report_pdf`` lays it out with
WeasyPrint. The report for the province is built by a Celery task with progress
(``ReportRun``); a district's is small enough to be built while the request waits.
"""

import logging
import secrets
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from communes.models import (
    Commune,
    District,
    Evidence,
    EvidenceState,
    reference_date,
    scope_of,
)
from communes.selectors import overdue_before
from targets import charts, decisions, selectors, tables
from targets.models import CertificationStatus, RecognitionDecision, ReportRun, Status

logger = logging.getLogger(__name__)


@dataclass
class MissingRow:
    commune: Commune
    status: str | None
    reasons: list[str]

    @property
    def status_label(self) -> str:
        return tables.status_label(self.status)


def _not_certified(*, year: int, communes, titles) -> list[MissingRow]:
    """Every commune of ``communes`` not CERTIFIED in ``year``, with what it misses."""
    statuses = {
        s.commune_id: s
        for s in CertificationStatus.objects.filter(year=year, commune__in=communes).only(
            "commune_id", "status", "reasons"
        )
    }
    rows = []
    for commune in communes.select_related("district").order_by("district__code", "name"):
        status = statuses.get(commune.pk)
        if status is not None and status.status == Status.CERTIFIED:
            continue
        rows.append(
            MissingRow(
                commune,
                status.status if status else None,
                [tables.reason_text(r, titles) for r in (status.reasons if status else [])]
                or ([] if status else [_("Chưa tính kết quả")]),
            )
        )
    return rows


def _backlog(*, year: int, communes, district_ids):
    """Evidence awaiting review per district: how many, how many overdue, the oldest."""
    rows = (
        Evidence.objects.filter(year=year, state=EvidenceState.SUBMITTED, commune__in=communes)
        .values("commune__district_id")
        .annotate(
            waiting=Count("pk"),
            overdue=Count("pk", filter=Q(submitted_at__lt=overdue_before())),
            oldest=Min("submitted_at"),
        )
    )
    names = dict(District.objects.filter(pk__in=district_ids).values_list("pk", "name"))
    return sorted(
        (
            {
                "district": names.get(r["commune__district_id"], ""),
                "waiting": r["waiting"],
                "overdue": r["overdue"],
                "oldest": r["oldest"],
            }
            for r in rows
        ),
        key=lambda r: -r["waiting"],
    )


def report_context(*, year: int, districts, unit_name: str, progress=None, communes=None) -> dict:
    """What the report of ``year`` shows for ``districts`` (a scoped queryset).

    ``communes`` (a scoped queryset, for a province's report): what a year without
    districts (from 1/7/2025) is reported on, grouped by former district as the dashboard
    groups it. ``progress(done, total)`` is called as the parts are read (the task's
    progress bar).
    """
    progress = progress or (lambda done, total: None)
    steps = 6
    district_ids = list(districts.values_list("pk", flat=True))
    on = reference_date(year)
    if communes is not None and not districts.in_force(on=on).exists():
        communes = communes.in_force(on=on)
    else:
        communes = Commune.objects.filter(district_id__in=district_ids)
    dashboard = selectors.dashboard_figures(year=year, districts=districts, communes=communes)
    progress(1, steps)
    single = len(dashboard.districts) == 1
    shares = selectors.share_by_year(
        communes=communes,
        total=dashboard.overall.total,
        district=dashboard.districts[0].district if single else None,
    )
    titles = selectors.criterion_titles()
    progress(2, steps)
    missing = _not_certified(year=year, communes=communes, titles=titles)
    progress(3, steps)
    issued = list(
        RecognitionDecision.objects.filter(
            year=year, state=RecognitionDecision.State.ISSUED, entries__commune__in=communes
        )
        .distinct()
        .annotate(communes_named=Count("entries"))
        .order_by("signed_on", "pk")
    )
    recognized = decisions.recognitions(year=year, communes=communes)
    awaiting = [
        s.commune
        for s in CertificationStatus.objects.filter(
            year=year, status=Status.CERTIFIED, commune__in=communes
        )
        .exclude(commune_id__in=list(recognized))
        .select_related("commune__district")
        .order_by("commune__district__code", "commune__name")
    ]
    progress(4, steps)
    backlog = _backlog(year=year, communes=communes, district_ids=district_ids)
    progress(5, steps)
    district_chart = charts.bars_against_target(
        [
            (d.name, d.figures.progress.percent, d.figures.progress.target_percent)
            for d in dashboard.districts
        ],
        title=_("Tỷ lệ xã đạt chuẩn theo huyện (vạch đỏ: chỉ tiêu)"),
    )
    year_chart = charts.bars_against_target(
        [(str(s.year), s.percent, s.target_percent) for s in shares],
        title=_("Tỷ lệ đạt chuẩn qua các năm (vạch đỏ: chỉ tiêu)"),
    )
    commune_table = []
    if single:
        for row in selectors.commune_rows(year=year, communes=communes):
            row.rate = selectors.percent_of(row.year_satisfied or 0, row.year_responses or 0)
            row.recognized = recognized.get(row.pk)
            row.status_label = tables.status_label(row.year_status)
            commune_table.append(row)
    progress(6, steps)
    return {
        "commune_table": commune_table,
        "year": year,
        "unit_name": unit_name,
        "generated_at": timezone.localtime(),
        "dashboard": dashboard,
        "overall": dashboard.overall,
        "shares": shares,
        "missing": missing,
        "issued": issued,
        "awaiting": awaiting,
        "backlog": backlog,
        "backlog_total": sum(r["waiting"] for r in backlog),
        "district_chart": district_chart,
        "year_chart": year_chart,
        "last_computed_at": selectors.last_computed_at(year=year),
        "single_district": single,
    }


def report_pdf(*, year: int, districts, unit_name: str, progress=None, communes=None) -> bytes:
    from targets.pdf import render_pdf

    context = report_context(
        year=year, districts=districts, unit_name=unit_name, progress=progress, communes=communes
    )
    return render_pdf("targets/pdf/report.html", context)


# --- Builds by a Celery task ----------------------------------------------------------


def report_run_start(*, by, year: int, district=None) -> ReportRun:
    """Queue the build of the report of ``year`` (the district's, or the caller's
    province's); the caller polls the run. Without a broker it runs in-process, after
    the commit, so the run returned is already finished."""
    scope = scope_of(by)
    with transaction.atomic():
        run = ReportRun.objects.create(
            year=year,
            district=district,
            province_id=None if district else getattr(scope, "province_id", None),
            requested_by=by,
        )
        transaction.on_commit(lambda: _queue(run.pk))
    run.refresh_from_db()
    return run


def _queue(run_id: int) -> None:
    from targets.tasks import build_report

    try:
        build_report.delay(run_id)
    except BrokerError as exc:
        logger.exception("Could not queue report run %s", run_id)
        ReportRun.objects.filter(pk=run_id).update(
            state=ReportRun.State.FAILED, error=f"broker unavailable: {exc}"[:2000]
        )


def report_run_execute(*, run_id: int) -> ReportRun | None:
    """Build the report of a run, keeping its progress up to date for pollers."""
    run = ReportRun.objects.select_related("district", "province").filter(pk=run_id).first()
    if run is None or run.state == ReportRun.State.DONE:
        return run
    runs = ReportRun.objects.filter(pk=run.pk)
    runs.update(state=ReportRun.State.RUNNING, steps_done=0, error="")
    if run.district is not None:
        districts = District.objects.filter(pk=run.district.pk)
        name = run.district.name
        communes = None
    else:
        districts = District.objects.all()
        communes = Commune.objects.all()
        if run.province_id:
            districts = districts.filter(province_id=run.province_id)
            communes = communes.filter(province_id=run.province_id)
        name = run.province.name if run.province else _("Toàn tỉnh")
    try:
        data = report_pdf(
            year=run.year,
            districts=districts,
            unit_name=name,
            progress=lambda done, total: runs.update(steps_done=done, steps_total=total + 1),
            communes=communes,
        )
        stored = default_storage.save(
            f"reports/{run.year}/{secrets.token_hex(16)}.pdf", ContentFile(data)
        )
    except Exception as exc:
        runs.update(state=ReportRun.State.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    runs.update(
        state=ReportRun.State.DONE,
        file=stored,
        steps_done=F("steps_total"),
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run
