"""The dashboards: the province's, a district's and the public progress page.

Every figure comes from the precomputed statuses (targets.selectors); nothing is
recomputed while a page renders.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from communes import selectors as commune_selectors
from communes.access import get_district_for_user, has_role, require_role, role_required
from communes.models import Commune, District, Province, Role, reference_date, scope_of
from friendlygov.params import year_param
from targets import caching, decisions, exports, outbox, selectors, tables
from targets import worklist as worklist_selectors
from targets.filters import CommuneFilter, ProvinceCommuneFilter

PUBLIC_CACHE_SECONDS = 300
# The dashboards list every commune one item away from certification (None: no limit);
# the list scrolls within its card.
HOME_CLOSEST = None
DISTRICT_CLOSEST = None


def _wants_xlsx(request) -> bool:
    return request.GET.get("format") == "xlsx"


def _with_year(url: str, request) -> str:
    year = year_param(request.GET.get("year"))
    return f"{url}?year={year}" if year is not None else url


def recompute_status_url(run) -> str | None:
    """The JSON progress endpoint of a recompute run (None until the engine provides it)."""
    try:
        return reverse("api_recompute_run", args=[run.pk])
    except NoReverseMatch:
        return None


def _recompute_panel(user):
    """What the "recompute now" panel needs: whether the user may and can start one, and
    the latest run (to show its progress while it is under way)."""
    allowed = has_role(user, Role.PROVINCE)
    if not allowed:
        return None
    run = selectors.latest_recompute()
    running = run is not None and run.state in (run.State.QUEUED, run.State.RUNNING)
    return {
        "available": hasattr(outbox, "recompute_all_start"),
        "run": run,
        "running": running,
        "status_url": recompute_status_url(run) if running else None,
    }


class _HomeFigures:
    """What the province dashboard shows, each part read on first use, so that a part the
    cache already holds rendered costs no query (targets.caching)."""

    def __init__(self, *, year: int, districts, communes, sort: str, closest_limit, group_by=None):
        self.year = year
        self.districts = districts
        self.communes = communes
        self.sort = sort
        self.closest_limit = closest_limit
        self.group_by = group_by or selectors.GROUPINGS[0]

    @cached_property
    def dashboard(self):
        return selectors.dashboard_figures(
            year=self.year, districts=self.districts, communes=self.communes, group_by=self.group_by
        )

    @cached_property
    def closest(self):
        return selectors.closest_to_certification(
            year=self.year, communes=self.communes, limit=self.closest_limit
        )

    @cached_property
    def titles(self):
        return selectors.criterion_titles()

    @cached_property
    def district_table(self):
        table = tables.district_table(self.dashboard, sort=self.sort)
        if self.dashboard.grouped_by != "district":
            table.title = dict(selectors.grouping_choices())[self.dashboard.grouped_by]
        return table

    @cached_property
    def closest_table(self):
        return tables.closest_table(self.closest[0], titles=self.titles)

    @cached_property
    def investment_table(self):
        return tables.investment_table(self.dashboard)

    @cached_property
    def practice_table(self):
        return tables.practice_spread_table(self.dashboard)

    @cached_property
    def shares(self):
        return selectors.share_by_year(communes=self.communes, total=self.dashboard.overall.total)

    @cached_property
    def share_table(self):
        return tables.share_table(self.shares)


def _province_ended(scope, year: int):
    """(the caller's province, its successors) when that province is not in force on the
    year's reference date, else None."""
    province = getattr(scope, "province", None)
    if province is None or province.is_in_force(reference_date(year)):
        return None
    successors = Province.objects.filter(
        communes__predecessor_links__predecessor__province=province
    ).distinct()
    return province, list(successors)


def _lazy(function):
    return SimpleLazyObject(function)


@require_GET
@login_required
def home(request):
    """The province dashboard. District officials go to their district's dashboard and
    commune staff to their commune's page.

    The page's figures and tables are cached, rendered, until the statuses of the year are
    next computed (targets.caching): at the scale of a country, rendering the tables of
    705 districts costs far more than reading the aggregates.
    """
    scope = scope_of(request.user)
    if scope is None:
        raise PermissionDenied
    if scope.role == Role.COMMUNE:
        return redirect("commune_detail", code=scope.commune.code)
    if scope.role == Role.DISTRICT:
        return redirect(_with_year(reverse("district_detail", args=[scope.district.code]), request))

    years = selectors.dashboard_years()
    year = selectors.dashboard_year(request.GET.get("year"), years)
    sort = tables.district_sort(request.GET.get("sort"))
    # A year without districts groups its communes by former district or province.
    group_by = request.GET.get("group")
    group_by = group_by if group_by in selectors.GROUPINGS else selectors.GROUPINGS[0]
    xlsx = _wants_xlsx(request)
    figures = _HomeFigures(
        year=year,
        districts=District.objects.visible_to(request.user),
        communes=Commune.objects.visible_to(request.user),
        sort=sort,
        closest_limit=None if xlsx else HOME_CLOSEST,
        group_by=group_by,
    )

    def province():
        if scope.province_id is not None:
            return Province.objects.filter(pk=scope.province_id).first()
        return Province.objects.order_by("code").first()

    if xlsx:
        return exports.xlsx_response(
            [
                figures.district_table,
                figures.closest_table,
                figures.share_table,
                figures.practice_table,
                figures.investment_table,
            ],
            filename=f"tien-do-toan-tinh-{year}",
            subtitle=_("%(unit)s, năm %(year)s") % {"unit": province() or "", "year": year},
        )
    # An official of a province no longer in force that year reads its history; the
    # page says which province took it over instead of showing empty figures as data.
    ended = _lazy(lambda: _province_ended(scope, year))
    # A province's page moves with its own communes' recomputes, not the whole country's.
    last_computed_at = selectors.last_computed_at(year=year, province_id=scope.province_id)
    scope_key = f"province-{scope.province_id}" if scope.province_id else "all"
    return render(
        request,
        "targets/home.html",
        {
            "year": year,
            "years": years,
            "cache_seconds": caching.CACHE_SECONDS,
            "cache_key": caching.dashboard_key(
                scope=scope_key, year=year, computed_at=last_computed_at, sort=f"{sort}-{group_by}"
            ),
            "group_by": group_by,
            "province_ended": ended,
            "groupings": selectors.grouping_choices(),
            "has_districts": _lazy(lambda: figures.dashboard.grouped_by == "district"),
            # Read only when a fragment is rendered, not when the cache holds it.
            "province": _lazy(province),
            "dashboard": _lazy(lambda: figures.dashboard),
            "overall": _lazy(lambda: figures.dashboard.overall),
            "shares": _lazy(lambda: figures.shares),
            "share_table": _lazy(lambda: figures.share_table),
            "district_table": _lazy(lambda: figures.district_table),
            "closest_table": _lazy(lambda: figures.closest_table),
            "closest_total": _lazy(lambda: figures.closest[1]),
            "titles": _lazy(lambda: figures.titles),
            "investment_table": _lazy(lambda: figures.investment_table),
            "practice_table": _lazy(lambda: figures.practice_table),
            "last_computed_at": last_computed_at,
            "recompute": _recompute_panel(request.user),
            "report_url": reverse("province_report_page", args=[year]),
        },
    )


@require_GET
@login_required
def district_detail(request, code):
    """A district's dashboard: its figures and its communes, filterable by status and kind."""
    district = get_district_for_user(request.user, code)
    years = selectors.dashboard_years()
    year = selectors.dashboard_year(request.GET.get("year"), years)
    communes = Commune.objects.filter(district=district)
    dashboard = selectors.dashboard_figures(
        year=year, districts=District.objects.filter(pk=district.pk)
    )
    # The table lists the district's communes the year is evaluated on.
    commune_filter = CommuneFilter(
        request.GET,
        queryset=selectors.commune_rows(
            year=year, communes=communes.in_force(on=dashboard.reference_date)
        ),
    )
    closest, closest_total = selectors.closest_to_certification(
        year=year, communes=communes, limit=None if _wants_xlsx(request) else DISTRICT_CLOSEST
    )
    titles = selectors.criterion_titles()
    rows = list(commune_filter.qs)
    recognized, withdrawn = decisions.standing(year=year, communes=communes)
    for row in rows:
        row.recognition = recognized.get(row.pk)
        row.withdrawal = withdrawn.get(row.pk)
    commune_table = tables.commune_table(rows, sort=request.GET.get("sort"), titles=titles)
    closest_table = tables.closest_table(closest, titles=titles)
    shares = selectors.share_by_year(
        communes=communes, total=dashboard.overall.total, district=district
    )
    share_table = tables.share_table(shares)
    if _wants_xlsx(request):
        return exports.xlsx_response(
            [commune_table, closest_table, share_table],
            filename=f"tien-do-{district.code}-{year}",
            subtitle=_("%(unit)s, năm %(year)s") % {"unit": district.name, "year": year},
        )
    return render(
        request,
        "targets/district_detail.html",
        {
            "year": year,
            "years": years,
            "district": district,
            "dashboard": dashboard,
            "overall": dashboard.overall,
            "shares": shares,
            "share_table": share_table,
            "filter": commune_filter,
            "commune_table": commune_table,
            "closest_table": closest_table,
            "closest_total": closest_total,
            "titles": titles,
            "last_computed_at": selectors.last_computed_at(year=year),
            "can_see_province": has_role(request.user, Role.PROVINCE),
            "report_url": reverse("district_report_page", args=[district.code, year]),
            # A dissolved district: since when, and where its communes went.
            "ended_on": district.valid_to + datetime.timedelta(days=1)
            if district.valid_to and district.valid_to < timezone.localdate()
            else None,
            "successors": commune_selectors.district_successors(district=district),
        },
    )


@require_POST
@role_required(Role.PROVINCE)
def recompute_start(request):
    """Start recomputing every commune's status ("recompute now" on the dashboard).

    Answers JSON to the dashboard's script ({"run", "status_url"}) and otherwise
    redirects back to the dashboard, which shows the run's progress.
    """
    wants_json = request.accepts("application/json") and not request.accepts("text/html")
    start = getattr(outbox, "recompute_all_start", None)
    back = _with_year(reverse("home"), request)
    if start is None:
        message = _("Chức năng tính lại chưa được cài đặt trên máy chủ này.")
        if wants_json:
            return JsonResponse({"error": message}, status=503)
        messages.error(request, message)
        return redirect(back)
    run = start(by=request.user)
    if wants_json:
        return JsonResponse({"run": run.pk, "status_url": recompute_status_url(run)}, status=202)
    messages.success(request, _("Đã bắt đầu tính lại kết quả của tất cả các xã."))
    return redirect(back)


@require_GET
def public_progress(request):
    """The province's progress for citizens: no login, no personal data.

    The figures of a year are cached until the statuses are next computed (the key holds
    the time of the last computation), so a busy public page costs one small query.
    """
    years = selectors.dashboard_years()
    year = selectors.dashboard_year(request.GET.get("year"), years)
    computed_at = selectors.last_computed_at(year=year)
    stamp = computed_at.isoformat() if computed_at else "-"
    # The generation moves when a recognition decision is issued (targets.decisions).
    key = f"public-progress:v2:{year}:{stamp}:{caching.generation()}"
    figures = cache.get(key)
    if figures is None:
        figures = selectors.public_figures(year=year)
        cache.set(key, figures, PUBLIC_CACHE_SECONDS)
    # A citizen looks up their own commune by name, with or without diacritics.
    query = request.GET.get("q", "").strip()[:60]
    return render(
        request,
        "targets/public.html",
        {
            "year": year,
            "years": years,
            "computed_at": computed_at,
            "public": figures,
            "overall": figures.overall,
            "shares": figures.shares,
            "share_table": tables.share_table(figures.shares),
            "district_table": tables.public_district_table(figures),
            "query": query,
            "found": worklist_selectors.public_search(year=year, query=query) if query else None,
        },
    )


# --- The worklist ("needs my action") ---------------------------------------------------


@require_GET
@login_required
def worklist(request):
    """What waits for the caller, by role: each user's landing page after login.

    Commune staff: returned items with the reviewer's note, drafts, items missing for this
    year, deadlines. Reviewers: their queue, oldest (so overdue) first. Provincial
    officials and admins: the review backlog per district and the communes furthest from
    certification.
    """
    scope = scope_of(request.user)
    if scope is None:
        raise PermissionDenied
    context = {
        "notifications": worklist_selectors.recent_notifications(user=request.user),
        "overdue_days": commune_selectors.overdue_days(),
    }
    if scope.role == Role.COMMUNE:
        context["work"] = worklist_selectors.commune_work(commune=scope.commune)
        template = "targets/worklist_commune.html"
    elif scope.role in (Role.DISTRICT, Role.PROVINCE_REVIEWER):
        # A provincial reviewer does what a district official did, without a district.
        context["review"] = worklist_selectors.review_work(user=request.user)
        context["district"] = scope.district
        context["province"] = scope.province
        template = "targets/worklist_reviewer.html"
    else:
        year = selectors.dashboard_year(request.GET.get("year"))
        communes = Commune.objects.visible_to(request.user)
        overall, districts = selectors.progress_by_district(
            year=year, districts=District.objects.visible_to(request.user)
        )
        context.update(
            year=year,
            overall=overall,
            behind=sorted(
                (d for d in districts if d.progress.gap),
                key=lambda d: (-d.progress.gap, d.code),
            ),
            backlog=worklist_selectors.review_backlog(communes=communes),
            furthest=worklist_selectors.furthest_from_target(year=year, communes=communes),
            titles=selectors.criterion_titles(),
        )
        template = "targets/worklist_province.html"
    return render(request, template, context)


# --- Every commune of the caller's scope ------------------------------------------------


@require_GET
@login_required
def commune_list(request):
    """The communes the caller may see, filterable by district, status, missing criterion,
    kind and name (without diacritics), sortable by any column, exportable to Excel."""
    require_role(request.user, Role.PROVINCE, Role.DISTRICT)
    years = selectors.dashboard_years()
    year = selectors.dashboard_year(request.GET.get("year"), years)
    # The communes the year is evaluated on.
    communes = Commune.objects.visible_to(request.user).in_force_in(year)
    commune_filter = ProvinceCommuneFilter(
        request.GET,
        queryset=selectors.commune_rows(year=year, communes=communes),
        request=request,
        year=year,
    )
    titles = selectors.criterion_titles()
    table = tables.commune_table(
        list(commune_filter.qs), sort=request.GET.get("sort"), titles=titles, with_district=True
    )
    if _wants_xlsx(request):
        return exports.xlsx_response(
            [table],
            filename=f"danh-sach-xa-{year}",
            subtitle=_("Năm %(year)s") % {"year": year},
        )
    return render(
        request,
        "targets/commune_list.html",
        {
            "year": year,
            "years": years,
            "filter": commune_filter,
            "table": table,
        },
    )
