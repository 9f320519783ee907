"""The dashboards: the province's, a district's and the public progress page.

Every figure comes from the precomputed statuses (targets.selectors); nothing is
recomputed while a page renders.
"""

import dataclasses
import datetime
import logging
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from communes import auth as commune_auth
from communes import selectors as commune_selectors
from communes import sessions as session_store
from communes.access import (
    get_district_for_user,
    has_role,
    require_role,
    resolve_unit,
    role_required,
)
from communes.models import Commune, District, Province, Role, reference_date, scope_of
from friendlygov.params import ascii_int, year_param
from targets import caching, dashboards, decisions, exports, outbox, selectors, tables
from targets import worklist as worklist_selectors
from targets.filters import CommuneFilter, ProvinceCommuneFilter

logger = logging.getLogger(__name__)

PUBLIC_CACHE_SECONDS = 300
# With a cache shared by every process (Redis) a decision's invalidation reaches them all
# at once and a recompute makes a new key: the rendering may stay until it is replaced,
# so that citizens do not pay a national-scale render every five minutes.
PUBLIC_SHARED_CACHE_SECONDS = 24 * 60 * 60
# A district's dashboard lists every commune one item away from certification (None: no
# limit); the list scrolls within its card.
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


def _dashboard_keys(request, user_id) -> list[str] | None:
    """What a warm ``home`` reads from the cache for ``user_id``, when its page may be kept
    whole at this address: read with the session (communes.sessions)."""
    key = _dashboard_page_key(request, user_id)
    if key is None:
        return None
    return caching.dashboard_page_keys(key, also=commune_selectors.nav_counts_keys(user_id))


@require_GET
@session_store.reading_with_the_session(_dashboard_keys)
@login_required
def home(request):
    """The dashboard of the caller's scope: the whole country for an administrator (one
    row per province, each opening ``province_detail``), the province for its officials.
    District officials go to their district's dashboard and commune staff to their
    commune's page.

    The parts of the page with figures are cached, rendered, until the statuses of the
    year are next computed (targets.dashboards); the recompute renders them before it
    reports done, so no reader waits for them.
    """
    scope = scope_of(request.user)
    if scope is None:
        raise PermissionDenied
    if scope.role == Role.COMMUNE:
        return redirect("commune_detail", code=scope.commune.code)
    if scope.role == Role.DISTRICT:
        return redirect(_with_year(reverse("district_detail", args=[scope.district.code]), request))
    page = None
    page_key = None
    # A reviewer's communes are their own; messages are shown once, rendered.
    if (scope.sees_everything or scope.role == Role.PROVINCE) and not len(
        messages.get_messages(request)
    ):
        page_key = _dashboard_page_key(request, request.user.pk)
    if page_key is not None:
        user = commune_auth.fingerprint(request.user)
        nav_keys = commune_selectors.nav_counts_keys(request.user.pk)
        read = session_store.read_with_the_session(
            request.session, caching.dashboard_page_keys(page_key, also=nav_keys)
        )
        entry, stamps, found = caching.dashboard_page(page_key, also=nav_keys, found=read)
        if (
            entry is not None
            and entry["user"] == user
            and commune_selectors.nav_counts_cached(request.user.pk, found) == entry["nav_counts"]
        ):
            return HttpResponse(_page_filled(request, entry["html"]))
        page = _WholePage(key=page_key, stamps=stamps, user=user, found=found)
    years = selectors.dashboard_years()
    year = selectors.dashboard_year(request.GET.get("year"), years)
    if scope.sees_everything:
        return _dashboard(request, dashboards.NATIONAL, year=year, years=years, page=page)
    if scope.role == Role.PROVINCE:
        # A provincial official sees what ``visible_to`` gives them: the province's units
        # and those of the provinces merged into it, the province view's own sets (built
        # only when the cache does not hold the page).
        return _dashboard(
            request,
            dashboards.province_scope(scope.province_id),
            year=year,
            years=years,
            page=page,
        )
    # A reviewer may be limited to some communes: their page is their own.
    view = dashboards.Scope(
        key=f"user-{request.user.pk}",
        province_id=scope.province_id,
        districts=District.objects.visible_to(request.user),
        communes=Commune.objects.visible_to(request.user),
    )
    return _dashboard(request, view, year=year, years=years)


@require_GET
@login_required
def province_detail(request, code):
    """One province's dashboard, opened from the national one: the province's districts
    (or, in a year without districts, its communes grouped by where they were before
    1/7/2025), as its provincial officials see it. A code names the province in force in
    the year shown (``?year=``). Administrators open any province, a provincial official
    only their own (and the provinces merged into it: its history); anyone else is
    refused."""
    require_role(request.user, Role.PROVINCE)
    scope = scope_of(request.user)
    years = selectors.dashboard_years()
    year = selectors.dashboard_year(request.GET.get("year"), years)
    province = resolve_unit(Province.objects.filter(code=code), reference_date(year))
    if province is None:
        raise Http404
    if not scope.sees_everything and not (
        province.pk == scope.province_id
        or Province.objects.merged_into(scope.province_id).filter(pk=province.pk).exists()
    ):
        raise PermissionDenied
    return _dashboard(
        request, dashboards.province_scope(province.pk), year=year, years=years, drill_down=province
    )


@dataclasses.dataclass(frozen=True)
class _WholePage:
    """Where ``home`` keeps the page it renders whole, and what it read before its data."""

    key: str
    stamps: tuple
    user: str  # the fingerprint of the user and scope it is rendered for
    found: dict  # what the cache answered for the user's navigation counts


def _dashboard_page_key(request, user_id) -> str | None:
    """Where the whole rendered dashboard of ``request`` by the user ``user_id`` is kept,
    or None when it is rendered around its cached figures on every request: without a
    shared cache, or with parameters other than the year, the table's order and the
    grouping (each once, each a value the page knows). ``home`` keeps pages only for an
    administrator or a provincial official, and without messages to show.

    The key holds the release, the user, the parameters in their order and the
    language; the entry holds the fingerprint of the user and scope it was rendered for,
    compared on every read (``communes.auth.fingerprint``: this user after a change of
    role, scope, name or password is not served it)."""
    if not getattr(settings, "SHARED_CACHE", False):
        return None
    names = list(request.GET)
    if not set(names) <= {"year", "sort", "group"} or any(
        len(request.GET.getlist(name)) != 1 for name in names
    ):
        return None
    year, sort, group = (request.GET.get(name) for name in ("year", "sort", "group"))
    if year is not None and ascii_int(year, minimum=1, maximum=9999) is None:
        return None
    if (sort is not None and tables.district_sort(sort) != sort) or (
        group is not None and group not in selectors.GROUPINGS
    ):
        return None
    parts = (caching.release(), user_id, request.GET.urlencode(), translation.get_language())
    return "dashboard-page:v2:" + ":".join(str(part) for part in parts)


def _dashboard(request, view, *, year: int, years, drill_down=None, page=None):
    """The national or a province's dashboard page (or its workbook). ``page``: where the
    whole page is kept once rendered (``home``), else None."""
    sort = tables.district_sort(request.GET.get("sort"))
    # A year without districts groups its communes by former district or province.
    group_by = request.GET.get("group")
    group_by = group_by if group_by in selectors.GROUPINGS else selectors.GROUPINGS[0]
    xlsx = _wants_xlsx(request)
    figures = dashboards.Figures(
        year=year,
        scope=view,
        sort=sort,
        group_by=group_by,
        closest_limit=None if xlsx else dashboards.closest_limit(view),
        years=years,
    )
    if xlsx:
        if view.national:
            unit, filename = _("Toàn quốc"), f"tien-do-toan-quoc-{year}"
        else:
            unit = figures.province or ""
            code = getattr(figures.province, "code", "")
            filename = f"tien-do-tinh-{code}-{year}" if drill_down else f"tien-do-toan-tinh-{year}"
        return exports.xlsx_response(
            figures.tables(),
            filename=filename,
            subtitle=_("%(unit)s, năm %(year)s") % {"unit": unit, "year": year},
        )
    # A province's page moves with its own communes' recomputes, not the whole country's.
    last_computed_at = selectors.last_computed_at(year=year, province_id=view.province_id)
    context = figures.context()
    context.update(
        years=years,
        parts=dashboards.parts(request, figures, computed_at=last_computed_at),
        drill_down=drill_down,
        last_computed_at=last_computed_at,
        recompute=_recompute_panel(request.user),
        report_url=reverse("province_report_page", args=[year]),
    )
    if page is None:
        return render(request, "targets/home.html", context)
    # Rendered with marks where requests differ, filled in for each (as the public page).
    nav_counts = commune_selectors.nav_counts(request.user, page.found)
    context.update(
        nav_counts=nav_counts, csrf_token=_CSRF_MARK, language_next=_NEXT_MARK, print_date=_NOW_MARK
    )
    response = render(request, "targets/home.html", context)
    html = response.content.decode()
    # A run under way shows its progress, which moves without the runs' stamp.
    if not (context["recompute"] and context["recompute"]["running"]):
        caching.dashboard_page_store(
            page.key, html=html, stamps=page.stamps, user=page.user, nav_counts=nav_counts
        )
    response.content = _page_filled(request, html)
    return response


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
            # An administrator came through the national view and the district's province.
            "province_url": (
                tables.province_url(district.province, year)
                if getattr(scope_of(request.user), "sees_everything", False)
                else None
            ),
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
    """The progress for citizens: no login, no personal data.

    With one province (the real deployment) the page is that province's: its figures,
    its districts and its certified communes. When several provinces have communes in
    force in the year, the page without ``?province=`` is a national summary, one row
    per province opening that province's page (``?year=Y&province=CODE``): listing every
    district and certified commune of the country made a megabyte of HTML.

    The page's figures and tables are cached rendered (HTML, never model instances)
    under a key holding the year, the language, the time of the year's last computation
    and the generation of what the recompute does not cover (targets.caching): any
    recompute or decision makes a new key, so nothing stale is served. A warm page costs
    one query (the years and their last computations), and a citizen's search one more.

    With a shared cache (Redis), a citizen's page is also kept whole, with its CSRF
    token, address and time filled in for each request: a warm page is one round trip to
    Redis and no query, as long as nothing it is keyed to has moved (the stamp of
    ``targets.caching.public_page``); when something has, it is checked against the key
    read from the database before it is used again or rendered.
    """
    page_key = _public_page_key(request)
    stored = None
    stamps = (0, 0)
    if page_key is not None:
        html, stored, stamps = caching.public_page(page_key)
        if html is not None:
            return HttpResponse(_page_filled(request, html))
    years, computed = selectors.years_and_last_computations()
    year = selectors.dashboard_year(request.GET.get("year"), years)
    computed_at = computed.get(year)
    # ``?province=CODE``: one province's page, keyed to its own communes' computations.
    province = None
    national = False
    current = None
    # Without ``?province=``, where one province has communes in force: its name.
    sole_province = ""
    code = request.GET.get("province", "").strip()[:10]
    if code:
        province = resolve_unit(list(Province.objects.filter(code=code)), reference_date(year))
        if province is None:
            raise Http404
        computed_at = selectors.last_computed_at(year=year, province_id=province.pk)
    else:
        (provinces, sole_province), current = caching.public_provinces(year=year)
        national = provinces > 1
    # A citizen looks up their own commune by name, with or without diacritics.
    query = request.GET.get("q", "").strip()[:60]
    # Read only when a fragment is rendered, not when the cache holds it.
    province_id = province.pk if province is not None else None
    if national:
        summary = SimpleLazyObject(lambda: selectors.national_figures(year=year))
        overall = SimpleLazyObject(lambda: summary.overall)
        shares = SimpleLazyObject(lambda: selectors.share_by_year(communes=None))
        unit_table = SimpleLazyObject(lambda: tables.public_province_table(summary))
        figures = None
        scope = "public-national"
    else:
        figures = SimpleLazyObject(
            lambda: selectors.public_figures(year=year, province_id=province_id)
        )
        overall = SimpleLazyObject(lambda: figures.overall)
        shares = SimpleLazyObject(lambda: figures.shares)
        unit_table = SimpleLazyObject(lambda: tables.public_district_table(figures))
        scope = f"public-{province_id or 'all'}"
    cache_key = caching.dashboard_key(
        scope=scope, year=year, computed_at=computed_at, sort="-", generation_=current
    )
    # What the page shows besides its fragment's key: the years of the year selector.
    source = f"{cache_key}:{','.join(str(each) for each in years)}"
    if page_key is not None and stored is not None and stored["source"] == source:
        # Nothing it shows moved (the stamp moved for another province, or a day passed).
        caching.public_page_store(page_key, html=stored["html"], source=source, stamps=stamps)
        return HttpResponse(_page_filled(request, stored["html"]))
    response = render(
        request,
        "targets/public.html",
        {
            "year": year,
            "years": years,
            "computed_at": computed_at,
            "cache_seconds": PUBLIC_SHARED_CACHE_SECONDS
            if getattr(settings, "SHARED_CACHE", False)
            else PUBLIC_CACHE_SECONDS,
            "cache_key": cache_key,
            "province": province,
            "national": national,
            "sole_province": sole_province,
            "public": figures,
            "overall": overall,
            "shares": shares,
            "share_table": SimpleLazyObject(lambda: tables.share_table(shares)),
            "district_table": unit_table,
            "query": query,
            "found": worklist_selectors.public_search(year=year, query=query) if query else None,
            # What differs from one request to the next, filled in afterwards.
            "csrf_token": _CSRF_MARK,
            "language_next": _NEXT_MARK,
            "print_date": _NOW_MARK,
        },
    )
    html = response.content.decode()
    if page_key is not None:
        caching.public_page_store(page_key, html=html, source=source, stamps=stamps)
    response.content = _page_filled(request, html)
    return response


# What differs between two citizens' requests of the same public page: rendered as these
# marks, then filled in for each request (a cached page is the same for everyone).
_CSRF_MARK = "public-page-csrf-token-mark"
_NEXT_MARK = "public-page-path-mark"
_NOW_MARK = "public-page-time-mark"
_PROVINCE_CODE = re.compile(r"[0-9A-Za-z]{0,10}")


def _public_page_key(request) -> str | None:
    """Where the whole rendered page of ``request`` is cached, or None when it is rendered
    around its cached figures as every other page is: without a shared cache (a
    per-process cache does not hear of another process's recompute), for a signed-in
    user, with messages to show, with a search, or with parameters other than the year
    and the province (the year selector's links keep the address's parameters, in their
    order). The key holds the release (``caching.release``): a deployment starts afresh."""
    if not getattr(settings, "SHARED_CACHE", False):
        return None
    names = list(request.GET)
    if not set(names) <= {"year", "province"} or any(
        len(request.GET.getlist(name)) != 1 for name in names
    ):
        return None
    code = request.GET.get("province", "")
    if not _PROVINCE_CODE.fullmatch(code):
        return None
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return None
    # Read as the year selection reads it (communes.selectors.programme_year).
    year = ascii_int(request.GET.get("year"), minimum=1, maximum=9999)
    parts = (caching.release(), ",".join(names), year, code, translation.get_language())
    return "public-page:v1:" + ":".join(str(part) for part in parts)


def _page_filled(request, html: str) -> str:
    """A page kept whole (the public page, a dashboard: ``html``, rendered with the marks)
    with this request's CSRF token, address and time."""
    now = datetime.datetime.now(tz=timezone.get_current_timezone())
    return (
        html.replace(_CSRF_MARK, get_token(request))
        .replace(_NEXT_MARK, escape(request.get_full_path()))
        .replace(_NOW_MARK, date_format(now, "SHORT_DATETIME_FORMAT"))
    )


def prerender_public(*, year: int, province_ids=None, national: bool = True) -> int:
    """Render into the cache the public pages a recompute of ``year`` changed: each
    province's page (of ``province_ids`` only, when given) and, unless ``national`` is
    False, the page without a province, in every language. Citizens would otherwise wait
    for them after each recompute: the country's page rendered from nothing takes about
    half a second at national scale, and concurrent first readers each render it.

    Returns the pages rendered. A failure is logged, never raised: the statuses are
    written, and a page not rendered here is rendered by its first reader."""
    try:
        codes = list(
            Province.objects.in_force(on=reference_date(year))
            .filter(**({"pk__in": list(province_ids)} if province_ids is not None else {}))
            .order_by("code")
            .values_list("code", flat=True)
        )
        queries = [f"year={year}&province={code}" for code in codes]
        if national:
            queries.insert(0, f"year={year}")
        rendered = 0
        for query in queries:
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    public_progress(_anonymous_get(reverse("public_progress"), query))
                rendered += 1
        return rendered
    except Exception:
        logger.exception("Could not pre-render the public pages of %s", year)
        return 0


def _anonymous_get(path: str, query: str) -> HttpRequest:
    """A citizen's GET of ``path?query``, for rendering a page outside a request."""
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.GET = QueryDict(query)
    request.user = AnonymousUser()
    return request


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
        # An administrator's country by province (63 rows), a province by district.
        national = scope.sees_everything
        if national:
            overall, units = selectors.progress_by_province(year=year)
        else:
            overall, units = selectors.progress_by_district(
                year=year, districts=District.objects.visible_to(request.user)
            )
        context.update(
            year=year,
            national=national,
            overall=overall,
            behind=sorted(
                (d for d in units if d.progress.gap),
                key=lambda d: (-d.progress.gap, d.code),
            ),
            backlog=worklist_selectors.review_backlog(
                communes=communes, by="province" if national else "district"
            ),
            furthest=worklist_selectors.furthest_from_target(year=year, communes=communes),
            titles=selectors.criterion_titles(),
        )
        template = "targets/worklist_province.html"
    return render(request, template, context)


# --- Every commune of the caller's scope ------------------------------------------------


COMMUNE_LIST_PAGE = 100


def _with_standing(rows: list, *, year: int) -> list:
    """``rows`` (communes) with their recognition or its withdrawal of ``year``: what the
    table's "Công nhận" column reads (one query for the rows given)."""
    recognized, withdrawn = decisions.standing(year=year, communes=[row.pk for row in rows])
    for row in rows:
        row.recognition = recognized.get(row.pk)
        row.withdrawal = withdrawn.get(row.pk)
    return rows


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
    # Sorted and cut into pages by the database: an administrator's list holds 10,598
    # communes, of which a page shows COMMUNE_LIST_PAGE.
    table = tables.commune_table(
        [], sort=request.GET.get("sort"), titles=titles, with_district=True, sorted_in_sql=True
    )
    rows = selectors.commune_rows_sorted(commune_filter.qs, sort=table.sort or "name")
    if _wants_xlsx(request):
        table.rows = _with_standing(list(rows), year=year)
        return exports.xlsx_response(
            [table],
            filename=f"danh-sach-xa-{year}",
            subtitle=_("Năm %(year)s") % {"year": year},
        )
    page = Paginator(rows, COMMUNE_LIST_PAGE).get_page(request.GET.get("page"))
    table.rows = _with_standing(list(page.object_list), year=year)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "targets/commune_list.html",
        {
            "year": year,
            "years": years,
            "filter": commune_filter,
            "table": table,
            "page": page,
            "page_query": query.urlencode(),
        },
    )
