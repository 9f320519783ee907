"""The administrators' reorganization screen: describe, preview what moves, apply.

Kept apart from ``communes/views.py``: it is an administrators' tool (linked from the
admin's list of reorganizations), and it needs none of the dashboards' imports.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from communes.access import role_required
from communes.forms import ReorganizationForm, UnitChangeFormSet
from communes.models import CommuneLink, Reorganization, Role, UserScope
from communes.services.reorganizations import reorganization_apply, reorganization_preview

MORE_ROWS = 6


def _with_more_rows(data):
    data = data.copy()
    key = "units-TOTAL_FORMS"
    try:
        data[key] = str(int(data.get(key, 0)) + MORE_ROWS)
    except ValueError:
        pass
    return data


def _show_errors(error: ValidationError, *, form, filled) -> None:
    for key, problems in error.message_dict.items():
        target = form if key == "__all__" else filled[int(key)]
        for problem in problems:
            target.add_error(None, problem)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def reorganization_new(request):
    """Step 1 (the form), step 2 (POST "preview": what moves, nothing written), step 3
    (POST "apply": all of it in one transaction, then the result page)."""
    action = request.POST.get("action", "edit")
    if request.method == "GET":
        form, formset = ReorganizationForm(), UnitChangeFormSet(prefix="units")
        return _edit(request, form, formset)
    data = _with_more_rows(request.POST) if action == "more" else request.POST
    form, formset = ReorganizationForm(data), UnitChangeFormSet(data, prefix="units")
    if action not in ("preview", "apply") or not (form.is_valid() and formset.is_valid()):
        return _edit(request, form, formset)
    filled = [f for f in formset.forms if f.has_changed() and f.cleaned_data]
    args = {
        "resolution": form.cleaned_data["resolution"],
        "effective_on": form.cleaned_data["effective_on"],
        "note": form.cleaned_data["note"],
        "changes": [f.unit_change() for f in filled],
        "province": form.province_change(),
    }
    try:
        if action == "apply":
            reorganization = reorganization_apply(**args, by=request.user)
            messages.success(
                request,
                _("Đã ghi nhận đợt sắp xếp %(reorganization)s.")
                % {"reorganization": reorganization},
            )
            return redirect("reorganization_detail", pk=reorganization.pk)
        plan = reorganization_preview(**args)
    except ValidationError as error:
        _show_errors(error, form=form, filled=filled)
        return _edit(request, form, formset)
    return render(
        request,
        "communes/reorganization_preview.html",
        {"form": form, "formset": formset, "plan": plan},
    )


def _edit(request, form, formset):
    return render(request, "communes/reorganization_form.html", {"form": form, "formset": formset})


@require_GET
@role_required(Role.ADMIN)
def reorganization_detail(request, pk):
    """A recorded reorganization: each predecessor, where it went, and who now serves it."""
    reorganization = get_object_or_404(Reorganization, pk=pk)
    links = list(
        CommuneLink.objects.filter(reorganization=reorganization)
        .select_related("predecessor", "successor__district")
        .order_by("successor__code", "predecessor_code")
    )
    successors = {link.successor_id for link in links if link.successor_id}
    staff = {}
    for scope in (
        UserScope.objects.filter(commune_id__in=successors, role=Role.COMMUNE)
        .select_related("user")
        .order_by("user__username")
    ):
        staff.setdefault(scope.commune_id, []).append(scope.user.username)
    for link in links:
        link.staff = staff.get(link.successor_id, [])
    renames = reorganization.province_renames.select_related("province")
    return render(
        request,
        "communes/reorganization_detail.html",
        {"reorganization": reorganization, "links": links, "renames": renames},
    )
