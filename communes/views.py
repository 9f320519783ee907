from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from communes import notifications, selectors, services, uploads
from communes import selectors as commune_selectors
from communes.access import (
    REVIEWER_ROLES,
    communes_reviewed_by,
    get_commune_for_editor,
    get_commune_for_reviewer,
    get_commune_for_user,
    get_district_for_editor,
    get_district_for_user,
    get_evidence_file_for_user,
    has_role,
    role_required,
)
from communes.filters import DeadlineFilter, ReviewQueueFilter
from communes.forms import (
    CommitteeForm,
    EvidenceForm,
    ExtensionForm,
    MemberForm,
    NotificationPreferenceForm,
    ReviewForm,
    VersionForm,
)
from communes.models import (
    CommitteeMember,
    Commune,
    Criterion,
    Evidence,
    EvidenceState,
    Notification,
    Role,
    reference_date,
    scope_of,
)
from communes.text import plain_number
from friendlygov.params import ascii_int, year_param

# --- Good practices -------------------------------------------------------------------


def _year_or_404(year: int, years=None) -> int:
    if year not in (years if years is not None else selectors.checklist_years()):
        raise Http404
    return year


def _criterion_or_404(code: str, year: int) -> Criterion:
    return get_object_or_404(Criterion.objects.active_in(year), code=code)


def _evidence_url(commune, year, criterion) -> str:
    return reverse("evidence_detail", args=[commune.code, year, criterion.code])


@require_GET
@login_required
def checklist(request, code, year):
    """A commune's checklist for a year: every criterion, its state and what it needs."""
    years = selectors.checklist_years()
    year = _year_or_404(year, years)
    commune = get_commune_for_user(request.user, code, on=reference_date(year), strict=True)
    deadline = selectors.deadline_state(commune=commune, year=year)
    checklist = selectors.checklist(commune=commune, year=year)
    show = request.GET.get("show")
    show = show if show in checklist.SHOW else None
    return render(
        request,
        "communes/checklist.html",
        {
            "commune": commune,
            "year": year,
            "years": years,
            "checklist": checklist,
            "show": show,
            "groups": checklist.groups_shown(show),
            "carry_over": selectors.carry_over_offers(commune=commune, year=year),
            # After the deadline (and any extension) the checklist is read-only; the
            # services refuse the writes too (ChecklistClosed).
            "can_edit": has_role(request.user, Role.COMMUNE)
            and deadline.is_open
            and commune.is_in_force(timezone.localdate()),
            "can_review": has_role(request.user, *REVIEWER_ROLES),
            "can_extend": has_role(request.user, *REVIEWER_ROLES),
            "deadline": deadline,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def evidence_detail(request, code, year, criterion):
    """One criterion's evidence: files, note, value, the review and every state change.

    Commune staff save or submit it here (POST); everyone who sees the commune reads it.
    """
    year = _year_or_404(year)
    commune = get_commune_for_user(request.user, code, on=reference_date(year), strict=True)
    criterion = _criterion_or_404(criterion, year)
    if request.method == "GET":
        return _evidence_page(request, commune, year, criterion)

    commune = get_commune_for_editor(request.user, code, on=reference_date(year))
    if not criterion.needs_review:
        raise PermissionDenied
    row = selectors.evidence_row(commune=commune, criterion=criterion, year=year)
    form = EvidenceForm(
        request.POST, request.FILES, criterion=criterion, files_count=len(row.files)
    )
    if not form.is_valid():
        return _evidence_page(request, commune, year, criterion, form=form, status=400)
    try:
        result = services.evidence_save(
            commune=commune,
            criterion=criterion,
            year=year,
            by=request.user,
            version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
            value=form.cleaned_data.get("value"),
            files=form.cleaned_data["files"],
            submit=request.POST.get("action") == "submit",
        )
    except services.EvidenceConflict as conflict:
        messages.warning(request, conflict.message)
        if conflict.evidence is None or not conflict.evidence.is_editable:
            return redirect(_evidence_url(commune, year, criterion))
        # Keep what the user typed, against the current version, for a deliberate retry.
        data = request.POST.copy()
        data["version"] = conflict.evidence.version
        if request.FILES:
            messages.info(request, _("Các tệp vừa chọn chưa được lưu; hãy chọn lại."))
        form = EvidenceForm(data, criterion=criterion, files_count=len(row.files))
        return _evidence_page(request, commune, year, criterion, form=form, status=409)
    if result.submitted:
        messages.success(
            request,
            _("Đã gửi minh chứng cho huyện duyệt.")
            if commune.district_id
            else _("Đã gửi minh chứng cho tỉnh duyệt."),
        )
    elif result.missing:
        messages.warning(
            request,
            _("Đã lưu nháp nhưng chưa gửi duyệt được: %(missing)s.")
            % {"missing": "; ".join(result.missing)},
        )
    else:
        messages.success(request, _("Đã lưu nháp."))
    return redirect(_evidence_url(commune, year, criterion))


def _evidence_page(request, commune, year, criterion, *, form=None, review_form=None, status=200):
    row = selectors.evidence_row(commune=commune, criterion=criterion, year=year)
    evidence = row.evidence
    deadline = selectors.deadline_state(commune=commune, year=year)
    can_edit = (
        has_role(request.user, Role.COMMUNE)
        and criterion.needs_review
        and deadline.is_open
        and commune.is_in_force(timezone.localdate())
    )
    can_review = has_role(request.user, *REVIEWER_ROLES)
    editable = can_edit and (evidence is None or evidence.is_editable)
    if form is None and editable:
        form = EvidenceForm(
            initial={
                "version": evidence.version if evidence else 0,
                "note": evidence.note if evidence else "",
                "value": plain_number(evidence.value) if evidence else None,
            },
            criterion=criterion,
            files_count=len(row.files),
        )
    is_submitted = evidence is not None and evidence.state == EvidenceState.SUBMITTED
    if review_form is None and can_review and is_submitted:
        review_form = ReviewForm(initial={"version": evidence.version})
    if review_form is not None:
        review_form.helper.form_action = reverse(
            "evidence_review", args=[commune.code, year, criterion.code]
        )
    return render(
        request,
        "communes/evidence_detail.html",
        {
            "commune": commune,
            "year": year,
            "criterion": criterion,
            "row": row,
            "evidence": evidence,
            "form": form if editable else None,
            "review_form": review_form if (can_review and is_submitted) else None,
            "can_edit": can_edit,
            "editable": editable,
            "history": selectors.evidence_history(evidence),
            "deadline": deadline,
            "can_extend": can_review,
        },
        status=status,
    )


def _evidence_or_404(commune, year, criterion_code) -> Evidence:
    return get_object_or_404(
        Evidence.objects.select_related("criterion"),
        commune=commune,
        year=year,
        criterion__code=criterion_code,
    )


@require_POST
@login_required
def evidence_submit(request, code, year, criterion):
    """Send complete evidence to the district (the checklist's one-click submit)."""
    commune = get_commune_for_editor(request.user, code, on=reference_date(_year_or_404(year)))
    evidence = _evidence_or_404(commune, year, criterion)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return redirect("checklist", code=commune.code, year=year)
    try:
        services.evidence_submit(
            evidence_id=evidence.pk, by=request.user, version=form.cleaned_data["version"]
        )
    except services.EvidenceConflict as conflict:
        messages.warning(request, conflict.message)
    except services.EvidenceIncomplete as incomplete:
        messages.error(
            request,
            _("Chưa gửi được %(code)s: %(missing)s.")
            % {"code": evidence.criterion.code, "missing": "; ".join(incomplete.missing)},
        )
    else:
        messages.success(
            request,
            (
                _("Đã gửi %(code)s cho huyện duyệt.")
                if commune.district_id
                else _("Đã gửi %(code)s cho tỉnh duyệt.")
            )
            % {"code": evidence.criterion.code},
        )
    return redirect("checklist", code=commune.code, year=year)


@require_POST
@login_required
def evidence_reopen(request, code, year, criterion):
    """Open approved evidence again for an update (it goes back to review afterwards)."""
    commune = get_commune_for_editor(request.user, code, on=reference_date(_year_or_404(year)))
    evidence = _evidence_or_404(commune, year, criterion)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            services.evidence_reopen(
                evidence_id=evidence.pk, by=request.user, version=form.cleaned_data["version"]
            )
        except services.EvidenceConflict as conflict:
            messages.warning(request, conflict.message)
        else:
            messages.info(
                request,
                _("Đã mở lại minh chứng để cập nhật. Sau khi sửa, hãy gửi duyệt lại."),
            )
    return redirect(_evidence_url(commune, year, evidence.criterion))


@require_POST
@login_required
def evidence_carry_over(request, code, year, source):
    """Accept a predecessor's approved evidence for this unit and year (its reviewers)."""
    year = _year_or_404(year)
    commune = get_commune_for_reviewer(request.user, code, on=reference_date(year))
    try:
        evidence = services.evidence_carry_over(
            source_id=source, commune=commune, year=year, by=request.user
        )
    except services.CarryOverRefused as refused:
        messages.warning(request, str(refused))
    else:
        messages.success(
            request,
            _("Đã kế thừa minh chứng “%(criterion)s” từ đơn vị trước.")
            % {"criterion": evidence.criterion.title},
        )
    return redirect("checklist", code=commune.code, year=year)


@require_POST
@login_required
def evidence_review(request, code, year, criterion):
    """Approve submitted evidence, or return it with a note (district officials)."""
    year = _year_or_404(year)
    commune = get_commune_for_reviewer(request.user, code, on=reference_date(year))
    evidence = _evidence_or_404(commune, year, criterion)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _evidence_page(
            request, commune, year, evidence.criterion, review_form=form, status=400
        )
    data = form.cleaned_data
    try:
        if data["decision"] == ReviewForm.APPROVE:
            services.evidence_approve(
                evidence_id=evidence.pk, by=request.user, version=data["version"], note=data["note"]
            )
            done = _("Đã duyệt %(code)s của %(commune)s (%(year)s).")
        else:
            services.evidence_return(
                evidence_id=evidence.pk, by=request.user, version=data["version"], note=data["note"]
            )
            done = _("Đã trả lại %(code)s cho %(commune)s (%(year)s).")
    except services.EvidenceConflict as conflict:
        messages.warning(request, conflict.message)
        return redirect(_evidence_url(commune, year, evidence.criterion))
    messages.success(
        request, done % {"code": evidence.criterion.code, "commune": commune.name, "year": year}
    )
    return redirect("reviews")


# --- Evidence files ---------------------------------------------------------------------


def _attachment(field_file, *, content_type: str, filename: str, cache: str) -> FileResponse:
    """A stored file as a download: never rendered by the browser, never sniffed."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = cache
    return response


@require_GET
@login_required
def evidence_file(request, pk):
    evidence_file = get_evidence_file_for_user(request.user, pk)
    extension = evidence_file.file.name.rsplit(".", 1)[-1]
    return _attachment(
        evidence_file.file,
        content_type=evidence_file.content_type,
        filename=uploads.download_name(evidence_file.original_name, extension),
        cache="private, no-store",
    )


# The inline file is a document of its own, locked down: no script, no form, no plugin
# but the browser's PDF viewer, nothing loaded from elsewhere; only the portal may frame it.
INLINE_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; sandbox allow-same-origin"
)


@require_GET
@login_required
def evidence_file_view(request, pk):
    """An evidence file shown in the browser (the review page's viewer): photos and PDFs
    inline, checked by content; anything else is downloaded instead."""
    evidence_file = get_evidence_file_for_user(request.user, pk)
    try:
        with evidence_file.file.open("rb") as handle:
            head = handle.read()
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    detected = uploads.detect(head)
    if detected is None or detected[0] not in uploads.INLINE_TYPES:
        return redirect("evidence_file", pk=evidence_file.pk)
    content_type, extension = detected
    response = FileResponse(
        evidence_file.file.open("rb"),
        as_attachment=False,
        filename=uploads.download_name(evidence_file.original_name, extension),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = INLINE_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def evidence_file_thumbnail(request, pk):
    evidence_file = get_evidence_file_for_user(request.user, pk)
    if not evidence_file.thumbnail:
        raise Http404
    stem = uploads.download_name(evidence_file.original_name, "jpg")
    return _attachment(
        evidence_file.thumbnail,
        content_type="image/jpeg",
        filename=f"thumb-{stem}",
        cache="private, max-age=3600",
    )


@require_POST
@login_required
def evidence_file_delete(request, pk):
    evidence_file = get_evidence_file_for_user(request.user, pk)
    evidence = evidence_file.evidence
    # The evidence's own unit, not whichever unit has its code today.
    editable = get_commune_for_editor(
        request.user, evidence.commune.code, on=reference_date(evidence.year)
    )
    if editable.pk != evidence.commune_id:
        raise PermissionDenied
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            services.evidence_file_delete(
                file_id=evidence_file.pk, by=request.user, version=form.cleaned_data["version"]
            )
        except services.EvidenceConflict as conflict:
            messages.warning(request, conflict.message)
        else:
            messages.success(
                request, _("Đã xóa tệp “%(name)s”.") % {"name": evidence_file.original_name}
            )
    return redirect(_evidence_url(evidence.commune, evidence.year, evidence.criterion))


# --- The review queue -----------------------------------------------------------------


@require_GET
@role_required(*REVIEWER_ROLES, Role.PROVINCE)
def reviews(request):
    """Submitted evidence of the caller's communes, oldest first, overdue ones marked.

    Reviewers see the communes they review; provincial officials see every district's
    queue (narrowed with ?district=) but only read it.
    """
    reviewer = has_role(request.user, *REVIEWER_ROLES)
    communes = (
        communes_reviewed_by(request.user) if reviewer else Commune.objects.visible_to(request.user)
    )
    queue = ReviewQueueFilter(
        request.GET,
        queryset=selectors.review_queue(user=request.user).filter(commune__in=communes),
        request=request,
        communes=communes,
    )
    overdue_before = selectors.overdue_before()
    counts = queue.qs.aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(submitted_at__lt=overdue_before))
    )
    page = Paginator(queue.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "communes/reviews.html",
        {
            "filter": queue,
            "page": page,
            "page_query": _query_without_page(request),
            "counts": counts,
            "overdue_before": overdue_before,
            "overdue_days": selectors.overdue_days(),
            "read_only": not reviewer,
            # Who sees more than one district's queue is told each row's district.
            "show_district": not reviewer
            or getattr(scope_of(request.user), "sees_everything", False),
            "deadline": selectors.year_deadline_state(year=timezone.localdate().year),
        },
    )


def _query_without_page(request) -> str:
    """The page's query string without ``page``: what pagination links keep (the filters)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Steering committees ------------------------------------------------------------------

_COMMITTEE_URLS = {
    "commune": {
        "page": "commune_committee",
        "edit": "commune_committee_edit",
        "member_add": "commune_member_add",
        "member_edit": "commune_member_edit",
        "member_delete": "commune_member_delete",
    },
    "district": {
        "page": "district_committee",
        "edit": "district_committee_edit",
        "member_add": "district_member_add",
        "member_edit": "district_member_edit",
        "member_delete": "district_member_delete",
    },
}


def _unit(request, level, code, *, edit=False):
    if level == "commune":
        getter = get_commune_for_editor if edit else get_commune_for_user
    else:
        getter = get_district_for_editor if edit else get_district_for_user
    return getter(request.user, code)


def _can_edit_committee(user, level) -> bool:
    return has_role(user, Role.COMMUNE if level == "commune" else Role.DISTRICT)


def _member_or_404(unit, pk) -> CommitteeMember:
    committee = selectors.current_committee(unit)
    if committee is None:
        raise Http404
    return get_object_or_404(CommitteeMember, pk=pk, committee=committee)


@require_GET
@login_required
def committee(request, code, level):
    """A unit's steering committee: decision, members, and a commune's model launch."""
    unit = _unit(request, level, code)
    return render(
        request,
        "communes/committee.html",
        {
            "unit": unit,
            "level": level,
            "committee": selectors.current_committee(unit),
            "can_edit": _can_edit_committee(request.user, level),
            "urls": _COMMITTEE_URLS[level],
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def committee_edit(request, code, level):
    """Set up the committee (or correct its decision); communes also set their launch date."""
    unit = _unit(request, level, code, edit=True)
    current = selectors.current_committee(unit)
    with_launch = level == "commune"
    initial = {"model_launched_on": unit.model_launched_on} if with_launch else {}
    form = CommitteeForm(
        request.POST or None, instance=current, initial=initial, with_launch=with_launch
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.committee_save(
            unit=unit,
            by=request.user,
            decision_number=data["decision_number"],
            established_on=data["established_on"],
            note=data["note"],
        )
        if with_launch:
            services.commune_launch_set(
                commune=unit, by=request.user, launched_on=data["model_launched_on"]
            )
        messages.success(request, _("Đã lưu thông tin Ban Chỉ đạo."))
        return redirect(_COMMITTEE_URLS[level]["page"], code=unit.code)
    return render(
        request,
        "communes/committee_form.html",
        {"unit": unit, "level": level, "form": form, "urls": _COMMITTEE_URLS[level]},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def member_edit(request, code, level, pk=None):
    """Add a member to the committee in force, or correct one."""
    unit = _unit(request, level, code, edit=True)
    current = selectors.current_committee(unit)
    if current is None:
        messages.info(request, _("Hãy nhập quyết định thành lập Ban Chỉ đạo trước."))
        return redirect(_COMMITTEE_URLS[level]["edit"], code=unit.code)
    member = _member_or_404(unit, pk) if pk else None
    if member is None:
        next_order = max([m.order for m in current.members.all()], default=0) + 1
        initial = {"order": next_order}
    else:
        initial = {}
    form = MemberForm(request.POST or None, instance=member, committee=current, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.committee_member_save(
            committee=current, by=request.user, member=member, **form.cleaned_data
        )
        messages.success(
            request, _("Đã lưu thành viên %(name)s.") % {"name": form.cleaned_data["full_name"]}
        )
        return redirect(_COMMITTEE_URLS[level]["page"], code=unit.code)
    return render(
        request,
        "communes/member_form.html",
        {
            "unit": unit,
            "level": level,
            "form": form,
            "member": member,
            "urls": _COMMITTEE_URLS[level],
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
@login_required
def member_delete(request, code, level, pk):
    unit = _unit(request, level, code, edit=True)
    member = _member_or_404(unit, pk)
    services.committee_member_delete(member=member, by=request.user)
    messages.success(request, _("Đã xóa %(name)s khỏi Ban Chỉ đạo.") % {"name": member.full_name})
    return redirect(_COMMITTEE_URLS[level]["page"], code=unit.code)


# --- Good practices and facility investment ------------------------------------------


@require_GET
@role_required(Role.PROVINCE, Role.DISTRICT, Role.COMMUNE)
def practices(request):
    """The registry of good practices and how far each has spread."""
    return render(
        request,
        "communes/practices.html",
        {
            "practices": list(commune_selectors.practice_list()),
            "communes_total": commune_selectors.communes_total(),
        },
    )


# --- Deadlines ----------------------------------------------------------------------------


def _deadline_year(request) -> int:
    years = selectors.checklist_years()
    year = year_param(request.GET.get("year") or request.POST.get("year"), default=0)
    return year if year in years else years[-1]


DEADLINE_PAGE = 100  # rows of the deadlines table a page
DEADLINE_NAMED = 30  # late or extended communes named in the summary cards


@require_GET
@role_required(*REVIEWER_ROLES, Role.PROVINCE)
def deadlines(request):
    """Which communes are late, which have an extension and until when, for a year: a
    page of rows at a time, narrowed by province, district, name or code, and state."""
    year = _deadline_year(request)
    communes = Commune.objects.visible_to(request.user).in_force_in(year)
    board = DeadlineFilter(request.GET, queryset=communes, request=request)
    deadlines = selectors.deadline_board(year=year, communes=board.qs)
    counts = deadlines.counts()
    state = board.form.cleaned_data.get("state") if board.is_valid() else None
    state = state if state in ("late", "extended") else "all"
    listed = {"late": deadlines.late, "extended": deadlines.extended}.get(state, deadlines.communes)
    # Counted and paged by the database: only the rows shown are read.
    paginator = Paginator(deadlines.listing(listed), DEADLINE_PAGE)
    paginator.count = counts[state]  # type: ignore[misc]  # counted above already
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = deadlines.rows_of(page.object_list)
    named = {
        which: deadlines.rows_of(deadlines.listing(communes)[:DEADLINE_NAMED])
        if counts[which]
        else []
        for which, communes in (("late", deadlines.late), ("extended", deadlines.extended))
    }
    return render(
        request,
        "communes/deadlines.html",
        {
            "year": year,
            "years": selectors.checklist_years(),
            "filter": board,
            "page": page,
            "page_query": _query_without_page(request),
            "late": named["late"],
            "extended": named["extended"],
            "counts": counts,
            "more": {
                "late": max(counts["late"] - DEADLINE_NAMED, 0),
                "extended": max(counts["extended"] - DEADLINE_NAMED, 0),
            },
            "deadline": deadlines.year_state,
            "can_extend": has_role(request.user, *REVIEWER_ROLES),
        },
    )


@require_POST
@login_required
def deadline_extend(request, code, year):
    """A reviewer lets one commune keep submitting a year's evidence until a date."""
    commune = get_commune_for_reviewer(request.user, code)
    year = _year_or_404(year)
    form = ExtensionForm(request.POST)
    # Back to the commune's row, wherever the table's pages put it.
    back = f"{reverse('deadlines')}?year={year}&q={commune.code}#c-{commune.code}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{commune.name}: {error}")
        return redirect(back)
    try:
        extension = services.deadline_extension_grant(
            commune=commune,
            year=year,
            until=form.cleaned_data["until"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"{commune.name}: {message}")
        return redirect(back)
    messages.success(
        request,
        _("Đã gia hạn cho %(commune)s đến %(date)s.")
        % {
            "commune": commune.name,
            "date": formats.date_format(extension.until, "SHORT_DATE_FORMAT"),
        },
    )
    return redirect(back)


# --- Notifications ------------------------------------------------------------------------


@require_GET
@login_required
def notification_list(request):
    """The caller's notifications, newest first (only their own: the query is by user)."""
    if scope_of(request.user) is None:
        raise PermissionDenied
    page = Paginator(
        Notification.objects.filter(user=request.user).select_related("commune"), 30
    ).get_page(request.GET.get("page"))
    return render(request, "communes/notifications.html", {"page": page})


@require_POST
@login_required
def notifications_read(request):
    """Mark one notification (``pk``) or all of the caller's notifications read, then go to
    the notification's page (or back to the list)."""
    pk = request.POST.get("pk")
    pk = ascii_int(pk, minimum=1, maximum=2**63 - 1)
    notifications.mark_read(user=request.user, pk=pk)
    if pk is not None:
        target = Notification.objects.filter(user=request.user, pk=pk).values_list("url", flat=True)
        url = target.first()
        if url and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
            return redirect(url)
    return redirect("notification_list")


@require_POST
def language_set(request):
    """Django's language switch; a signed-in user's mails follow the language chosen."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        notifications.mail_language_set(user=request.user, language=language)
    return response


@require_http_methods(["GET", "POST"])
@login_required
def notification_preferences(request):
    """Which notifications the caller also receives by e-mail."""
    preference = notifications.preference_for(request.user, language=request.LANGUAGE_CODE)
    form = NotificationPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Đã lưu lựa chọn nhận thư."))
        return redirect("notification_preferences")
    return render(
        request,
        "communes/notification_preferences.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )
