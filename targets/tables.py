"""The dashboards' tables, described once for the page (headers, cells, sorting) and for
the Excel export, so that both always show the same columns under the same labels.

A table is a list of rows (any objects) and a list of columns; a column knows its label,
how to read its value from a row, what kind of value it is (which decides how the page
formats it and which number format the workbook gives it) and whether it sorts.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communes.text import fold
from targets.decisions import recognition_text
from targets.models import Status
from targets.selectors import COMMUNE_SQL_ORDER, percent_of

TEXT = "text"
LINK = "link"
INT = "int"
PERCENT = "percent"  # a number 0-100 (Decimal or None)
VND = "vnd"
STATUS = "status"  # a Status value or None (never computed)
REASONS = "reasons"  # a list of sentences
RATIO = "ratio"  # (part, whole): "7/12" on the page; the workbook has separate columns
DATE = "date"
BOOL = "bool"

NUMERIC = {INT, PERCENT, VND}
# The kinds written right-aligned: the numbers and the ratios.
RIGHT_ALIGNED = frozenset({*NUMERIC, RATIO})

KIND_LABELS = {"xã": _("Xã"), "phường": _("Phường"), "thị trấn": _("Thị trấn")}


def kind_label(kind: str) -> str:
    """A commune's kind ("xã", "phường", "thị trấn") in the interface language."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind.capitalize()


@cache
def _engine_message():
    """The certification engine's renderer of one reason, ``targets.reasons.message``
    (``message(reason, *, titles)``), if the engine is installed; None otherwise."""
    try:
        from targets.reasons import message
    except ImportError:
        return None
    return message


def reason_text(reason, titles: dict | None = None) -> str:
    """One status reason ({"code", "params"}) in words, in the interface language;
    ``titles`` ({criterion code: title}) lets it name criteria in full.

    The certification engine renders its own reasons (``targets.reasons.message``); this
    adapter uses it when it is there and otherwise names the code and its figures.
    """
    message = _engine_message()
    if message is not None:
        return str(message(reason, titles=titles))
    # Until then: the reason's code and its figures, as the engine stored them.
    if not isinstance(reason, dict):
        return str(reason)
    params = reason.get("params") or {}
    details = ", ".join(f"{key}: {value}" for key, value in sorted(params.items()))
    code = str(reason.get("code", "?"))
    return f"{code} ({details})" if details else code


def status_label(status) -> str:
    if not status:
        return gettext("Chưa tính")
    try:
        return str(Status(status).label)
    except ValueError:
        return str(status)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy translation
    value: Callable[[Any], Any]
    kind: str = TEXT
    url: Callable[[Any], str | None] | None = None
    sortable: bool = True
    html: bool = True  # shown on the page
    xlsx: bool = True  # written to the workbook
    # What an empty cell reads as ("chưa báo cáo" where a figure was never entered), in
    # place of a dash; written as text to the workbook too.
    missing: Any = None

    @property
    def numeric(self) -> bool:
        return self.kind in RIGHT_ALIGNED


# Not frozen: a national table makes ~1,500 of them per render, and a frozen dataclass
# sets each field through object.__setattr__ (three times the cost).
@dataclass(slots=True)
class Cell:
    kind: str
    value: Any
    url: str | None = None
    missing: Any = None

    @property
    def label(self) -> str:
        """What a status cell reads as."""
        return status_label(self.value)


@dataclass(frozen=True)
class Header:
    column: Column
    sort_value: str | None  # the ?sort= value the header links to (None: not sortable)
    aria_sort: str | None  # "ascending"/"descending" on the column the table is sorted by


def _sort_key(value):
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, tuple):  # a ratio sorts by its share
        part, whole = value
        return part / whole if whole else -1
    if isinstance(value, list):
        return len(value)
    return value


@dataclass
class Table:
    """Rows and columns, optionally sorted by a ``?sort=key`` / ``?sort=-key`` parameter."""

    name: str  # an identifier: the HTML id and the workbook's sheet name
    title: Any
    columns: list[Column]
    rows: list
    footer: Any = None  # a totals row read by the same columns, shown last and bold
    sort: str | None = None  # the active sort ("key" or "-key"); None: unsortable table
    note: Any = ""
    # The rows come in the order ``sort`` names (sorted and paged in SQL): not re-sorted.
    presorted: bool = False

    def __post_init__(self):
        if self.sort is not None:
            self.sort = self._valid_sort(self.sort)
            if not self.presorted:
                self.rows = self._sorted(self.rows)

    @property
    def sortable(self) -> bool:
        return self.sort is not None

    def _valid_sort(self, raw: str) -> str:
        key = raw.lstrip("-")
        if any(c.key == key and c.sortable for c in self.columns):
            return raw if raw.count("-") <= 1 else key
        return ""

    def _sorted(self, rows):
        key = self.sort.lstrip("-")
        if not key:
            return list(rows)
        column = next(c for c in self.columns if c.key == key)
        present = [r for r in rows if column.value(r) is not None]
        missing = [r for r in rows if column.value(r) is None]
        present.sort(key=lambda r: _sort_key(column.value(r)), reverse=self.sort.startswith("-"))
        return present + missing  # rows without a value go last, whatever the direction

    @property
    def html_columns(self) -> list[Column]:
        return [c for c in self.columns if c.html]

    @property
    def xlsx_columns(self) -> list[Column]:
        return [c for c in self.columns if c.xlsx]

    @property
    def headers(self) -> list[Header]:
        headers = []
        for column in self.html_columns:
            if not self.sortable or not column.sortable:
                headers.append(Header(column, None, None))
                continue
            if self.sort == column.key:
                headers.append(Header(column, f"-{column.key}", "ascending"))
            elif self.sort == f"-{column.key}":
                headers.append(Header(column, column.key, "descending"))
            else:
                headers.append(Header(column, column.key, None))
        return headers

    def cells_of(self, row, columns, *, links=True) -> list[Cell]:
        return [
            Cell(
                c.kind,
                c.value(row),
                c.url(row) if (links and c.url is not None) else None,
                c.missing,
            )
            for c in columns
        ]

    @property
    def body(self) -> list[list[Cell]]:
        return [self.cells_of(row, self.html_columns) for row in self.rows]

    @property
    def footer_cells(self) -> list[Cell] | None:
        if self.footer is None:
            return None
        return self.cells_of(self.footer, self.html_columns, links=False)

    @property
    def footer_rows(self) -> list[list[Cell]]:
        cells = self.footer_cells
        return [cells] if cells else []


@dataclass
class Totals:
    """The totals row of a table of districts: reads like a district row."""

    name: Any
    figures: Any
    adoptions: dict = field(default_factory=dict)
    district: Any = None
    code: str = ""


# --- The tables of the dashboards -----------------------------------------------------


def _district_url(row):
    return reverse("district_detail", args=[row.district.code]) if row.district else None


def _commune_url(commune):
    return reverse("commune_detail", args=[commune.code])


def province_url(province, year: int) -> str:
    """The drill-down into a province of the national dashboard, for ``year``: a code is
    reused (24 was Tỉnh Bắc Giang until 30/6/2025 and is Tỉnh Bắc Ninh since), so the
    year says which province it means."""
    return f"{reverse('province_detail', args=[province.code])}?year={year}"


def _unit_column(dashboard) -> Column:
    """The first column of a table of a dashboard's rows: the districts (or the groups of
    a year without districts) of a province, or the provinces of the country."""
    if dashboard is not None and dashboard.grouped_by == "province":
        # One reverse() per table, not per row: the pattern's only argument is the code.
        marker = "__code__"
        pattern = province_url(SimpleNamespace(code=marker), dashboard.year)

        def url(row):
            province = getattr(row, "province", None)
            return pattern.replace(marker, province.code) if province is not None else None

        return Column("name", _("Tỉnh, thành phố"), lambda r: r.name, LINK, url)
    return Column("name", _("Huyện, thị xã, thành phố"), lambda r: r.name, LINK, _district_url)


def _totals_label(dashboard, totals_label):
    if totals_label:
        return totals_label
    if dashboard.grouped_by == "province":
        return _("Toàn quốc")
    return _("Toàn tỉnh")


def _district_columns(dashboard=None) -> list[Column]:
    return [
        Column("code", _("Mã"), lambda r: r.code),
        _unit_column(dashboard),
        Column("communes", _("Số xã"), lambda r: r.figures.total, INT),
        Column("committees", _("Đã thành lập BCĐ"), lambda r: r.figures.committees, INT),
        Column("launched", _("Đã ra mắt mô hình"), lambda r: r.figures.launched, INT),
        Column("certified", _("Đạt chuẩn"), lambda r: r.figures.certified, INT),
        Column("recognized", _("Đã có QĐ công nhận"), lambda r: r.figures.progress.recognized, INT),
        Column("percent", _("Tỷ lệ đạt"), lambda r: r.figures.progress.percent, PERCENT),
        Column("target", _("Chỉ tiêu"), lambda r: r.figures.progress.target_percent, PERCENT),
        Column("gap", _("Còn thiếu (xã)"), lambda r: r.figures.progress.gap, INT),
        Column("satisfaction", _("Hài lòng"), lambda r: r.figures.satisfaction_rate, PERCENT),
        Column("awaiting", _("Minh chứng chờ duyệt"), lambda r: r.figures.evidence_awaiting, INT),
    ]


def district_sort(raw: str | None) -> str:
    """The order the district table takes for a ``?sort=`` value (an unknown column falls
    back to the district code order): what a cached rendering of the table is keyed by."""
    table = Table(name="districts", title="", columns=_district_columns(), rows=[], sort=raw)
    return table.sort or "code"


def district_table(dashboard, *, sort: str = "code", totals_label=None) -> Table:
    """The province dashboard's table: one row per district, the province's totals last
    (the national dashboard's: one row per province, the country's totals last)."""
    national = dashboard.grouped_by == "province"
    return Table(
        name="districts",
        title=_("Tiến độ theo tỉnh") if national else _("Tiến độ theo huyện"),
        sort=sort or "code",
        rows=dashboard.districts,
        footer=Totals(_totals_label(dashboard, totals_label), dashboard.overall),
        columns=_district_columns(dashboard),
    )


def investment_table(dashboard, *, totals_label=None) -> Table:
    """Facility investment of the year, summed per district."""

    def url(row):
        if row.district is None:
            return None
        return reverse("district_investment", args=[row.district.code])

    unit = _unit_column(dashboard)
    if dashboard.grouped_by != "province":
        unit = Column("name", unit.label, unit.value, LINK, url)
    return Table(
        name="investment",
        title=_("Kinh phí đầu tư cơ sở vật chất"),
        rows=dashboard.districts,
        footer=Totals(_totals_label(dashboard, totals_label), dashboard.overall),
        columns=[
            unit,
            Column(
                "planned",
                _("Kế hoạch (đồng)"),
                lambda r: _reported(r, "planned_vnd"),
                VND,
                missing=NOT_REPORTED,
            ),
            Column(
                "spent",
                _("Đã chi (đồng)"),
                lambda r: _reported(r, "spent_vnd"),
                VND,
                missing=NOT_REPORTED,
            ),
            Column(
                "spent_rate",
                _("Tỷ lệ giải ngân"),
                lambda r: _reported(r, "spent_rate"),
                PERCENT,
                missing=NOT_REPORTED,
            ),
        ],
    )


NOT_REPORTED = _("chưa báo cáo")


def _reported(row, name):
    """A money figure of a district (or the totals), None when no row was ever entered:
    "not reported" is not "nothing spent"."""
    figures = row.figures
    return getattr(figures, name) if figures.investment_rows else None


def _adopted(pk: int) -> Callable[[Any], int]:
    """A row's communes that adopted the practice ``pk`` (a column's value)."""
    return lambda r: r.adoptions.get(pk, 0)


def _adopted_rate(pk: int) -> Callable[[Any], Decimal | None]:
    """Their share of the row's communes, in percent (a column's value)."""
    return lambda r: percent_of(r.adoptions.get(pk, 0), r.figures.total)


def practice_spread_table(dashboard, *, totals_label=None) -> Table:
    """How far each good practice has spread: communes that adopted it, per district."""
    columns = [
        _unit_column(dashboard),
        Column("communes", _("Số xã"), lambda r: r.figures.total, INT),
    ]
    for practice in dashboard.practices:
        columns.append(
            Column(
                f"p{practice.pk}",
                practice.name,
                _adopted(practice.pk),
                INT,
            )
        )
        columns.append(
            Column(
                f"p{practice.pk}_rate",
                _("%(name)s (tỷ lệ)") % {"name": practice.name},
                _adopted_rate(practice.pk),
                PERCENT,
            )
        )
    totals = {p.pk: p.adopters for p in dashboard.practices}
    return Table(
        name="practices",
        title=_("Nhân rộng cách làm hay"),
        rows=dashboard.districts,
        footer=Totals(_totals_label(dashboard, totals_label), dashboard.overall, totals),
        columns=columns,
    )


def closest_table(statuses, *, titles: dict | None = None) -> Table:
    """Communes one item away from certification, and the item."""
    return Table(
        name="closest",
        title=_("Sắp đạt chuẩn: chỉ còn thiếu một nội dung"),
        rows=statuses,
        columns=[
            Column(
                "commune",
                _("Xã, phường, thị trấn"),
                lambda s: s.commune.name,
                LINK,
                lambda s: _commune_url(s.commune),
            ),
            Column("district", _("Huyện"), lambda s: s.commune.district.name),
            Column("status", _("Trạng thái"), lambda s: s.status, STATUS),
            Column(
                "missing",
                _("Còn thiếu"),
                lambda s: [reason_text(r, titles) for r in s.reasons],
                REASONS,
            ),
        ],
    )


def commune_table(
    rows,
    *,
    sort: str = "name",
    titles: dict | None = None,
    with_district: bool = False,
    sorted_in_sql: bool = False,
) -> Table:
    """A district dashboard's communes with their status and figures of the year
    (``with_district``: the province's list, with each commune's district).

    ``sorted_in_sql``: ``rows`` are already in the order of ``sort``
    (``selectors.commune_rows_sorted``, one page of a national list): only the columns
    SQL can sort by are sortable, and the rows are not sorted again."""

    def rate(c):
        return percent_of(c.year_satisfied or 0, c.year_responses or 0)

    district = (
        # Communes formed from 1/7/2025 have no district.
        [
            Column(
                "district",
                _("Huyện"),
                lambda c: c.district.name if c.district else "",
                LINK,
                _district_url,
            )
        ]
        if with_district
        else []
    )
    columns = [
        Column("code", _("Mã"), lambda c: c.code),
        Column("name", _("Xã, phường, thị trấn"), lambda c: c.name, LINK, _commune_url),
        *district,
        Column("kind", _("Loại"), lambda c: kind_label(c.kind)),
        Column("status", _("Trạng thái"), lambda c: c.year_status, STATUS),
        Column(
            "recognition",
            _("Công nhận"),
            lambda c: recognition_text(
                c.year_status,
                getattr(c, "recognition", None),
                getattr(c, "withdrawal", None),
            ),
        ),
        Column(
            "missing",
            _("Còn thiếu"),
            lambda c: [reason_text(r, titles) for r in (c.year_reasons or [])],
            REASONS,
        ),
        Column("satisfaction", _("Hài lòng"), rate, PERCENT),
        Column("responses", _("Số phiếu khảo sát"), lambda c: c.year_responses, INT),
        Column(
            "evidence",
            _("Minh chứng đã duyệt"),
            lambda c: (c.year_approved or 0, c.year_required or 0),
            RATIO,
            xlsx=False,
        ),
        Column(
            "evidence_approved",
            _("Minh chứng đã duyệt"),
            lambda c: c.year_approved,
            INT,
            html=False,
        ),
        Column(
            "evidence_required",
            _("Minh chứng cần có"),
            lambda c: c.year_required,
            INT,
            html=False,
        ),
        Column("awaiting", _("Chờ duyệt"), lambda c: c.evidence_awaiting, INT),
        Column("committee", _("BCĐ"), lambda c: c.has_committee, BOOL),
        Column("launched", _("Ngày ra mắt"), lambda c: c.model_launched_on, DATE),
        Column("practices", _("Cách làm hay"), lambda c: c.adoption_count, INT),
    ]
    if sorted_in_sql:
        columns = [c if c.key in COMMUNE_SQL_ORDER else replace(c, sortable=False) for c in columns]
    return Table(
        name="communes",
        title=_("Các xã, phường, thị trấn"),
        sort=sort or "name",
        rows=rows,
        columns=columns,
        presorted=sorted_in_sql,
    )


def public_district_table(figures) -> Table:
    """The public page's table: each district's progress and citizens' satisfaction."""
    return Table(
        name="public-districts",
        title=_("Tiến độ và sự hài lòng theo huyện"),
        rows=figures.districts,
        footer=Totals(_("Toàn tỉnh"), figures.overall),
        columns=[
            Column("name", _("Huyện, thị xã, thành phố"), lambda r: r.name),
            *_public_progress_columns(),
            Column("responses", _("Số phiếu khảo sát"), lambda r: r.figures.survey_responses, INT),
        ],
    )


def _public_progress_columns() -> list[Column]:
    """The public tables' figures of a unit: progress against the target, satisfaction."""
    return [
        Column("communes", _("Số xã"), lambda r: r.figures.total, INT),
        Column("certified", _("Đạt chuẩn"), lambda r: r.figures.certified, INT),
        Column("recognized", _("Đã có QĐ công nhận"), lambda r: r.figures.progress.recognized, INT),
        Column("percent", _("Tỷ lệ đạt"), lambda r: r.figures.progress.percent, PERCENT),
        Column("target", _("Chỉ tiêu"), lambda r: r.figures.progress.target_percent, PERCENT),
        Column("satisfaction", _("Tỷ lệ hài lòng"), lambda r: r.figures.satisfaction_rate, PERCENT),
    ]


def public_url(province, year: int) -> str:
    """One province's public page for ``year`` (a code is reused across years, as on the
    dashboard's drill-down)."""
    return f"{reverse('public_progress')}?year={year}&province={province.code}"


def public_province_table(dashboard) -> Table:
    """The national public page's table: each province's progress against the year's
    target and its citizens' satisfaction, each row opening the province's public page."""
    marker = "__code__"
    pattern = public_url(SimpleNamespace(code=marker), dashboard.year)
    return Table(
        name="public-provinces",
        title=_("Tiến độ và sự hài lòng theo tỉnh, thành phố"),
        rows=dashboard.districts,
        footer=Totals(_("Toàn quốc"), dashboard.overall),
        columns=[
            Column(
                "name",
                _("Tỉnh, thành phố"),
                lambda r: r.name,
                LINK,
                lambda r: pattern.replace(marker, r.code),
            ),
            *_public_progress_columns(),
        ],
    )


def practice_district_table(practice, districts, *, by_province: bool = False) -> Table:
    """One good practice's spread: per district (``by_province``: per province, the
    country's totals last), how many communes adopted it."""
    total = sum(d.communes_total for d in districts)
    adopters = sum(d.adopters for d in districts)
    return Table(
        name="spread",
        title=_("Mức độ nhân rộng theo tỉnh") if by_province else _("Mức độ nhân rộng theo huyện"),
        rows=districts,
        footer=Totals(
            _("Toàn quốc") if by_province else _("Toàn tỉnh"),
            {"communes_total": total, "adopters": adopters},
        ),
        columns=[
            Column(
                "name",
                _("Tỉnh, thành phố") if by_province else _("Huyện, thị xã, thành phố"),
                lambda d: d.name,
            ),
            Column("communes", _("Số xã"), lambda d: _get(d, "communes_total"), INT),
            Column("adopters", _("Đã áp dụng"), lambda d: _get(d, "adopters"), INT),
            Column(
                "share",
                _("Tỷ lệ"),
                lambda d: percent_of(_get(d, "adopters"), _get(d, "communes_total")),
                PERCENT,
            ),
        ],
    )


def _get(row, name):
    """A figure of a district row, or of a totals row (whose figures are a dict)."""
    if isinstance(row, Totals):
        return row.figures[name]
    return getattr(row, name)


def investment_rows_table(rows) -> Table:
    """A district's facility investment rows (its own and its communes'), with the total."""

    def unit(row):
        if isinstance(row, Totals):
            return row.name
        return row.commune.name if row.commune_id else gettext("Cấp huyện")

    def url(row):
        if isinstance(row, Totals) or not row.commune_id:
            return None
        return _commune_url(row.commune)

    planned = sum(r.planned_vnd for r in rows)
    spent = sum(r.spent_vnd for r in rows)
    return Table(
        name="investment-rows",
        title=_("Kinh phí đầu tư cơ sở vật chất"),
        rows=rows,
        footer=Totals(_("Tổng cộng"), {"planned": planned, "spent": spent}),
        columns=[
            Column("year", _("Năm"), lambda r: None if isinstance(r, Totals) else str(r.year)),
            Column("unit", _("Đơn vị"), unit, LINK, url),
            Column("planned", _("Kế hoạch (đồng)"), lambda r: _money(r, "planned"), VND),
            Column("spent", _("Đã chi (đồng)"), lambda r: _money(r, "spent"), VND),
            Column(
                "rate",
                _("Tỷ lệ giải ngân"),
                lambda r: percent_of(_money(r, "spent"), _money(r, "planned")),
                PERCENT,
            ),
            Column("note", _("Ghi chú"), lambda r: "" if isinstance(r, Totals) else r.note),
        ],
    )


def _money(row, name):
    if isinstance(row, Totals):
        return row.figures[name]
    return getattr(row, f"{name}_vnd")


def share_table(shares) -> Table:
    """The figures of the "certified share by year" chart."""
    return Table(
        name="shares",
        title=_("Tỷ lệ xã đạt chuẩn qua các năm"),
        rows=shares,
        columns=[
            Column("year", _("Năm"), lambda s: str(s.year)),
            Column("communes", _("Số xã"), lambda s: s.total, INT),
            Column("certified", _("Đạt chuẩn"), lambda s: s.certified, INT),
            Column("percent", _("Tỷ lệ đạt"), lambda s: s.percent, PERCENT),
            Column("target", _("Chỉ tiêu"), lambda s: s.target_percent, PERCENT),
        ],
    )
