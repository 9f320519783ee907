"""6: every page of the URL map, as each role, cold and warm.

The walk goes through the whole URL configuration (``get_resolver()``, resolvers opened
recursively, as tests/test_url_access.py does), fills each pattern with sample arguments
taken from the data (a commune and a district of Bắc Giang, objects of theirs) and asks
each page by GET as the benchmark's admin, provincial official, provincial reviewer,
district official and commune staff: once with the cache cleared (cold), once again
(warm). Each answer gives its status, its time, its SQL queries and their time.

A page is flagged when it takes more than twice its own query time (the rendering costs
more than the data: one element per unit, say) once it is past a floor where the fixed
cost of any page dominates, or when it is slow whatever its queries. URLs that answer GET
with 405 (POST only), file downloads and URLs without a sample are listed as skipped,
with the reason, so that no page hides.

Nothing stays: the walk runs in a transaction rolled back at the end, and the cache is
cleared after it.
"""

import gc
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from communes.models import (
    CommitteeMember,
    Commune,
    District,
    Evidence,
    EvidenceFile,
    EvidenceState,
    GoodPractice,
    Province,
    Reorganization,
    Role,
    UserScope,
)
from surveys.models import KioskLink, SurveyResponse
from targets.models import RecognitionDecision, RecomputeRun, ReportRun
from tooling.bench.measure import _PLAIN_STATIC, BENCH_YEAR, REAL_PROVINCE, Row, bench_user

# A page is flagged above RATIO x its query time once it takes more than FLOOR_S (below
# that, the layout every page shares dominates), and whatever its queries above SLOW_S.
RATIO = 2.0
FLOOR_S = 0.15
SLOW_S = {"cold": 2.0, "warm": 1.0}

SKIPPED_NAMED = 12  # URLs named per reason of skipping; the others counted

ROLES = ("admin", "province", "province_reviewer", "district", "commune")

# The admin's add and change forms of every model: some took minutes at national scale
# (see BENCHMARKS.md), so the default walk asks only its index and lists.
ADMIN_FORMS = False

# Answered with a file, not a page (a PDF built on request, an export, an upload).
FILE_DOWNLOADS = {
    "evidence_file": "the uploaded file",
    "evidence_file_view": "the uploaded file, inline",
    "evidence_file_thumbnail": "an image",
    "survey_export": "a CSV/Excel export",
    "survey_import_template": "a CSV/Excel template",
    "survey_poster": "a printable poster",
    "decision_pdf": "a PDF built on request",
    "decision_scan": "the signed scan",
    "province_report": "a PDF built on request",
    "district_report": "a PDF built on request",
    "report_run_file": "a built PDF",
    "kiosk_service_worker": "a script",
    "favicon.ico": "a redirect to a static file",
}
# Not pages one opens: reached through a mailed link or a session that holds an upload.
NEEDS_SESSION = {
    "password_reset_confirm": "needs the token of a mailed link",
    "survey_import_confirm": "needs an upload held in its uploader's session",
    "admin:view_on_site": "a redirect to the object's page",
    "admin:autocomplete": "the admin's autocomplete JSON (needs a field to ask about)",
}


# --- Walking the URL configuration -----------------------------------------------------------


@dataclass(frozen=True)
class Url:
    route: str  # the joined pattern, as ResolverMatch.route gives it
    name: str | None  # with its namespace ("admin:index")
    params: tuple  # argument names, in order

    @property
    def key(self) -> str:
        return self.name or self.route

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/") and self.key not in ("admin:login", "admin:logout")


def _join(route: str, piece: str) -> str:
    # As django.urls.resolvers does: a regex piece loses its leading "^" when joined.
    return route + (piece[1:] if piece.startswith("^") else piece)


def walk(patterns=None, route="", namespace="") -> Iterable[Url]:
    """Every URL pattern the portal answers, resolvers opened recursively."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        piece = str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from walk(entry.url_patterns, _join(route, piece), inner)
        else:
            assert isinstance(entry, URLPattern)
            params = tuple(entry.pattern.regex.groupindex)
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Url(_join(route, piece), name, params)


_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:[^>:]+:)?(?P<name>\w+)>")


def concrete_path(url: Url, values: dict) -> str:
    """The URL's path with ``values`` put in for its arguments; checked to resolve to it."""
    missing = set(url.params) - set(values)
    assert not missing, f"{url.key}: no sample for {sorted(missing)}"
    path = _REGEX_GROUP.sub(lambda m: str(values[m["name"]]), url.route)
    path = _CONVERTER.sub(lambda m: str(values[m["name"]]), path)
    # django-simple-history's admin URLs have unnamed groups: ^([^/]+)/history/([^/]+)/$
    path = "/" + path.replace("([^/]+)", "1").replace("^", "").rstrip("$")
    match = resolve(path)
    assert match.route == url.route, f"{path} resolves to {match.route}, not {url.route}"
    return path


# --- The users and the samples ----------------------------------------------------------------


def _scoped_user(username: str, **scope):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    UserScope.objects.update_or_create(user=user, defaults=scope)
    return user


def sample_units() -> tuple[District, Commune]:
    """A district of the real province in force in the benchmark's year, and its first
    commune (by code) with evidence submitted that year if any."""
    on = date(BENCH_YEAR, 6, 1)
    province = Province.objects.get(code=REAL_PROVINCE, valid_from=None)
    districts = District.objects.in_force(on=on).filter(province=province).order_by("code")
    district = districts.filter(code="218").first() or districts.first()
    if district is None:
        raise RuntimeError(f"No district of province {REAL_PROVINCE} in force in {BENCH_YEAR}.")
    communes = Commune.objects.in_force(on=on).filter(district=district).order_by("code")
    submitted = communes.filter(
        evidence__year=BENCH_YEAR, evidence__state=EvidenceState.SUBMITTED
    ).first()
    commune = submitted or communes.first()
    if commune is None:
        raise RuntimeError(f"District {district.code} has no commune in force in {BENCH_YEAR}.")
    return district, commune


def role_users(district: District, commune: Commune) -> dict:
    """The benchmark's user of each role: the admin and Bắc Giang's official of
    measurement 1, Bắc Giang's reviewer, ``district``'s official, ``commune``'s staff."""
    province = Province.objects.get(code=REAL_PROVINCE, valid_from=None)
    return {
        "admin": bench_user(Role.ADMIN),
        "province": bench_user(Role.PROVINCE),
        "province_reviewer": _scoped_user(
            "bench.thamdinh", role=Role.PROVINCE_REVIEWER, province=province
        ),
        "district": _scoped_user("bench.huyen", role=Role.DISTRICT, district=district),
        "commune": _scoped_user("bench.xa", role=Role.COMMUNE, commune=commune),
    }


def _pk(model_queryset) -> int | None:
    return model_queryset.order_by("pk").values_list("pk", flat=True).first()


def samples(district: District, commune: Commune) -> dict:
    """Values for the URLs' arguments: objects of ``commune`` and ``district`` (None where
    the data holds none: the URL is then skipped, with that reason)."""
    evidence = (
        Evidence.objects.filter(commune=commune, year=BENCH_YEAR)
        .order_by("-state", "criterion__order")  # submitted before draft/approved...
        .select_related("criterion")
        .first()
    )
    member = {
        level: _pk(CommitteeMember.objects.filter(**{f"committee__{level}": unit}))
        for level, unit in (("commune", commune), ("district", district))
    }
    kiosk = KioskLink.objects.filter(commune=commune).values_list("token", flat=True).first()
    return {
        "commune": commune.code,
        "district": district.code,
        "province": REAL_PROVINCE,
        "year": BENCH_YEAR,
        "criterion": evidence.criterion.code if evidence else None,
        "evidence": evidence.pk if evidence else None,
        "evidence_file": _pk(EvidenceFile.objects.filter(evidence__commune=commune)),
        "commune_member": member["commune"],
        "district_member": member["district"],
        "survey_response": _pk(SurveyResponse.objects.of_commune(commune)),
        "decision": _pk(RecognitionDecision.objects.filter(district=district))
        or _pk(RecognitionDecision.objects.all()),
        "decision_commune": commune.pk,
        "report_run": _pk(ReportRun.objects.filter(district=district)),
        "run": _pk(RecomputeRun.objects.all()),
        "reorganization": _pk(Reorganization.objects.all()),
        "practice": GoodPractice.objects.order_by("code").values_list("code", flat=True).first(),
        "kiosk_token": kiosk,
        "fmt": "csv",
    }


def _argument(url: Url, name: str) -> str:
    """The ``samples`` key for URL argument ``name`` of ``url``."""
    route = url.route
    if name == "code":
        if route.startswith("practices/"):
            return "practice"
        if route.startswith("provinces/"):
            return "province"
        return "district" if route.startswith("districts/") else "commune"
    if name == "pk":
        for prefix, key in (
            ("decisions/", "decision"),
            ("reports/runs/", "report_run"),
            ("evidence-files/", "evidence_file"),
            ("reorganizations/", "reorganization"),
        ):
            if route.startswith(prefix):
                return key
        if "/surveys/responses/" in route:
            return "survey_response"
        if "/committee/members/" in route:
            return "district_member" if route.startswith("districts/") else "commune_member"
    return {
        "year": "year",
        "criterion": "criterion",
        "source": "evidence",
        "commune_id": "decision_commune",
        "run_id": "run",
        "token": "kiosk_token",
        "fmt": "fmt",
    }.get(name, name)


# --- The Django admin: its index, and for each model its list, add and change pages ----------

_ADMIN_PAGE = re.compile(
    r"^admin:(?P<app>[a-z_]+?)_(?P<model>[a-z]+)_(?P<view>changelist|add|change)$"
)


def _admin_values(url: Url) -> dict | str:
    """The arguments of an admin URL, or why it is skipped."""
    if url.key in ("admin:index", "admin:jsi18n", "admin:password_change_done"):
        return {}
    if url.key == "admin:password_change":
        return "the admin's password form (a copy of the portal's)"
    if url.key == "admin:app_list":
        return {"app_label": "communes"}
    match = _ADMIN_PAGE.match(url.key)
    if match is None:
        if url.key.endswith("_delete"):
            return "a delete confirmation (collects every related row; POST acts)"
        if "history" in url.key or "history" in url.route:
            return "an object's history"
        return "not a page of its own (a redirect)"
    if match["view"] != "changelist" and not ADMIN_FORMS:
        return "an admin form (not walked by default: set pages.ADMIN_FORMS)"
    if match["view"] != "change":
        return {}
    for model in admin.site._registry:
        if (model._meta.app_label, model._meta.model_name) == (match["app"], match["model"]):
            pk = _pk(model._default_manager.all())
            return {"object_id": pk} if pk is not None else "no object to change"
    return "no model registered under that name"


# --- Requests -----------------------------------------------------------------------------


@dataclass
class PageRow:
    """One URL asked as one role; times in seconds (None when skipped)."""

    url: str
    path: str
    role: str
    status: int | None = None
    cold: float | None = None
    cold_queries: int = 0
    cold_sql: float = 0.0
    warm: float | None = None
    warm_queries: int = 0
    warm_sql: float = 0.0
    skipped: str = ""

    @property
    def flags(self) -> list[str]:
        if self.skipped or self.cold is None or self.warm is None:
            return []
        flags = []
        for which, took, sql in (
            ("cold", self.cold, self.cold_sql),
            ("warm", self.warm, self.warm_sql),
        ):
            if took > SLOW_S[which]:
                flags.append(f"{which} > {SLOW_S[which]:g} s")
            elif took > FLOOR_S and took > RATIO * sql:
                flags.append(f"{which} {took / max(sql, 1e-6):.1f}x SQL")
        return flags


def _ask(client: Client, path: str):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
        took = time.perf_counter() - started
    sql = sum(float(query["time"]) for query in queries.captured_queries)
    return response, took, len(queries.captured_queries), sql


def _is_file(response) -> bool:
    kind = response.get("Content-Type", "")
    return response.has_header("Content-Disposition") or not (
        kind.startswith("text/html") or kind.startswith("application/json")
    )


def page_rows(
    *,
    roles: Iterable[str] = ROLES,
    only: Callable[[Url], bool] = lambda url: True,
    progress: Callable[[str], None] | None = None,
) -> list[PageRow]:
    """Ask every URL of the URL map by GET as each role in ``roles``, cold then warm."""
    district, commune = sample_units()
    users = role_users(district, commune)
    values = samples(district, commune)
    urls = [url for url in walk() if only(url)]
    rows = []
    for role in roles:
        client = Client(HTTP_HOST="localhost", raise_request_exception=False)
        client.force_login(users[role])
        if progress:
            progress(f"  6: {len(urls)} URLs as {role}...")
        for url in urls:
            rows.append(_page_row(client, url, role, values))
    return rows


def _page_row(client: Client, url: Url, role: str, values: dict) -> PageRow:
    row = PageRow(url=url.key, path=url.route, role=role)
    if url.key in FILE_DOWNLOADS:
        row.skipped = f"file download: {FILE_DOWNLOADS[url.key]}"
        return row
    if url.key in NEEDS_SESSION:
        row.skipped = NEEDS_SESSION[url.key]
        return row
    if url.is_admin:
        if role != "admin":
            row.skipped = "staff only (others go to the admin's login)"
            return row
        arguments = _admin_values(url)
        if isinstance(arguments, str):
            row.skipped = arguments
            return row
    else:
        arguments = {name: values.get(_argument(url, name)) for name in url.params}
        absent = sorted(name for name, value in arguments.items() if value is None)
        if absent:
            row.skipped = f"no sample for {', '.join(absent)} in this data"
            return row
    row.path = concrete_path(url, arguments)
    cache.clear()
    response, row.cold, row.cold_queries, row.cold_sql = _ask(client, row.path)
    row.status = response.status_code
    if response.status_code == 405:
        row.skipped, row.cold = "POST only (GET answers 405)", None
        return row
    if response.status_code == 200 and _is_file(response):
        row.skipped, row.cold = f"file download ({response.get('Content-Type')})", None
        return row
    response, row.warm, row.warm_queries, row.warm_sql = _ask(client, row.path)
    return row


def walk_pages(**options) -> list[PageRow]:
    """``page_rows`` inside a transaction rolled back at the end (pages that write on GET,
    the sessions and users made here leave nothing), the cache cleared after."""
    try:
        with override_settings(STORAGES={"staticfiles": {"BACKEND": _PLAIN_STATIC}}):
            with transaction.atomic():
                rows = page_rows(**options)
                transaction.set_rollback(True)
    finally:
        cache.clear()
    return rows


# --- The table -------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:,.0f}"


def table(rows: list[PageRow]) -> list[str]:
    """The lines of the table of every page asked (skipped ones last, grouped by reason)."""
    headers = (
        "page", "role", "status", "cold ms", "q", "SQL ms", "warm ms", "q", "SQL ms", "flag",
    )  # fmt: skip
    asked = [row for row in rows if not row.skipped]
    cells = [
        (
            row.path if row.url.startswith("admin") else row.url,
            row.role,
            str(row.status),
            _ms(row.cold),
            str(row.cold_queries),
            _ms(row.cold_sql),
            _ms(row.warm),
            str(row.warm_queries),
            _ms(row.warm_sql),
            "; ".join(row.flags),
        )
        for row in asked
    ]
    widths = [max(len(c[i]) for c in [headers, *cells]) for i in range(len(headers))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [
        " | ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)).rstrip() for cell in cells
    ]
    skipped: dict[str, list[str]] = {}
    for row in rows:
        if row.skipped:
            names = skipped.setdefault(row.skipped, [])
            if row.url not in names:
                names.append(row.url)
    if skipped:
        lines.append("Skipped (not asked by GET):")
        for reason, names in sorted(skipped.items()):
            shown = ", ".join(names[:SKIPPED_NAMED])
            more = f" and {len(names) - SKIPPED_NAMED} more" if len(names) > SKIPPED_NAMED else ""
            lines.append(f"- {reason}: {shown}{more}")
    return lines


def measure_pages(*, write: Callable[[str], None]) -> list[Row]:
    """6: every page as each role; prints the table, returns the summary rows. Walked
    as a server's worker serves them: what this process made before is kept out of the
    garbage collector's full passes, as ``friendlygov.wsgi`` keeps what a worker's
    start-up made (else a full pass over the benchmark's own objects, 80-100 ms, lands
    on whichever page meets it)."""
    gc.freeze()
    try:
        rows = walk_pages(progress=write)
    finally:
        gc.unfreeze()
    for line in table(rows):
        write(line)
    asked = [row for row in rows if not row.skipped]
    flagged = [row for row in asked if row.flags]
    errors = [row for row in asked if row.status is not None and row.status >= 500]
    slowest = max(asked, key=lambda row: row.cold or 0)
    return [
        Row(
            "6",
            f"every page as each role ({len(asked)} asked, "
            f"{len(rows) - len(asked)} skipped), cold and warm",
            f"{len(flagged)} flagged, {len(errors)} errors",
            f"slowest cold: {slowest.url} as {slowest.role}, {_ms(slowest.cold)} ms",
            "",
            f"each <= {RATIO:g}x its SQL (above {FLOOR_S * 1000:.0f} ms), "
            f"cold <= {SLOW_S['cold']:g} s, warm <= {SLOW_S['warm']:g} s",
            not flagged and not errors,
        )
    ]
