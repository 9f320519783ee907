"""The JSON API (DESIGN.md, "Contract"), scoped to the logged-in caller like the pages.

Errors are JSON too: 401 for anonymous callers, 403 out of scope or for a wrong role,
404 for an unknown unit or run, 405 for a wrong method, 400 for a bad parameter (naming
the field). Reasons come in the caller's language (Vietnamese unless English is chosen).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from communes.access import get_commune_for_user, require_role
from communes.models import Commune, Criterion, District, Role, reference_date, scope_of
from communes.numbers import percent
from communes.selectors import current_programme_year, programme_years
from communes.sessions import read_with_the_session, reading_with_the_session
from friendlygov.params import ascii_int
from targets import caching, decisions, outbox, reasons, selectors, services
from targets.models import RecomputeRun


class BadParameter(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse(
        {"error": message, **extra}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def api_view(*methods):
    """A JSON endpoint: allowed ``methods``, a logged-in caller, errors as JSON."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in methods:
                response = _error(405, gettext("Phương thức không được hỗ trợ."))
                response["Allow"] = ", ".join(methods)
                return response
            if not request.user.is_authenticated:
                return _error(401, gettext("Cần đăng nhập."))
            try:
                return view(request, *args, **kwargs)
            except BadParameter as exc:
                return _error(400, exc.message, field=exc.field)
            except PermissionDenied:
                return _error(403, gettext("Bạn không có quyền xem dữ liệu này."))
            except Http404:
                return _error(404, gettext("Không tìm thấy."))

        return wrapped

    return decorator


def _year(raw: str | None) -> int:
    """The ``year`` parameter: a programme year (any year with a target), the current
    programme year when absent, as the pages do."""
    years = programme_years()
    if raw is None:
        return current_programme_year(years)
    year = ascii_int(raw, minimum=1, maximum=9999)
    if year is None or year not in years:
        raise BadParameter(
            "year",
            gettext("Tham số year phải là một năm của chương trình: %(years)s.")
            % {"years": ", ".join(str(y) for y in years)},
        )
    return year


def _period(unit) -> dict:
    """The period ``unit`` is in force (ISO dates, None for an open end)."""
    return {
        "valid_from": unit.valid_from.isoformat() if unit.valid_from else None,
        "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
    }


def _iso(moment):
    return timezone.localtime(moment).isoformat() if moment else None


@api_view("GET")
def progress(request):
    """Certified communes against the target: the caller's whole scope and each district.

    For a district official "province" is their district. Commune staff get 403: they
    follow their own commune (``api_commune``).
    """
    require_role(request.user, Role.PROVINCE, Role.PROVINCE_REVIEWER, Role.DISTRICT)
    year = _year(request.GET.get("year"))
    on = reference_date(year)
    overall, districts = selectors.progress_by_district(
        year=year, districts=District.objects.visible_to(request.user)
    )
    scope = scope_of(request.user)
    if scope.role == Role.DISTRICT and len(districts) == 1:
        # The district's own target (it may override the province's) and figures.
        overall = districts[0].progress
    former = []
    if not districts:
        # No district level this year: the province's communes in force, and the same
        # figures by the district they belonged to before 1/7/2025 (from the lineage).
        dashboard = selectors.dashboard_figures(
            year=year,
            districts=District.objects.none(),
            communes=Commune.objects.visible_to(request.user),
        )
        overall = dashboard.overall.progress
        former = [
            {"code": row.code, "name": row.name, **row.figures.progress.as_dict()}
            for row in dashboard.districts
        ]
    return JsonResponse(
        {
            "year": year,
            "computed_at": _iso(selectors.last_computed_at(year=year)),
            "province": overall.as_dict(),
            "districts": [
                {"code": d.code, "name": d.name, **d.progress.as_dict()} for d in districts
            ],
            # Units through time: the date whose units the year is evaluated on, and,
            # for a year without districts, the figures by former district.
            "period": {"reference_date": on.isoformat(), "has_districts": bool(districts)},
            "former_districts": former,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@api_view("GET")
def commune(request, code):
    """One commune's status for the year, its reasons in words and its figures.

    A year not computed yet is evaluated on the spot (nothing is stored by a GET).
    """
    year = _year(request.GET.get("year"))
    on = reference_date(year)
    # The unit with this code in force on the year's reference date (codes are reused).
    unit = get_commune_for_user(request.user, code, on=on)
    if not unit.is_in_force(on):
        raise Http404
    # A stored status, or a verdict of the rule: both carry the same figures.
    status = selectors.commune_status(commune=unit, year=year)
    if status is None:
        status = services.statuses_evaluate(year=year, commune_ids=[unit.pk])[unit.pk]
    titles = dict(
        Criterion.objects.filter(code__in=reasons.criterion_codes(status.reasons)).values_list(
            "code", "title"
        )
    )
    rate = percent(status.survey_satisfied, status.survey_responses)
    recognition = decisions.recognitions(year=year, communes=[unit]).get(unit.pk)
    return JsonResponse(
        {
            "code": unit.code,
            "name": unit.name,
            "district": unit.district.code if unit.district else None,
            "status": status.status,
            "reasons": reasons.describe(status.reasons, titles=titles),
            "survey": {
                "responses": status.survey_responses,
                "satisfied": status.survey_satisfied,
                "rate": float(rate) if rate is not None else None,
            },
            "evidence": {
                "required": status.evidence_required,
                "approved": status.evidence_approved,
            },
            "recognized": recognition.as_dict() if recognition else None,
            "province": unit.province.code,
            "period": _period(unit),
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _run_json(run: RecomputeRun) -> dict:
    return {
        "id": run.pk,
        "state": run.state,
        "year": run.year,
        "communes_done": run.communes_done,
        "communes_total": run.communes_total,
        "percent": run.percent,
        "finished": run.is_finished,
        "queued_at": _iso(run.queued_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "url": reverse("api_recompute_run", args=[run.pk]),
    }


@reading_with_the_session(lambda request, user_id, run_id: caching.recompute_run_keys(run_id))
@api_view("GET")
def recompute_run(request, run_id):
    """The state and progress of a recompute run, for the dashboard to poll."""
    require_role(request.user, Role.PROVINCE)

    def load():
        run = RecomputeRun.objects.filter(pk=run_id).first()
        return None if run is None else _run_json(run)

    # Polled by every official's dashboard while a run is under way: from Redis when it
    # holds the run as it was last written (targets.caching.recompute_run).
    read = read_with_the_session(request.session, caching.recompute_run_keys(run_id))
    body = caching.recompute_run(run_id, load, found=read)
    if body is None:
        raise Http404
    return JsonResponse(body)


@api_view("POST")
def recompute_start(request):
    """Start recomputing every commune (``year`` in the form: that year only); 202 + the run.

    CSRF-protected like any form post of a logged-in user.
    """
    require_role(request.user, Role.PROVINCE)
    raw_year = request.POST.get("year") or None
    year = _year(raw_year) if raw_year is not None else None
    run = outbox.recompute_all_start(by=request.user, year=year)
    response = JsonResponse(_run_json(run), status=202)
    response["Location"] = reverse("api_recompute_run", args=[run.pk])
    return response
