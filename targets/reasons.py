"""Reasons of a status in words, in the active language.

Statuses store their reasons as ``[{"code", "params"}]`` (see ``targets.rules``); this
module turns them into sentences for people: the API, the admin and the pages.
"""

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from targets import rules


def _number(value) -> str:
    """92.5 -> "92,5" in Vietnamese, "92.5" in English; 95 stays "95"; a share just under
    a threshold keeps its two decimals (84.99)."""
    if isinstance(value, float) and not value.is_integer():
        return number_format(value, decimal_pos=1 if round(value, 1) == value else 2)
    return number_format(int(value))


def _criterion(params, titles) -> str:
    code = params.get("criterion", "")
    title = titles.get(code) if titles else None
    return f"{code} ({title})" if title else code


def message(reason: dict, *, titles: dict[str, str] | None = None) -> str:
    """One reason in words. ``titles`` maps criterion codes to titles, to name them fully."""
    code = reason.get("code", "")
    params = reason.get("params") or {}
    if code == rules.NO_COMMITTEE:
        return gettext("Chưa thành lập Ban Chỉ đạo cấp xã (tính đến 31/12/%(year)s).") % params
    if code == rules.NOT_LAUNCHED:
        return (
            gettext("Chưa ra mắt mô hình chính quyền thân thiện (tính đến 31/12/%(year)s).")
            % params
        )
    if code == rules.EVIDENCE_MISSING:
        return gettext("Tiêu chí %(criterion)s: chưa gửi minh chứng.") % {
            "criterion": _criterion(params, titles)
        }
    if code == rules.EVIDENCE_AWAITING_REVIEW:
        return gettext("Tiêu chí %(criterion)s: minh chứng đang chờ duyệt.") % {
            "criterion": _criterion(params, titles)
        }
    if code == rules.EVIDENCE_REJECTED:
        return gettext("Tiêu chí %(criterion)s: minh chứng bị trả lại, cần bổ sung.") % {
            "criterion": _criterion(params, titles)
        }
    if code == rules.VALUE_MISSING:
        return gettext("Tiêu chí %(criterion)s: đã duyệt nhưng chưa có số liệu đo.") % {
            "criterion": _criterion(params, titles)
        }
    if code == rules.BELOW_THRESHOLD:
        return gettext("Tiêu chí %(criterion)s: đạt %(value)s, chưa đạt ngưỡng %(threshold)s.") % {
            "criterion": _criterion(params, titles),
            "value": _number(params.get("value", 0)),
            "threshold": _number(params.get("threshold", 0)),
        }
    if code == rules.TOO_FEW_RESPONSES:
        responses = params.get("responses", 0)
        return ngettext(
            "Mới có %(responses)s phiếu khảo sát trong năm; cần ít nhất %(minimum)s.",
            "Mới có %(responses)s phiếu khảo sát trong năm; cần ít nhất %(minimum)s.",
            responses,
        ) % {"responses": _number(responses), "minimum": _number(params.get("minimum", 0))}
    if code == rules.SATISFACTION_BELOW:
        return gettext("Tỷ lệ người dân hài lòng %(rate)s%%, thấp hơn ngưỡng %(threshold)s%%.") % {
            "rate": _number(params.get("rate", 0)),
            "threshold": _number(params.get("threshold", 0)),
        }
    if code == rules.SCORE_PENDING:
        return (
            gettext(
                "Điểm các tiêu chí chấm điểm mới đạt %(score)s/%(pass_score)s; "
                "còn tiêu chí chưa gửi hoặc chờ duyệt."
            )
            % params
        )
    if code == rules.SCORE_BELOW:
        return (
            gettext("Điểm các tiêu chí chấm điểm đạt %(score)s, thấp hơn điểm đạt %(pass_score)s.")
            % params
        )
    return code


def describe(reasons: list[dict], *, titles: dict[str, str] | None = None) -> list[dict]:
    """``[{"code", "message"}]``: the reasons with their words, in the same order."""
    return [{"code": r.get("code", ""), "message": message(r, titles=titles)} for r in reasons]


def criterion_codes(reasons: list[dict]) -> set[str]:
    """The criteria the reasons name (to look up their titles in one query)."""
    return {r["params"]["criterion"] for r in reasons if "criterion" in (r.get("params") or {})}
