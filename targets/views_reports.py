"""The meeting reports: ``/reports/<year>.pdf`` (the province's) and
``/districts/<code>/reports/<year>.pdf`` (a district's), generated on the server."""

from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from communes.access import get_district_for_user, role_required
from communes.models import District, Province, Role, scope_of
from targets import pdf, reports, selectors


def _report_year(year: int) -> int:
    if year not in selectors.DASHBOARD_YEARS:
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
