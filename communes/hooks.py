"""The calls from communes up to the apps above it: one registry, filled at start-up.

communes is the lowest app (ARCHITECTURE.md): it never imports surveys or targets, and
surveys never imports targets. Where a lower app needs a higher one, it calls a hook here,
and the higher app connects the hook in its ``AppConfig.ready()``:

- ``recompute_later`` / ``recompute_later_many``: "these communes' facts changed, recompute
  their statuses". Connected by targets to its outbox (``targets.outbox``): the request is
  recorded in the caller's transaction and the task is queued after the commit.
  Called by the evidence and committee services, the survey services and the importer.
- ``survey_figures``: a commune's survey responses in a year against the year's rule, for
  the checklist's survey criterion. Connected by surveys (``surveys.selectors``).

A hook called before it is connected raises: that is a missing app, not a silent skip.
"""

from collections.abc import Callable, Iterable
from typing import Any

_hooks: dict[str, Callable[..., Any]] = {}


def connect(name: str, function: Callable[..., Any]) -> None:
    """Fill the hook ``name`` (done once, from a higher app's ``ready()``)."""
    if name not in {"recompute_later", "recompute_later_many", "survey_figures"}:
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


def survey_figures(*, commune: Any, year: int, rule: Any = None) -> Any:
    """The commune's survey figures of ``year`` (a ``surveys.rules.SurveyFigures``)."""
    return _call("survey_figures", commune=commune, year=year, rule=rule)
