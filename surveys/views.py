import datetime
import secrets
import time
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communes.access import get_commune_for_user, has_role, require_unit_in_force, role_required
from communes.models import Commune, Role, scope_of
from communes.selectors import successor_in_force
from friendlygov.params import year_param
from surveys import conf, exports, selectors, services
from surveys.forms import ImportUploadForm, KioskForm, SurveyEntryForm
from surveys.importing import (
    REQUIRED_COLUMNS,
    ImportRefused,
    survey_file_check,
    survey_file_import,
)
from surveys.kiosk import offline_stamps, throttle_hit
from surveys.models import (
    KIOSK_CODE_ALPHABET,
    KIOSK_CODE_LENGTH,
    Channel,
    KioskLink,
    SurveyResponse,
)
from surveys.selectors import Period

# Who may do what with a commune's surveys (admins pass every check).
ENTRY_ROLES = (Role.COMMUNE,)
KIOSK_ROLES = (Role.COMMUNE, Role.DISTRICT)
IMPORT_ROLES = (Role.COMMUNE, Role.DISTRICT)


def _year_and_period(request, commune) -> tuple[int, str, list[int]]:
    years = selectors.response_years(commune=commune)
    this_year = selectors.today().year
    default = years[0] if years else this_year
    year = year_param(request.GET.get("year"), default=default, maximum=this_year + 1)
    period = request.GET.get("period", Period.MONTH)
    if period not in dict(Period.CHOICES):
        period = Period.MONTH
    choices = sorted(set(years) | {this_year, year}, reverse=True)
    return year, period, choices


@require_GET
@login_required
def commune_surveys(request, code):
    """The commune's survey hub: figures, trend, shares, recent entries, links to the rest."""
    commune = get_commune_for_user(request.user, code)
    in_force = commune.is_in_force(timezone.localdate())
    year, period, years = _year_and_period(request, commune)
    trend = selectors.commune_trend(commune=commune, year=year)
    rows = selectors.period_rows(commune=commune, year=year, period=period, months=trend.monthly)
    start, end = rows[0].start, rows[-1].end
    recent = list(selectors.recent_responses(commune=commune))
    for response in recent:
        response.can_delete = services.response_can_delete(response, user=request.user)
    return render(
        request,
        "surveys/commune_surveys.html",
        {
            "commune": commune,
            "year": year,
            "years": years,
            "period": period,
            "periods": Period.CHOICES,
            "rows": rows,
            "trend": trend,
            "shares": selectors.question_shares(commune=commune, start=start, end=end),
            "recent": recent,
            # Citizens' comments: the commune and its reviewers, never the public.
            "comments": (
                list(selectors.recent_comments(commune=commune, start=start, end=end))
                if has_role(request.user, *KIOSK_ROLES)
                else None
            ),
            "deletions": selectors.recent_deletions(commune=commune),
            "delete_within_days": conf.delete_within_days(),
            "can_enter": in_force and has_role(request.user, *ENTRY_ROLES),
            "can_kiosk": in_force and has_role(request.user, *KIOSK_ROLES),
            "can_import": has_role(request.user, *IMPORT_ROLES),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*ENTRY_ROLES)
def survey_entry(request, code):
    """Type in paper forms one after another; the date is kept from one to the next."""
    commune = get_commune_for_user(request.user, code)
    require_unit_in_force(commune)  # a dissolved unit's desk is its successor's
    questionnaire = selectors.active_questionnaire()
    if questionnaire is None:
        messages.error(request, _("Chưa có bộ câu hỏi đang dùng; hãy báo quản trị."))
        return redirect("commune_surveys", code=commune.code)
    if request.method == "POST":
        form = SurveyEntryForm(request.POST, questionnaire=questionnaire)
        if form.is_valid():
            response = services.survey_response_create(
                commune=commune,
                questionnaire=questionnaire,
                answered_on=form.cleaned_data["answered_on"],
                answers=form.answers(),
                channel=Channel.PAPER,
                by=request.user,
            )
            messages.success(
                request,
                _("Đã lưu phiếu ngày %(date)s (%(verdict)s). Mời nhập phiếu tiếp theo.")
                % {
                    "date": response.answered_on.strftime("%d/%m/%Y"),
                    "verdict": _("hài lòng") if response.satisfied else _("chưa hài lòng"),
                },
            )
            url = reverse("survey_entry", args=[commune.code])
            return redirect(f"{url}?date={response.answered_on.isoformat()}")
    else:
        initial = {}
        date = request.GET.get("date")
        if date:
            try:
                initial["answered_on"] = datetime.date.fromisoformat(date)
            except ValueError:
                pass  # a bad date in the address: start without one
        form = SurveyEntryForm(initial=initial, questionnaire=questionnaire)
    return render(
        request,
        "surveys/entry.html",
        {
            "commune": commune,
            "form": form,
            "questionnaire": questionnaire,
            "recent": selectors.recent_responses(commune=commune, limit=5),
            "entered_today": selectors.paper_entries_today(commune=commune, by=request.user),
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
@role_required(*ENTRY_ROLES)
def survey_response_delete(request, code, pk):
    commune = get_commune_for_user(request.user, code)
    require_unit_in_force(commune)  # a dissolved unit's desk is its successor's
    response = get_object_or_404(SurveyResponse, pk=pk, commune=commune)
    services.survey_response_delete(response=response, by=request.user)
    messages.success(
        request,
        _("Đã xóa phiếu ngày %s; việc xóa được ghi vào lịch sử.")
        % response.answered_on.strftime("%d/%m/%Y"),
    )
    return redirect("commune_surveys", code=commune.code)


@require_GET
@login_required
def survey_export(request, code, fmt):
    """The commune's figures of one year, by period and by question, as CSV or XLSX."""
    commune = get_commune_for_user(request.user, code)
    year, period, _years = _year_and_period(request, commune)
    rows = selectors.period_rows(commune=commune, year=year, period=period)
    shares = selectors.question_shares(commune=commune, start=rows[0].start, end=rows[-1].end)
    filename = f"khao-sat-{commune.code}-{year}-{period}"
    if fmt == "csv":
        style = request.GET.get("style", "local")
        if style not in exports.CSV_STYLES:
            style = "local"
        return exports.figures_csv(commune=commune, rows=rows, filename=filename, style=style)
    return exports.figures_xlsx(commune=commune, rows=rows, shares=shares, filename=filename)


# --- Kiosk link and poster ---------------------------------------------------------------


def _kiosk_url(request, link) -> str:
    return _public_url(request, reverse("survey_kiosk", args=[link.token]))


def _public_url(request, path) -> str:
    base = conf.public_base_url()
    return f"{base.rstrip('/')}{path}" if base else request.build_absolute_uri(path)


@require_GET
@role_required(*KIOSK_ROLES)
def survey_poster(request, code):
    """An A4 poster for the desk: the commune's name, the QR code of its kiosk, how to answer."""
    commune = get_commune_for_user(request.user, code)
    require_unit_in_force(commune)  # a dissolved unit's desk is its successor's
    link = services.kiosk_link_ensure(commune=commune)
    return render(
        request,
        "surveys/poster.html",
        {
            "commune": commune,
            "link": link,
            "kiosk_url": _kiosk_url(request, link),
            "code_url": _public_url(request, reverse("survey_kiosk_code")),
        },
    )


@require_POST
@role_required(*KIOSK_ROLES)
def kiosk_rotate(request, code):
    commune = get_commune_for_user(request.user, code)
    require_unit_in_force(commune)  # a dissolved unit's desk is its successor's
    services.kiosk_link_rotate(commune=commune, by=request.user)
    messages.success(
        request,
        _(
            "Đã đổi đường dẫn khảo sát; đường dẫn và mã QR cũ không còn dùng được. "
            "Hãy in lại áp phích."
        ),
    )
    return redirect("survey_poster", code=commune.code)


# --- The public kiosk --------------------------------------------------------------------


def _in_vietnamese(view):
    """The kiosk speaks Vietnamese whatever the phone's language: its questions are Vietnamese."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with translation.override("vi"):
            return view(request, *args, **kwargs)

    return wrapped


def _kiosk_link(token) -> KioskLink:
    return get_object_or_404(KioskLink.objects.select_related("commune"), token=token)


def _kiosk_commune(link) -> Commune | None:
    """The commune a kiosk link's answers are for today: its own, or, once it has been
    reorganized away, the unit in force that took over its desk (a printed poster keeps
    working)."""
    return successor_in_force(unit=link.commune, on=selectors.today())


@never_cache
@require_http_methods(["GET", "POST"])
@_in_vietnamese
def survey_kiosk(request, token):
    """The citizen's survey at the desk: no login, one answer per form, then the next person."""
    link = _kiosk_link(token)
    commune = _kiosk_commune(link)
    questionnaire = selectors.active_questionnaire()
    context = {"commune": commune or link.commune, "link": link}
    if questionnaire is None or commune is None:
        return render(request, "surveys/kiosk_closed.html", context, status=503)
    if request.method == "POST":
        if throttle_hit(request):
            return render(request, "surveys/kiosk_throttled.html", context, status=429)
        # An answer the kiosk kept while offline (static/js/kiosk_offline.js), sent now.
        queued = request.headers.get("X-Kiosk-Queued") == "1"
        form = KioskForm(request.POST, questionnaire=questionnaire, link=link, queued=queued)
        if form.is_bot:
            # Tell a bot nothing: it sees the thank-you page, and nothing is recorded.
            return redirect("survey_kiosk_thanks", token=link.token)
        if form.is_valid():
            services.survey_response_create(
                commune=commune,
                questionnaire=questionnaire,
                answered_on=selectors.today(),
                answers=form.answers(),
                channel=Channel.KIOSK,
                submission_token=form.cleaned_data["stamp"].token,
                comment=form.cleaned_data["comment"],
            )
            return redirect("survey_kiosk_thanks", token=link.token)
        form.renew_stamp()
    else:
        form = KioskForm(questionnaire=questionnaire, link=link)
    context["offline_stamps"] = offline_stamps(link=link)
    return render(
        request,
        "surveys/kiosk.html",
        {**context, "form": form},
        status=400 if form.is_bound else 200,
    )


@never_cache
@require_GET
@_in_vietnamese
def survey_kiosk_code(request):
    """/s/: where a citizen types the short code of the poster and reaches the kiosk."""
    raw = request.GET.get("code", "")
    code = "".join(raw.split()).upper()
    error = None
    if raw:
        link = None
        if len(code) == KIOSK_CODE_LENGTH and set(code) <= set(KIOSK_CODE_ALPHABET):
            link = KioskLink.objects.filter(code=code).only("token").first()
        if link is not None:
            return redirect("survey_kiosk", token=link.token)
        # A wrong guess counts against the same per-client limit as answers.
        if throttle_hit(request):
            return render(request, "surveys/kiosk_code.html", {"throttled": True}, status=429)
        error = _("Không có mã này. Xin xem lại mã in trên áp phích (6 chữ cái).")
    return render(
        request,
        "surveys/kiosk_code.html",
        {"code": raw[:20], "error": error, "length": KIOSK_CODE_LENGTH},
        status=404 if error else 200,
    )


SERVICE_WORKER = Path(settings.BASE_DIR) / "static" / "js" / "kiosk_sw.js"


@require_GET
def kiosk_service_worker(request):
    """The kiosk's service worker, served from /s/ so that it may control every kiosk page
    (a script under /static/ could only control /static/)."""
    response = HttpResponse(
        SERVICE_WORKER.read_text(encoding="utf-8"), content_type="text/javascript"
    )
    response["Service-Worker-Allowed"] = "/s/"
    response["Cache-Control"] = "no-cache"
    return response


@never_cache
@require_GET
@_in_vietnamese
def survey_kiosk_thanks(request, token):
    link = _kiosk_link(token)
    return render(
        request,
        "surveys/kiosk_thanks.html",
        {
            "commune": _kiosk_commune(link) or link.commune,
            "link": link,
            "return_url": reverse("survey_kiosk", args=[link.token]),
            "return_after": conf.kiosk_thanks_seconds(),
        },
    )


# --- Import ------------------------------------------------------------------------------

_SESSION_KEY = "survey_imports"


def _upload_dir() -> Path:
    """Where uploaded files wait between the preview and the confirmation: private."""
    folder = Path(settings.MEDIA_ROOT) / "survey-imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _forget_old_uploads(folder: Path, *, older_than_seconds=24 * 3600) -> None:
    limit = time.time() - older_than_seconds
    for path in folder.glob("*.upload"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _pending(request, upload_id) -> tuple[Path, str]:
    entry = request.session.get(_SESSION_KEY, {}).get(upload_id)
    path = _upload_dir() / f"{upload_id}.upload"
    if entry is None or not path.exists():
        raise Http404
    return path, entry["filename"]


@require_http_methods(["GET", "POST"])
@role_required(*IMPORT_ROLES)
def survey_import(request):
    """Upload a file: every row is checked and shown before anything is written."""
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            folder = _upload_dir()
            _forget_old_uploads(folder)
            upload = form.cleaned_data["file"]
            upload_id = secrets.token_urlsafe(18)
            path = folder / f"{upload_id}.upload"
            with open(path, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            report = None
            try:
                report = survey_file_check(path=path, filename=upload.name, by=request.user)
            finally:
                # A refused file is not kept, nor one whose check failed unexpectedly.
                if report is None or not report.ok:
                    path.unlink(missing_ok=True)
            if report.ok:
                pending = request.session.get(_SESSION_KEY, {})
                pending[upload_id] = {"filename": upload.name}
                request.session[_SESSION_KEY] = pending
            return render(
                request,
                "surveys/import_preview.html",
                {"report": report, "upload_id": upload_id if report.ok else None},
                status=200 if report.ok else 422,
            )
        return render(request, "surveys/import.html", _import_context(request, form), status=400)
    else:
        form = ImportUploadForm()
    return render(request, "surveys/import.html", _import_context(request, form))


def _import_context(request, form):
    questionnaire = selectors.active_questionnaire()
    scope = scope_of(request.user)
    scope_communes = None
    if not scope.sees_everything:  # say which communes the file may hold
        scope_communes = Commune.objects.visible_to(request.user).order_by("code")
    return {
        "form": form,
        "required_columns": REQUIRED_COLUMNS,
        "questions": questionnaire.questions.all() if questionnaire else [],
        "scope_communes": scope_communes,
        "max_mb": conf.import_max_bytes() // 1048576,
    }


@require_POST
@role_required(*IMPORT_ROLES)
def survey_import_confirm(request, upload_id):
    """Write the checked file: all rows or none."""
    path, filename = _pending(request, upload_id)
    replace = request.POST.get("repeats") == "replace"
    try:
        report = survey_file_import(path=path, filename=filename, by=request.user, replace=replace)
    except ImportRefused as refused:
        return render(
            request,
            "surveys/import_preview.html",
            {"report": refused.report, "upload_id": None},
            status=409,
        )
    finally:
        pending = request.session.get(_SESSION_KEY, {})
        pending.pop(upload_id, None)
        request.session[_SESSION_KEY] = pending
        path.unlink(missing_ok=True)
    messages.success(
        request,
        _("Đã nhập %(rows)s phiếu của %(communes)s xã từ tệp %(file)s.")
        % {
            "rows": number_format(report.written, force_grouping=True),
            "communes": number_format(len(report.per_commune), force_grouping=True),
            "file": filename,
        },
    )
    if report.replaced:
        messages.info(
            request,
            _("Đã thay %(n)s phiếu của lần nhập trước bằng các phiếu của tệp này.")
            % {"n": number_format(report.replaced, force_grouping=True)},
        )
    elif report.already_in:
        messages.info(
            request,
            _("Bỏ qua %(n)s phiếu đã có từ lần nhập trước, để không tính trùng.")
            % {"n": number_format(report.already_in, force_grouping=True)},
        )
    communes = report.commune_rows()
    if len(communes) == 1:
        return redirect("commune_surveys", code=communes[0][0])
    return redirect("survey_import")


@require_GET
@role_required(*IMPORT_ROLES)
def survey_import_template(request, fmt):
    questionnaire = selectors.active_questionnaire()
    codes = [q.code for q in questionnaire.questions.all()] if questionnaire else []
    return exports.import_template(fmt=fmt, question_codes=codes)
