"""Template helpers of the checklist and review pages."""

from decimal import Decimal

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from communes.text import person_name, plain_number

register = template.Library()

# state -> (label, Bootstrap badge classes)
STATES = {
    "missing": (_("Chưa nhập"), "text-bg-light border"),
    "draft": (_("Nháp, chưa gửi"), "text-bg-secondary"),
    "submitted": (_("Chờ huyện duyệt"), "text-bg-warning"),
    "approved": (_("Đã duyệt"), "text-bg-success"),
    "rejected": (_("Bị trả lại"), "text-bg-danger"),
    "survey_met": (_("Đạt"), "text-bg-success"),
    "survey_too_few": (_("Chưa đủ phiếu"), "text-bg-warning"),
    "survey_below": (_("Dưới ngưỡng"), "text-bg-danger"),
}

AWAITING = {
    "commune": (_("Chờ xã hoàn thiện"), "text-body-secondary"),
    "district": (_("Chờ huyện duyệt"), "text-warning-emphasis"),
}


# Where there is no district (from 1/7/2025) the province's reviewers review.
SUBMITTED_TO_PROVINCE = _("Chờ tỉnh duyệt")


@register.inclusion_tag("communes/_state_badge.html")
def state_badge(state, commune=None):
    """The state's badge; ``commune`` names who reviews a submitted item (its district,
    or the province where it has none)."""
    label, css = STATES.get(state, (state, "text-bg-light"))
    if state == "submitted" and commune is not None and commune.district_id is None:
        label = SUBMITTED_TO_PROVINCE
    return {"label": label, "css": css}


@register.simple_tag
def awaiting_label(awaiting):
    return AWAITING.get(awaiting, ("", ""))[0]


@register.filter
def days_since(moment) -> int:
    """Whole days from ``moment`` until now (0 on the same day)."""
    if not moment:
        return 0
    return max((timezone.now() - moment).days, 0)


@register.filter
def file_icon(content_type: str) -> str:
    """A short label of a document's kind, for files without a thumbnail."""
    if content_type == "application/pdf":
        return "PDF"
    if "word" in content_type or content_type == "application/msword":
        return "DOC"
    if "sheet" in content_type or "excel" in content_type:
        return "XLS"
    if "presentation" in content_type or "powerpoint" in content_type:
        return "PPT"
    return "FILE"


@register.filter
def transition_label(transition) -> str:
    """A state change in words, as the history lists it: "Đã gửi duyệt", "Đã trả lại"..."""
    to_state, from_state = transition.to_state, transition.from_state
    if to_state == "draft":
        if not from_state:
            return _("Đã tạo bản nháp")  # type: ignore[return-value]
        if from_state == "approved":
            return _("Đã mở lại để cập nhật")  # type: ignore[return-value]
        return _("Đã sửa lại sau khi bị trả lại")  # type: ignore[return-value]
    return {
        "submitted": _("Đã gửi duyệt"),
        "approved": _("Đã duyệt"),
        "rejected": _("Đã trả lại"),
    }.get(to_state, to_state)


@register.filter
def person(user) -> str:
    if user is None:
        return _("(tài khoản đã xóa)")  # type: ignore[return-value]
    return person_name(user)


@register.filter
def num(value) -> str:
    """A figure as people write it: 96,9 and 95 rather than 96,90 and 95,00."""
    if value is None or value == "":
        return ""
    return formats.number_format(plain_number(Decimal(value)), use_l10n=True)


@register.filter
def is_before(moment, other) -> bool:
    return bool(moment and other and moment < other)


@register.filter
def notification_text(notification) -> str:
    """A notification's message in the interface language."""
    from communes.notifications import message

    return message(notification)


@register.filter
def inline_viewable(content_type: str) -> bool:
    """Whether the evidence viewer offers to show a file (its view checks the bytes)."""
    from communes.uploads import INLINE_TYPES

    return content_type in INLINE_TYPES


@register.filter
def viewable_files(files):
    """The files the review page shows inline: photos and PDFs."""
    return [f for f in files if inline_viewable(f.content_type)]
