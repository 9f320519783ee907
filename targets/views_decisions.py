"""Recognition decisions: the list of a year, a draft's editing, issuing, withdrawing,
the list of communes as a PDF ready to sign, and the signed scan.

Provincial and district officials read the decisions naming the communes they see;
the year's competent level (``CertificationRule.recognizing_level``) drafts and issues.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communes.access import get_commune_for_user, role_required
from communes.models import Commune, Role, scope_of
from targets import decisions, pdf, selectors
from targets.forms import DecisionCommuneForm, DecisionForm, WithdrawForm
from targets.models import RecognitionDecision

VIEWERS = (Role.PROVINCE, Role.DISTRICT)


def get_decision_for_user(user, pk) -> RecognitionDecision:
    """The decision ``pk`` if ``user`` may read it: 404 if unknown, 403 otherwise."""
    decision = get_object_or_404(RecognitionDecision, pk=pk)
    if not decisions.decisions_visible_to(user).filter(pk=decision.pk).exists():
        raise PermissionDenied
    return decision


def _messages_of(error: ValidationError) -> list[str]:
    return list(error.messages)


DECISION_PAGE = 50  # decisions listed a page


@require_GET
@role_required(*VIEWERS)
def decision_list(request):
    """The year's decisions, a page at a time, and the communes meeting the criteria that
    await one: counted (per province for an administrator, per district otherwise), the
    first of them named, never a line per commune of the country."""
    year = selectors.dashboard_year(request.GET.get("year"))
    communes = Commune.objects.visible_to(request.user)
    scope = scope_of(request.user)
    listed = decisions.decisions_visible_to(request.user, year=year).order_by("-signed_on", "-pk")
    page = Paginator(listed, DECISION_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "targets/decisions.html",
        {
            "year": year,
            "years": selectors.dashboard_years(),
            "decisions": list(page.object_list),
            "page": page,
            "page_query": query.urlencode(),
            "awaiting": decisions.awaiting_summary(
                year=year,
                communes=communes,
                national=bool(scope is not None and scope.sees_everything),
            ),
            "level": decisions.recognizing_level(year=year),
            "may_decide": decisions.may_decide(request.user, year=year),
        },
    )


@require_POST
@role_required(*VIEWERS)
def decision_draft(request):
    """Draft a decision of the year from every commune awaiting recognition."""
    year = selectors.dashboard_year(request.POST.get("year"))
    try:
        decision = decisions.decision_draft(year=year, by=request.user)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
        return redirect(f"{reverse('decision_list')}?year={year}")
    return redirect("decision_detail", pk=decision.pk)


def _detail(request, decision, *, form=None, add_form=None, withdraw_form=None, status=200):
    entries = list(
        decision.entries.select_related("commune__district").order_by(
            "commune__district__code", "commune__name"
        )
    )
    may_decide = decisions.may_decide(request.user, year=decision.year)
    editable = may_decide and not decision.is_issued
    can_withdraw = (
        may_decide and decision.is_issued and decision.kind == RecognitionDecision.Kind.RECOGNIZE
    )
    if editable:
        form = form or DecisionForm(
            initial={
                "number": decision.number,
                "signed_on": decision.signed_on,
                "signer": decision.signer,
            },
            action=reverse("decision_detail", args=[decision.pk]),
        )
        add_form = add_form or DecisionCommuneForm(
            action=reverse("decision_commune_add", args=[decision.pk])
        )
    if can_withdraw:
        withdraw_form = withdraw_form or WithdrawForm(
            entries=entries, action=reverse("decision_withdraw", args=[decision.pk])
        )
    return render(
        request,
        "targets/decision_detail.html",
        {
            "decision": decision,
            "year": decision.year,
            "entries": entries,
            "editable": editable,
            "form": form if editable else None,
            "add_form": add_form if editable else None,
            "withdraw_form": withdraw_form if can_withdraw else None,
            "withdrawals": list(decision.withdrawals.all()),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@role_required(*VIEWERS)
def decision_detail(request, pk):
    """A decision; on a draft, its number, date, signer and signed scan are recorded."""
    decision = get_decision_for_user(request.user, pk)
    if request.method == "GET":
        return _detail(request, decision)
    form = DecisionForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, decision, form=form, status=400)
    try:
        decisions.decision_update(
            decision=decision,
            by=request.user,
            number=form.cleaned_data["number"],
            signed_on=form.cleaned_data["signed_on"],
            signer=form.cleaned_data["signer"],
            scan=form.cleaned_data["scan"],
        )
    except ValidationError as error:
        for message in _messages_of(error):
            form.add_error(None, message)
        return _detail(request, decision, form=form, status=400)
    messages.success(request, _("Đã lưu dự thảo quyết định."))
    return redirect("decision_detail", pk=decision.pk)


@require_POST
@role_required(*VIEWERS)
def decision_commune_add(request, pk):
    decision = get_decision_for_user(request.user, pk)
    form = DecisionCommuneForm(request.POST)
    if not form.is_valid():
        return _detail(request, decision, add_form=form, status=400)
    commune = get_commune_for_user(request.user, form.cleaned_data["code"])
    try:
        decisions.decision_commune_add(
            decision=decision, commune=commune, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        for message in _messages_of(error):
            form.add_error("reason", message)
        return _detail(request, decision, add_form=form, status=400)
    messages.success(request, _("Đã thêm %(commune)s.") % {"commune": commune.name})
    return redirect("decision_detail", pk=decision.pk)


@require_POST
@role_required(*VIEWERS)
def decision_commune_remove(request, pk, commune_id):
    decision = get_decision_for_user(request.user, pk)
    try:
        decisions.decision_commune_remove(decision=decision, commune_id=commune_id, by=request.user)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    return redirect("decision_detail", pk=decision.pk)


@require_POST
@role_required(*VIEWERS)
def decision_issue(request, pk):
    """Issue a complete draft: from now on it is the record and never changes."""
    decision = get_decision_for_user(request.user, pk)
    try:
        decisions.decision_issue(decision=decision, by=request.user)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    else:
        messages.success(request, _("Đã ban hành quyết định."))
    return redirect("decision_detail", pk=decision.pk)


@require_POST
@role_required(*VIEWERS)
def decision_withdraw(request, pk):
    """Draft a decision withdrawing some of an issued decision's recognitions."""
    decision = get_decision_for_user(request.user, pk)
    entries = list(decision.entries.select_related("commune"))
    form = WithdrawForm(request.POST, entries=entries)
    if not form.is_valid():
        return _detail(request, decision, withdraw_form=form, status=400)
    try:
        withdrawal = decisions.decision_withdraw_draft(
            decision=decision,
            by=request.user,
            commune_ids=form.cleaned_data["communes"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        for message in _messages_of(error):
            form.add_error(None, message)
        return _detail(request, decision, withdraw_form=form, status=400)
    return redirect("decision_detail", pk=withdrawal.pk)


@require_GET
@role_required(*VIEWERS)
def decision_pdf(request, pk):
    """The decision's list of communes, laid out to be signed."""
    decision = get_decision_for_user(request.user, pk)
    entries = decision.entries.select_related("commune__district").order_by(
        "commune__district__code", "commune__name"
    )
    data = pdf.render_pdf(
        "targets/pdf/decision.html", {"decision": decision, "entries": entries}, request=request
    )
    return pdf.pdf_response(data, filename=f"quyet-dinh-{decision.year}-{decision.pk}")


@require_GET
@role_required(*VIEWERS)
def decision_scan(request, pk):
    decision = get_decision_for_user(request.user, pk)
    if not decision.scan:
        raise Http404
    extension = decision.scan.name.rsplit(".", 1)[-1]
    response = FileResponse(
        decision.scan.open("rb"),
        as_attachment=True,
        filename=f"quyet-dinh-{decision.pk}.{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response
