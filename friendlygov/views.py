from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import csrf, defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database error means "not healthy"
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


# --- Error pages: in the user's language, JSON on the API -------------------------------


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _json_error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse(
        {"error": message, **extra}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _bad_request_message(reason) -> str:
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
    from django.http.multipartparser import MultiPartParserError

    if reason == "invalid_character":
        return _("Địa chỉ hoặc biểu mẫu có ký tự không hợp lệ (ký tự NUL); hãy gõ lại.")
    if isinstance(reason, RequestDataTooBig):
        return _(
            "Nội dung gửi lên quá lớn: chữ trong một biểu mẫu tối đa %(mb)s MB. "
            "Hãy rút gọn ghi chú rồi gửi lại."
        ) % {"mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1048576}
    if isinstance(reason, TooManyFieldsSent):
        return _("Biểu mẫu có quá nhiều trường (tối đa %(n)s).") % {
            "n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    if isinstance(reason, TooManyFilesSent):
        return _("Quá nhiều tệp trong một lần gửi (tối đa %(n)s).") % {
            "n": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    if isinstance(reason, MultiPartParserError):
        return _(
            "Không đọc được biểu mẫu gửi lên; thường do tên tệp quá dài. "
            "Hãy đổi tên tệp cho ngắn (dưới 200 ký tự) rồi gửi lại."
        )
    return _("Yêu cầu không hợp lệ.")


def bad_request_response(request, *, reason=None, status=400):
    """A 400 that says what was wrong: a page (whose script restores what the user typed
    on the previous page) or, on the API, JSON."""
    message = _bad_request_message(reason)
    if _is_api(request):
        return _json_error(status, message)
    return render(request, "400.html", {"message": message}, status=status)


def bad_request(request, exception=None):
    """handler400: Django's refusals (body too big, too many fields, a multipart part
    whose headers are too long) with a clear message."""
    return bad_request_response(request, reason=exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return _json_error(403, _("Bạn không có quyền xem dữ liệu này."))
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if _is_api(request):
        return _json_error(404, _("Không tìm thấy."))
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return _json_error(500, _("Lỗi máy chủ; hãy thử lại sau."))
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """A refused form post: a page in the user's language, or JSON on the API."""
    if _is_api(request):
        return _json_error(
            403,
            _("Thiếu hoặc sai mã CSRF: gửi kèm cookie csrftoken và tiêu đề X-CSRFToken."),
            reason=reason,
        )
    return csrf.csrf_failure(request, reason)
