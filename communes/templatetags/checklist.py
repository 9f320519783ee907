"""Template helpers of the checklist and review pages."""

from decimal import Decimal
from html import escape
from types import SimpleNamespace

from django import template
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from communes.models import CriterionKind
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


# --- The review queue ------------------------------------------------------------------------
# Its rows are written here, not by the template engine: a page of 50 is written twice (a
# table for wide screens, a list for phones), and through templates that was a third of
# the page's time (BENCHMARKS.md, issue 15). Every value written is escaped here
# (``escape``, as Django's own), so each row is marked safe whole.


class _Queue:
    """What the rows of a queue share, prepared once per list: the words, the formats,
    and each criterion's shortened title."""

    def __init__(self, overdue_before, *, read_only: bool, show_district: bool):
        self.overdue_before = overdue_before
        self.show_district = show_district
        if read_only:
            self.button = "btn-outline-secondary", escape(gettext("Xem"))
        else:
            self.button = "btn-primary", escape(gettext("Xem và duyệt"))
        self.overdue = escape(gettext("Quá hạn"))
        self.updated = escape(gettext("Cập nhật sau lần duyệt trước"))
        self.again = escape(gettext("Gửi lại sau khi bị trả lại"))
        self.date_format = formats.get_format("SHORT_DATE_FORMAT")
        self.datetime_format = formats.get_format("SHORT_DATETIME_FORMAT")
        self.titles: dict[tuple[int, int], str] = {}

    def title(self, criterion, length: int) -> str:
        key = (criterion.pk, length)
        title = self.titles.get(key)
        if title is None:
            title = self.titles[key] = escape(Truncator(criterion.title).chars(length))
        return title

    @staticmethod
    def when(moment, fmt: str) -> str:
        """``moment`` in local time, in the format ``fmt`` (one of the language's), escaped."""
        if moment is None:
            return ""
        return escape(dateformat.format(timezone.localtime(moment), fmt))

    def row(self, ev):
        """What a row shows of ``ev``, each text escaped."""
        commune, criterion = ev.commune, ev.criterion
        days = days_since(ev.submitted_at)
        district = commune.district.name if commune.district is not None else ""
        return SimpleNamespace(
            ev=ev,
            commune=escape(commune.name),
            district=escape(district) if self.show_district else "",
            criterion=criterion,
            code=escape(criterion.code),
            overdue=is_before(ev.submitted_at, self.overdue_before),
            days=escape(ngettext("%(n)s ngày", "%(n)s ngày", days) % {"n": formats.localize(days)}),
            person=escape(person(ev.submitted_by)),
            url=escape(reverse("evidence_detail", args=[commune.code, ev.year, criterion.code])),
        )


@register.simple_tag
def review_rows(queue, overdue_before, *, read_only, show_district) -> SafeString:
    """The queue's rows of the wide screens' table (``communes/reviews.html``)."""
    shared = _Queue(overdue_before, read_only=read_only, show_district=show_district)
    return mark_safe("\n".join(_review_row(shared, shared.row(ev)) for ev in queue))  # noqa: S308  # nosec B308 B703 (escaped above)


def _review_row(shared: _Queue, row) -> str:
    ev, criterion = row.ev, row.criterion
    district = (
        f'<div class="small text-body-secondary">{row.district}</div>' if row.district else ""
    )
    measured = ""
    if criterion.kind == CriterionKind.MEASURED and ev.value is not None:
        value = escape(f"{num(ev.value)}{criterion.unit}")
        measured = f' <span class="small">· <strong>{value}</strong></span>'
    again = ""
    if ev.approved_snapshot:
        again = f'<span class="badge text-bg-info">{shared.updated}</span>'
    elif ev.reviewed_at:
        again = f'<span class="badge text-bg-light border">{shared.again}</span>'
    overdue = ""
    if row.overdue:
        overdue = f'<div><span class="badge text-bg-danger">{shared.overdue}</span></div>'
    css, label = shared.button
    danger = ' class="table-danger"' if row.overdue else ""
    return (
        f"<tr{danger}>"
        f"<td><div>{row.commune}</div>{district}</td>"
        f'<td><span class="font-monospace small">{row.code}</span> {shared.title(criterion, 70)}'
        f"{measured}<div>{again}</div></td>"
        f"<td>{ev.year}</td>"
        f'<td class="small">{shared.when(ev.submitted_at, shared.datetime_format)}'
        f'<div class="text-body-secondary">{row.person}</div></td>'
        f'<td class="text-end text-nowrap">{row.days}{overdue}</td>'
        f'<td class="text-end">{int(ev.files_count)}</td>'
        f'<td class="text-end"><a class="btn btn-sm {css}" href="{row.url}">{label}</a></td>'
        "</tr>"
    )


@register.simple_tag
def review_items(queue, overdue_before, *, read_only, show_district) -> SafeString:
    """The queue's items of the phones' list (the review page's, the reviewer's work
    list's): one ``<li>`` each, for a ``list-group``."""
    shared = _Queue(overdue_before, read_only=read_only, show_district=show_district)
    return mark_safe("\n".join(_review_item(shared, shared.row(ev)) for ev in queue))  # noqa: S308  # nosec B308 B703 (escaped above)


def _review_item(shared: _Queue, row) -> str:
    ev = row.ev
    district = ""
    if row.district:
        district = f' <span class="small text-body-secondary fw-normal">· {row.district}</span>'
    files = ""
    if ev.files_count:
        count = ngettext("%(n)s tệp", "%(n)s tệp", ev.files_count)
        files = f" · {escape(count % {'n': formats.localize(ev.files_count)})}"
    overdue = f'<span class="badge text-bg-danger">{shared.overdue}</span>' if row.overdue else ""
    css, label = shared.button
    return (
        f'<li class="list-group-item px-2{" list-group-item-danger" if row.overdue else ""}">'
        '<div class="d-flex justify-content-between gap-2"><div class="min-w-0">'
        f'<div class="fw-semibold">{row.commune}{district}</div>'
        f'<div class="small text-break"><span class="font-monospace">{row.code}</span> '
        f"{shared.title(row.criterion, 80)} · {ev.year}</div>"
        '<div class="small text-body-secondary">'
        f"{shared.when(ev.submitted_at, shared.date_format)} · {row.person}{files}"
        "</div></div>"
        f'<div class="text-end flex-shrink-0"><div class="small text-nowrap">{row.days}</div>'
        f"{overdue}</div></div>"
        f'<a class="btn btn-sm {css} mt-1" href="{row.url}">{label}</a>'
        "</li>"
    )
