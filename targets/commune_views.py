"""Pages about a commune or a district that show statuses, survey trends or the dashboards'
tables and workbooks: they need targets (and surveys), so they live here, above both
(ARCHITECTURE.md). Their addresses and names are those they always had (``targets.urls``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from communes import selectors as commune_selectors
from communes import services
from communes.access import get_commune_for_user, get_district_for_user, has_role, role_required
from communes.forms import PracticeAdoptionForm
from communes.models import Commune, District, GoodPractice, Role, reference_date, scope_of
from friendlygov.http import AuthenticatedHttpRequest
from surveys import selectors as survey_selectors
from targets import exports, tables
from targets import selectors as target_selectors


@require_GET
@login_required
def commune_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """A commune's overview: committee, launch, checklist, surveys, status with its reasons,
    the history of its status, good practices adopted and facility investment."""
    years = commune_selectors.programme_years()
    raw_year = request.GET.get("year")
    year = commune_selectors.programme_year(raw_year, years)
    # The page's date: today, or the reference date of the year asked for.
    on = reference_date(year) if raw_year else None
    commune = get_commune_for_user(request.user, code, on=on)
    # A unit no longer (or not yet) in force shows the last year it was evaluated on.
    year = commune_selectors.year_of_unit(commune, year, years)
    status = target_selectors.commune_status(commune=commune, year=year)
    evidence_states = target_selectors.commune_evidence_states(commune=commune, year=year)
    recognition, recognition_text = target_selectors.commune_recognition(
        commune=commune, status=status
    )
    return render(
        request,
        "communes/commune_detail.html",
        {
            "commune": commune,
            "year": year,
            "years": years,
            "status": status,
            "recognition": recognition,
            "recognition_text": recognition_text,
            "titles": target_selectors.criterion_titles() if status and status.reasons else {},
            "committee": target_selectors.commune_committee(commune=commune),
            "evidence_states": evidence_states,
            "evidence_total": sum(evidence_states.values()),
            "trend": survey_selectors.commune_trend(commune=commune, year=year),
            "history": list(target_selectors.commune_history(commune=commune)),
            "adoptions": list(target_selectors.commune_adoptions(commune=commune)),
            "investments": list(target_selectors.commune_investments(commune=commune)),
            "lineage": commune_selectors.lineage(commune=commune),
            "predecessor_figures": target_selectors.predecessor_figures(commune=commune),
            "in_force_today": commune.is_in_force(timezone.localdate()),
            "can_see_district": has_role(request.user, Role.DISTRICT, Role.PROVINCE),
            "can_adopt": has_role(request.user, Role.DISTRICT, Role.COMMUNE),
        },
    )


# --- Good practices ---------------------------------------------------------------------


def _adoptable_communes(user):
    """The communes for which ``user`` may record adopting a good practice: commune staff
    their own, district officials their district's, admins all; provincial officials none."""
    if not has_role(user, Role.DISTRICT, Role.COMMUNE):
        return Commune.objects.none()
    return Commune.objects.visible_to(user)


PRACTICE_ADOPTIONS_PAGE = 50  # adopters listed a page on a good practice's page


def _practice_page(
    request: AuthenticatedHttpRequest,
    practice: GoodPractice,
    form: PracticeAdoptionForm | None,
    *,
    status: int = 200,
) -> HttpResponse:
    # The spread over the country by province for an administrator, otherwise over the
    # districts of the caller's province: never a row per district of the country.
    communes = Commune.objects.visible_to(request.user)
    scope = scope_of(request.user)
    national = bool(scope is not None and scope.sees_everything)
    if national:
        spread = list(commune_selectors.practice_spread_by_province(practice=practice))
    else:
        districts = District.objects.filter(province__in=communes.values("province"))
        spread = list(commune_selectors.practice_spread(practice=practice, districts=districts))
    spread_table = tables.practice_district_table(practice, spread, by_province=national)
    if request.GET.get("format") == "xlsx":
        return exports.xlsx_response(
            [spread_table], filename=f"cach-lam-hay-{practice.code}", subtitle=practice.name
        )
    # The adopters in the caller's scope, a page at a time (a country has thousands).
    adoptions = Paginator(
        commune_selectors.practice_adoptions(practice=practice, communes=communes),
        PRACTICE_ADOPTIONS_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "communes/practice_detail.html",
        {
            "practice": practice,
            "spread_table": spread_table,
            "adopters": sum(d.adopters for d in spread),
            "communes_total": sum(d.communes_total for d in spread),
            "adoptions": list(adoptions.object_list),
            "page": adoptions,
            "page_query": "",
            "form": form,
        },
        status=status,
    )


@require_GET
@role_required(Role.PROVINCE, Role.DISTRICT, Role.COMMUNE)
def practice_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """A good practice: what it is, where it started, who adopted it (within the caller's
    scope) and its spread per district; the form to record adopting it."""
    practice: GoodPractice = get_object_or_404(
        GoodPractice.objects.select_related("origin"), code=code
    )
    form = None
    communes = _adoptable_communes(request.user)
    if has_role(request.user, Role.DISTRICT, Role.COMMUNE):
        form = PracticeAdoptionForm(
            communes=communes,
            action=reverse("practice_adopt", args=[practice.code]),
            initial={"commune": request.GET.get("commune"), "adopted_on": timezone.localdate()},
        )
    return _practice_page(request, practice, form)


@require_POST
@role_required(Role.DISTRICT, Role.COMMUNE)
def practice_adopt(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Record that a commune adopted the practice (commune staff: their commune; district
    officials: one of their communes)."""
    practice: GoodPractice = get_object_or_404(
        GoodPractice.objects.select_related("origin"), code=code
    )
    form = PracticeAdoptionForm(
        request.POST,
        communes=_adoptable_communes(request.user),
        action=reverse("practice_adopt", args=[practice.code]),
    )
    if not form.is_valid():
        return _practice_page(request, practice, form, status=400)
    adoption, created = services.practice_adopt(
        practice=practice,
        commune=form.cleaned_data["commune"],
        adopted_on=form.cleaned_data["adopted_on"],
        note=form.cleaned_data["note"],
    )
    if created:
        messages.success(
            request,
            _("Đã ghi nhận %(commune)s áp dụng “%(practice)s”.")
            % {"commune": adoption.commune.name, "practice": practice.name},
        )
    else:
        messages.success(
            request,
            _("Đã cập nhật việc áp dụng “%(practice)s” của %(commune)s.")
            % {"commune": adoption.commune.name, "practice": practice.name},
        )
    return redirect("practice_detail", code=practice.code)


# --- Facility investment --------------------------------------------------------------


@require_GET
@login_required
def district_investment(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """A district's facility investment, at district level and per commune, every year."""
    district = get_district_for_user(request.user, code)
    rows = commune_selectors.district_investments(district=district)
    table = tables.investment_rows_table(rows)
    if request.GET.get("format") == "xlsx":
        return exports.xlsx_response(
            [table], filename=f"kinh-phi-{district.code}", subtitle=district.name
        )
    return render(
        request,
        "communes/investment.html",
        {
            "district": district,
            "table": table,
            "by_year": commune_selectors.investment_totals_by_year(district=district),
            "can_see_province": has_role(request.user, Role.PROVINCE),
        },
    )
