"""The meeting reports: ``/reports/<year>.pdf`` (the province's) and
``/districts/<code>/reports/<year>.pdf`` (a district's), generated on the server."""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from communes.access import get_district_for_user, require_role, role_required
from communes.models import Commune, District, Province, Role, scope_of
from targets import pdf, reports, selectors
from targets.models import ReportRun


def _report_year(year: int) -> int:
    if year not in selectors.dashboard_years():
        raise Http404
    return year


@require_GET
@role_required(Role.PROVINCE)
def province_report(request, year):
    """The province's report of ``year``: every district the official sees."""
    year = _report_year(year)
    scope = scope_of(request.user)
    province = (
        Province.objects.filter(pk=scope.province_id).first()
        if getattr(scope, "province_id", None)
        else Province.objects.order_by("code").first()
    )
    data = reports.report_pdf(
        year=year,
        districts=District.objects.visible_to(request.user),
        unit_name=province.name if province else _("Toàn tỉnh"),
        communes=Commune.objects.visible_to(request.user),
    )
    return pdf.pdf_response(data, filename=f"bao-cao-{year}")


@require_GET
@role_required(Role.PROVINCE, Role.DISTRICT)
def district_report(request, code, year):
    """A district's report of ``year`` (its own officials and the province's)."""
    district = get_district_for_user(request.user, code)
    year = _report_year(year)
    data = reports.report_pdf(
        year=year, districts=District.objects.filter(pk=district.pk), unit_name=district.name
    )
    return pdf.pdf_response(data, filename=f"bao-cao-{district.code}-{year}")


# --- Builds by a Celery task, with progress ---------------------------------------------


def _runs_for(user, *, year, district=None):
    runs = ReportRun.objects.filter(year=year)
    if district is not None:
        return runs.filter(district=district)
    return runs.filter(district=None, province_id=getattr(scope_of(user), "province_id", None))


def _report_page(request, *, year, district=None):
    run = _runs_for(request.user, year=year, district=district).first()
    if district is not None:
        pdf_url = reverse("district_report", args=[district.code, year])
        build_url = reverse("district_report_build", args=[district.code, year])
        title = district.name
    else:
        pdf_url = reverse("province_report", args=[year])
        build_url = reverse("province_report_build", args=[year])
        title = _("Toàn tỉnh")
    return render(
        request,
        "targets/report_page.html",
        {
            "year": year,
            "unit_title": title,
            "run": run,
            "running": run is not None and not run.is_finished,
            "pdf_url": pdf_url,
            "build_url": build_url,
        },
    )


@require_GET
@role_required(Role.PROVINCE)
def province_report_page(request, year):
    return _report_page(request, year=_report_year(year))


@require_GET
@role_required(Role.PROVINCE, Role.DISTRICT)
def district_report_page(request, code, year):
    district = get_district_for_user(request.user, code)
    return _report_page(request, year=_report_year(year), district=district)


@require_POST
@role_required(Role.PROVINCE)
def province_report_build(request, year):
    """Start building the province's report; the page shows its progress."""
    year = _report_year(year)
    reports.report_run_start(by=request.user, year=year)
    return redirect("province_report_page", year=year)


@require_POST
@role_required(Role.PROVINCE, Role.DISTRICT)
def district_report_build(request, code, year):
    district = get_district_for_user(request.user, code)
    year = _report_year(year)
    reports.report_run_start(by=request.user, year=year, district=district)
    return redirect("district_report_page", code=district.code, year=year)


@require_GET
@role_required(Role.PROVINCE, Role.DISTRICT)
def report_run_file(request, pk):
    """A built report, to whoever may read its scope."""
    run = get_object_or_404(ReportRun, pk=pk, state=ReportRun.State.DONE)
    if run.district_id is not None:
        get_district_for_user(request.user, run.district.code)
    else:
        require_role(request.user, Role.PROVINCE)
        if getattr(scope_of(request.user), "province_id", None) != run.province_id:
            raise PermissionDenied
    response = FileResponse(
        run.file.open("rb"), content_type="application/pdf", filename=f"bao-cao-{run.year}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response
