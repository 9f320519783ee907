"""The calls from communes up to the apps above it: one registry, filled at start-up.

communes is the lowest app (ARCHITECTURE.md): it never imports surveys or targets, and
surveys never imports targets. Where a lower app needs a higher one, it calls a hook here,
and the higher app connects the hook in its ``AppConfig.ready()``. There are two kinds:
calls back (the only ways a write in a lower app reaches targets), and read-only
providers:

- The call back later, ``recompute_later`` / ``recompute_later_many``: "these communes'
  facts changed, recompute their statuses". Connected by targets to its outbox
  (``targets.outbox``): the request is recorded in the caller's transaction and the task
  is queued after the commit. Called by the evidence, committee and reorganization
  services and the survey services.
- The call back now, ``recompute_after_surveys``: "these (commune, year) pairs' survey counts
  changed, and nothing else: recompute their statuses now, in my transaction". Connected
  by targets to ``targets.outbox.recompute_after_surveys``, which composes each stored
  status's survey-free part with the new counts (``targets.services.
  statuses_after_surveys``: a few statements for a whole file) and has the dashboards
  rendered after the commit. Called by the importer, so that the statuses are current
  when its transaction commits: a national file touches ~20,000 pairs, which a task
  would recompute whole afterwards (every year of a commune named in two), and the
  figures would lag it. Its companion ``statuses_read_ahead`` lets the importer begin,
  on a second connection, the read of the statuses to compose while the server still
  writes its file (targets checks under its locks what moved since).
- A read-only provider, ``survey_figures``: a commune's survey responses in a year against
  the year's rule (a ``surveys.rules.SurveyFigures``, read here as ``SurveyFigures``
  below). Connected by surveys (``surveys.selectors.survey_figures``). It writes nothing,
  triggers nothing and is not told of any change: it answers a question. It exists
  because the survey criterion is one row of the checklist, and the checklist and the
  evidence page (``communes.views.checklist``, ``evidence_detail``, through
  ``communes.selectors.checklist`` and ``evidence_row``) belong to communes with the rest
  of the evidence workflow (save, submit, review, deadlines), which surveys and targets
  build on. Moving those two pages up into surveys, as the commune page went up into
  targets, would put the commune staff's whole evidence workflow in the survey app for
  the sake of one of its rows; the figures come up through this provider instead.
- A second read-only provider, ``survey_responses_from``: how many responses some
  communes have from a day on (the reorganization's preview names those that stay with
  a dissolved unit). Connected by surveys (``surveys.selectors.responses_from``): only
  surveys knows how its table is read by commune (``SurveyResponseQuerySet.of_communes``);
  a join from the commune would read the whole table.

A hook called before it is connected raises: that is a missing app, not a silent skip.
"""

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

_hooks: dict[str, Callable[..., Any]] = {}


def connect(name: str, function: Callable[..., Any]) -> None:
    """Fill the hook ``name`` (done once, from a higher app's ``ready()``)."""
    if name not in {
        "recompute_later",
        "recompute_later_many",
        "recompute_after_surveys",
        "statuses_read_ahead",
        "survey_figures",
        "survey_responses_from",
    }:
        raise ValueError(f"Unknown hook: {name}")
    _hooks[name] = function


def _call(name: str, **kwargs: Any) -> Any:
    try:
        function = _hooks[name]
    except KeyError:
        raise RuntimeError(f"The hook {name!r} is not connected: is its app installed?") from None
    return function(**kwargs)


def recompute_later(*, commune_id: int, year: int | None = None) -> None:
    """Recompute one commune's status after the current transaction commits (year None:
    every year)."""
    _call("recompute_later", commune_id=commune_id, year=year)


def recompute_later_many(*, requests: Iterable[tuple[int, int | None]]) -> None:
    """``recompute_later`` for many (commune id, year or None) pairs at once."""
    _call("recompute_later_many", requests=requests)


def recompute_after_surveys(
    *,
    pairs: Iterable[tuple[int, int]],
    added: Mapping[tuple[int, int], tuple[int, int]] | None = None,
    read_ahead: Mapping[int, Callable[[], Any]] | None = None,
    first: Callable[[], None] | None = None,
) -> None:
    """Recompute now, in the current transaction, the statuses of the (commune id, year)
    ``pairs`` whose survey counts alone changed. ``first``: the caller's writes of those
    counts (the roll-up's), sent first and written while the statuses are composed;
    ``read_ahead``: what ``statuses_read_ahead`` returned, with ``added``, what the caller
    adds to each pair's committed counts (responses, satisfied)."""
    _call("recompute_after_surveys", pairs=pairs, added=added, read_ahead=read_ahead, first=first)


def statuses_read_ahead(
    *, pairs: Iterable[tuple[int, int]]
) -> Mapping[int, Callable[[], Any]] | None:
    """Begin reading, on a second connection, what ``recompute_after_surveys`` will
    compose for ``pairs`` (what gives each year's read); None when nothing can be read
    ahead. Pass the result to it."""
    result: Mapping[int, Callable[[], Any]] | None = _call("statuses_read_ahead", pairs=pairs)
    return result


@runtime_checkable
class SurveyFigures(Protocol):
    """What the checklist reads of a commune's survey figures: the fields of
    ``surveys.rules.SurveyFigures`` (which communes cannot import), read-only."""

    @property
    def responses(self) -> int: ...
    @property
    def satisfied(self) -> int: ...
    @property
    def threshold(self) -> Decimal: ...
    @property
    def min_responses(self) -> int: ...
    @property
    def rate(self) -> Decimal | None: ...
    @property
    def state(self) -> str: ...


def survey_figures(*, commune: Any, year: int, rule: Any = None) -> SurveyFigures:
    """The commune's survey figures of ``year`` against ``rule`` (the year's rule when
    None): read-only, provided by surveys (``surveys.selectors.survey_figures``)."""
    figures: SurveyFigures = _call("survey_figures", commune=commune, year=year, rule=rule)
    return figures


def survey_responses_from(*, commune_ids: Iterable[int], day: Any) -> dict[int, int]:
    """{commune id: its responses answered on ``day`` or later}, for those that have any:
    read-only, provided by surveys (``surveys.selectors.responses_from``)."""
    counts: dict[int, int] = _call("survey_responses_from", commune_ids=commune_ids, day=day)
    return counts
