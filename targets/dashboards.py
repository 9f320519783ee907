"""The province dashboard and the national one: their figures, their tables and the parts
of the page that show them, rendered once per computation into the cache.

Who sees which: a provincial official sees their province (its districts, or in a year
without districts its communes grouped by where they were before 1/7/2025); an
administrator sees the whole country, one row per province, each opening the same
province view (``/provinces/<code>/?year=Y``). The parts of the page that hold figures
(``PARTS``) are rendered together and cached as one entry of plain HTML under a key
holding the scope, the year, the last computation of that scope, the table's order and
the language, stored with the generation it was rendered under and read with the
current generation in one round trip (``targets.caching.current``).

No user pays for the first rendering after a recompute: the recompute run calls
``prerender`` for each year it wrote, before it reports the run done, and that renders
the national view and every province's view of the year, in every language, into the
cache the web processes read (the shared Redis cache in production; with the
per-process default, only the process that ran the recompute has them: the in-process
tasks of ``make run``). Nothing here imports the tasks or the outbox, so that the
services may call it.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from django.conf import settings
from django.db.models import F
from django.http import HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe

from communes.models import Commune, District, Province, province_and_merged, reference_date
from friendlygov import ahead
from targets import caching, selectors, tables
from targets.models import ComputedProvince

logger = logging.getLogger(__name__)

# The province dashboard lists every commune one item away from certification (None: no
# limit; the list scrolls within its card). The national page shows the first ones and
# says how many there are; its workbook has them all.
PROVINCE_CLOSEST = None
NATIONAL_CLOSEST = 20

# The parts of the page that show figures, each rendered by its own template.
PARTS = {
    "unit": "targets/home/_unit.html",
    "figures": "targets/home/_figures.html",
    "chart": "targets/_share_chart.html",
    "closest": "targets/home/_closest.html",
    "tables": "targets/home/_tables.html",
}


@dataclass(frozen=True)
class Scope:
    """Whose dashboard: the whole country (``province_id`` None) or one province's units
    (and those of the provinces merged into it: its history)."""

    key: str
    province_id: int | None = None
    # The units shown; None: those of ``province_id``.
    districts: object = None
    communes: object = None

    @property
    def national(self) -> bool:
        return self.province_id is None

    def district_set(self):
        if self.districts is not None:
            return self.districts
        return District.objects.of_province(self.province_id)

    def commune_set(self):
        if self.communes is not None:
            return self.communes
        if self.national:
            return Commune.objects.all()
        return Commune.objects.of_province(self.province_id)


NATIONAL = Scope(key="all")


def province_scope(province_id: int, *, districts=None, communes=None) -> Scope:
    """The view of one province (an official's own, or an administrator's drill-down)."""
    return Scope(
        key=f"province-{province_id}",
        province_id=province_id,
        districts=districts,
        communes=communes,
    )


def _province_ended(province, on):
    """(the province, its successors) when ``province`` is not in force on ``on`` (the
    year's reference date), else None."""
    if province is None or province.is_in_force(on):
        return None
    successors = Province.objects.filter(
        communes__predecessor_links__predecessor__province=province
    ).distinct()
    return province, list(successors)


class Figures:
    """What a dashboard shows, each part read on first use, so that a page whose parts the
    cache holds costs no query."""

    def __init__(
        self,
        *,
        year: int,
        scope: Scope,
        sort: str = "code",
        group_by: str | None = None,
        closest_limit: int | None = None,
        shared: "Figures | None" = None,
        years: list[int] | None = None,
    ):
        self.year = year
        # The programme years (the chart's), when the caller has read them.
        self.years = years
        self.scope = scope
        self.sort = sort
        self.group_by = group_by or selectors.GROUPINGS[0]
        self.closest_limit = closest_limit
        # Parts being read on a second connection: what gives each (``read_ahead``).
        self._ahead: dict[str, Callable[[], Any]] = {}
        if shared is not None:
            # The same figures in another language: only what is worded is read again.
            for name in ("settings", "dashboard", "closest", "shares", "province"):
                if name in shared.__dict__:
                    self.__dict__[name] = shared.__dict__[name]

    @cached_property
    def province(self):
        if self.scope.national:
            return None
        return Province.objects.filter(pk=self.scope.province_id).first()

    @cached_property
    def settings(self):
        """The reference dates and targets of the year and of the chart's years, read
        once for both (None: each reads its own)."""
        if self.years is None:
            return None
        return selectors.year_settings(sorted({*self.years, self.year}))

    @cached_property
    def dashboard(self):
        if self.scope.national:
            apart = {
                name: self._ahead.pop(name)
                for name in selectors.NATIONAL_PARTS
                if name in self._ahead
            }
            return selectors.national_figures(year=self.year, settings=self.settings, apart=apart)
        return selectors.dashboard_figures(
            year=self.year,
            districts=self.scope.district_set(),
            communes=self.scope.commune_set(),
            group_by=self.group_by,
            settings=self.settings,
        )

    def read_ahead(self) -> None:
        """Start reading, on a second connection (``friendlygov.ahead``), what needs
        nothing of the rest: the figures' evidence awaiting review, practices' adoptions
        and investment (first, in the order the figures need them: soonest), the closest
        communes and the chart's shares. Only for the national view, whose first render
        they make a quarter longer on one connection; the caller reads the communes'
        counts (the longest statement) and the small rest meanwhile."""
        if not self.scope.national or not ahead.available():
            return
        if "dashboard" in self.__dict__ or self._ahead:
            return  # read already, or being read
        settings = self.settings  # read here, for both threads
        reads: dict[str, Callable[[], Any]] = {
            **{
                name: partial(selectors.national_part, name, year=self.year, settings=settings)
                for name in selectors.NATIONAL_PARTS
            },
            "closest": self._read_closest,
            "shares": self._read_shares,
        }
        self._ahead = dict(zip(reads, ahead.start(*reads.values()), strict=True))

    def _read_closest(self):
        return selectors.closest_to_certification(
            year=self.year,
            communes=None if self.scope.national else self.scope.commune_set(),
            limit=self.closest_limit,
        )

    @cached_property
    def closest(self):
        return self._ahead.pop("closest", self._read_closest)()

    @cached_property
    def titles(self):
        return selectors.criterion_titles()

    @cached_property
    def district_table(self):
        table = tables.district_table(self.dashboard, sort=self.sort)
        if self.dashboard.grouped_by in selectors.GROUPINGS:
            table.title = dict(selectors.grouping_choices())[self.dashboard.grouped_by]
        return table

    @cached_property
    def closest_table(self):
        return tables.closest_table(self.closest[0], titles=self.titles)

    @cached_property
    def investment_table(self):
        return tables.investment_table(self.dashboard)

    @cached_property
    def practice_table(self):
        return tables.practice_spread_table(self.dashboard)

    def _read_shares(self):
        return selectors.share_by_year(
            communes=None if self.scope.national else self.scope.commune_set(),
            years=self.years,
            settings=self.settings,
        )

    @cached_property
    def shares(self):
        return self._ahead.pop("shares", self._read_shares)()

    @cached_property
    def share_table(self):
        return tables.share_table(self.shares)

    def tables(self) -> list:
        """The workbook's sheets, in the page's order."""
        return [
            self.district_table,
            self.closest_table,
            self.share_table,
            self.practice_table,
            self.investment_table,
        ]

    def context(self) -> dict:
        """What the parts' templates read, each value computed only when one reads it."""

        def lazy(name):
            return SimpleLazyObject(lambda: getattr(self, name))

        return {
            "year": self.year,
            "national": self.scope.national,
            "group_by": self.group_by,
            "groupings": selectors.grouping_choices(),
            "province": SimpleLazyObject(lambda: self.province or ""),
            "province_ended": SimpleLazyObject(
                lambda: _province_ended(self.province, self.dashboard.reference_date) or ""
            ),
            "has_districts": SimpleLazyObject(lambda: self.dashboard.grouped_by == "district"),
            "dashboard": lazy("dashboard"),
            "overall": SimpleLazyObject(lambda: self.dashboard.overall),
            "shares": lazy("shares"),
            "share_table": lazy("share_table"),
            "district_table": lazy("district_table"),
            "closest_table": lazy("closest_table"),
            "closest_total": SimpleLazyObject(lambda: self.closest[1]),
            "titles": lazy("titles"),
            "investment_table": lazy("investment_table"),
            "practice_table": lazy("practice_table"),
        }


def closest_limit(scope: Scope) -> int | None:
    return NATIONAL_CLOSEST if scope.national else PROVINCE_CLOSEST


def parts_key(*, scope: Scope, year: int, computed_at, sort: str, group_by: str) -> str:
    """The cache key of the rendered parts of one view, in the active language."""
    key = caching.view_key(
        scope=scope.key, year=year, computed_at=computed_at, sort=f"{sort}-{group_by}"
    )
    return f"dashboard-parts:v2:{key}"


def render_parts(request, figures: Figures) -> dict[str, str]:
    """The parts of the page, rendered in the active language."""
    figures.read_ahead()
    context = figures.context()
    return {name: render_to_string(template, context, request) for name, template in PARTS.items()}


def parts(request, figures: Figures, *, computed_at) -> dict:
    """The rendered parts of the page ``figures`` describes: from the cache, or rendered
    and cached."""
    key = parts_key(
        scope=figures.scope,
        year=figures.year,
        computed_at=computed_at,
        sort=figures.sort,
        group_by=figures.group_by,
    )
    # The rendering and the generation in one round trip; kept with the generation.
    rendered, generation = caching.current(key)
    if rendered is None:
        rendered = render_parts(request, figures)
        caching.store(key, rendered, generation)
    # Safe: rendered by the templates, which escape what they write.
    return {name: mark_safe(html) for name, html in rendered.items()}  # noqa: S308  # nosec B308 B703


# --- Pre-rendering after a recompute ------------------------------------------------------


def _request(year: int) -> HttpRequest:
    """A request for the default view of ``year``: what the parts' links are relative to."""
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = "/"
    request.GET = QueryDict(f"year={year}")
    return request


def computed_at_by_province(*, year: int, province_ids: Iterable[int]) -> dict[int, object]:
    """{province id: the last computation of its communes' statuses of ``year``} for each
    of ``province_ids``, as ``selectors.last_computed_at(year=, province_id=)`` reads it:
    with the provinces merged into it (today's Tỉnh Bắc Ninh shows 2023 on Tỉnh Bắc
    Giang's communes), so that a view rendered ahead is found under the key its page asks
    for. One query over the provinces' stamps (``ComputedProvince``), and the lineage of
    each province (cached)."""
    own = dict(
        ComputedProvince.objects.filter(year=year)
        .annotate(at=selectors.last_computation(F("computed_at"), year=year))
        .values_list("province_id", "at")
    )
    latest = {}
    for province_id in province_ids:
        times = [
            own[each] for each in province_and_merged(province_id) if own.get(each) is not None
        ]
        latest[province_id] = max(times, default=None)
    return latest


def provinces_of(commune_ids: Iterable[int]) -> list[int]:
    """The provinces of ``commune_ids`` (one query)."""
    return list(
        Commune.objects.filter(pk__in=list(commune_ids))
        .values_list("province_id", flat=True)
        .distinct()
    )


def prerender(
    *, year: int, province_ids: Iterable[int] | None = None, national: bool = True
) -> int:
    """Render into the cache the national view of ``year`` (unless ``national`` is False)
    and the views of its provinces in force (of ``province_ids`` only, when given), in
    every language, in their default order: what a recompute of that year invalidated.
    Returns the views rendered.

    A failure is logged, never raised: the statuses are written, and a page not rendered
    here is rendered by its first reader."""
    try:
        return _prerender(year=year, province_ids=province_ids, national=national)
    except Exception:
        logger.exception("Could not pre-render the dashboards of %s", year)
        return 0


def _prerender(*, year: int, province_ids: Iterable[int] | None, national: bool) -> int:
    languages = [code for code, _name in settings.LANGUAGES]
    sort = tables.district_sort(None)
    group_by = selectors.GROUPINGS[0]
    request = _request(year)
    provinces = Province.objects.in_force(on=reference_date(year)).order_by("code")
    if province_ids is not None:
        provinces = provinces.filter(pk__in=list(province_ids))
    # Read before the figures: a change that moves it meanwhile makes these unused.
    generation = caching.generation()
    stamps = computed_at_by_province(year=year, province_ids=[p.pk for p in provinces])
    years = selectors.dashboard_years()
    # The year's reference dates and targets: the same for every view.
    settings_read = selectors.year_settings(sorted({*years, year}))
    units = {province.pk: province for province in provinces}
    views: list[tuple[Scope, object]] = [(province_scope(pk), stamps.get(pk)) for pk in units]
    if national:
        views.insert(0, (NATIONAL, selectors.last_computed_at(year=year)))
    # Read once per language, not once per view.
    titles = {}
    for language in languages:
        with translation.override(language):
            titles[language] = selectors.criterion_titles()
    rendered = 0
    for scope, computed_at in views:
        shared = None
        for language in languages:
            with translation.override(language):
                figures = Figures(
                    year=year,
                    scope=scope,
                    sort=sort,
                    group_by=group_by,
                    closest_limit=closest_limit(scope),
                    shared=shared,
                    years=years,
                )
                figures.__dict__["titles"] = titles[language]
                figures.__dict__["settings"] = settings_read
                if not scope.national:
                    figures.__dict__["province"] = units[scope.province_id]
                key = parts_key(
                    scope=scope, year=year, computed_at=computed_at, sort=sort, group_by=group_by
                )
                caching.store(key, render_parts(request, figures), generation)
                shared = figures
                rendered += 1
    return rendered
