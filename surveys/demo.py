"""Deterministic demo survey responses for 2023-2025, telling each commune's story.

From the year a commune becomes ready (``communes.demo.readiness_year``) it has enough
responses (35-60 a year) with at least 85% satisfied; Lục Nam's communes around 96%, as
measured there in 2021-2022. Before that year, either too few responses or a share
between 70% and 84%. Channels are mixed (kiosk, paper, import).
"""

import datetime
import hashlib
import math
import random
from collections import Counter
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import F

from communes.demo import one_item_away, readiness_year
from communes.models import Commune, Role
from surveys import services
from surveys.models import Channel, Element, ImportBatch, SurveyResponse
from surveys.rollup import months_rebuild

YEARS = (2023, 2024, 2025, 2026)
# The demo's 2026 stops before the end of the year.
LAST_DAY = {2026: datetime.date(2026, 11, 13)}
TOKEN_PREFIX = "demo-"  # noqa: S105 (marks demo rows; the token column is free for them)
LUC_NAM = "218"
_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_CHANNELS = [Channel.KIOSK, Channel.PAPER, Channel.IMPORT]
_CHANNEL_WEIGHTS = [45, 35, 20]


def _plan(
    rng: random.Random, *, ready: int | None, year: int, luc_nam: bool, near: bool = False
) -> tuple[int, int]:
    """(responses, satisfied) of one commune in one year; ``near``: surveys already pass."""
    if near or (ready is not None and year >= ready):
        count = rng.randint(35, 60)
        share = rng.uniform(0.93, 0.99) if luc_nam else rng.uniform(0.86, 0.98)
        # At least 85%, and somebody is always unhappy about something.
        satisfied = min(count - 1, max(math.ceil(count * 0.85), round(count * share)))
        return count, satisfied
    if rng.random() < 0.5:  # not enough responses yet
        count = rng.randint(8, 27)
        share = rng.uniform(0.72, 0.95)
        return count, min(count - 1, max(math.ceil(count * 0.70), round(count * share)))
    count = rng.randint(32, 55)  # enough responses, not satisfied enough
    satisfied = max(math.ceil(count * 0.70), round(count * rng.uniform(0.70, 0.84)))
    while satisfied * 100 >= 85 * count:
        satisfied -= 1
    return count, satisfied


def _answers(rng: random.Random, questions, *, satisfied: bool, channel: str) -> dict:
    answers = {}
    for question in questions:
        if question.element == Element.OVERALL:
            answers[question.code] = (
                rng.choice([4, 5, 5]) if satisfied else rng.choices([1, 2, 3], [1, 3, 6])[0]
            )
            continue
        # Many citizens never sent feedback: on paper that question is often left blank.
        if channel == Channel.PAPER and question.element == Element.FEEDBACK and rng.random() < 0.2:
            continue
        weights = [0, 1, 2, 10, 9] if satisfied else [1, 4, 7, 5, 1]
        answers[question.code] = rng.choices([1, 2, 3, 4, 5], weights)[0]
    return answers


def _dates(rng: random.Random, year: int, count: int) -> list[datetime.date]:
    """``count`` working days spread over the year, as a desk sees people come."""
    start = datetime.date(year, 1, 3)
    span = (LAST_DAY.get(year, datetime.date(year, 12, 20)) - start).days
    dates = []
    for i in range(count):
        day = start + datetime.timedelta(days=int((i + rng.random()) * span / count))
        if day.weekday() >= 5:  # the desk is closed at the weekend: the Monday after
            day += datetime.timedelta(days=7 - day.weekday())
        dates.append(day)
    return dates


def seed():
    questionnaire = services.questionnaire_create_default()
    questionnaire = (
        type(questionnaire).objects.prefetch_related("questions").get(pk=questionnaire.pk)
    )
    questions = list(questionnaire.questions.all())
    communes = list(
        Commune.objects.select_related("district", "province").order_by(
            "code", F("valid_from").asc(nulls_first=True)
        )
    )
    _seed_kiosk_links(communes)
    if SurveyResponse.objects.filter(submission_token__startswith=TOKEN_PREFIX).exists():
        return  # already seeded: the same data would be made again
    staff = {
        scope_commune: user
        for user, scope_commune in get_user_model()
        .objects.filter(scope__role=Role.COMMUNE)
        .values_list("pk", "scope__commune")
    }
    rng = random.Random(20230401)
    planned = []  # (commune, date, channel, satisfied, answers)
    for commune in communes:
        ready = readiness_year(commune)
        for year in YEARS:
            # Each unit's desk answers for the years it is in force (and a 2026 is only
            # seeded with today's units loaded, so that the basis alone stays as it was).
            if not commune.is_in_force(datetime.date(year, 1, 1)) or (
                year == 2026 and commune.valid_from is None
            ):
                continue
            if commune.model_launched_on is None and commune.valid_from is not None:
                continue  # a new unit that has not launched the model yet
            count, satisfied = _plan(
                rng,
                ready=ready,
                year=year,
                luc_nam=commune.district_id is not None and commune.district.code == LUC_NAM,
                near=one_item_away(commune, year),
            )
            verdicts = [True] * satisfied + [False] * (count - satisfied)
            rng.shuffle(verdicts)
            for day, verdict in zip(_dates(rng, year, count), verdicts, strict=True):
                channel = rng.choices(_CHANNELS, _CHANNEL_WEIGHTS)[0]
                answers = _answers(rng, questions, satisfied=verdict, channel=channel)
                planned.append((commune, day, channel, verdict, answers))

    batches = _seed_import_batches(planned)
    responses = []
    for n, (commune, day, channel, verdict, answers) in enumerate(planned):
        recorded = datetime.datetime.combine(day, datetime.time(8 + n % 9, n % 60), tzinfo=_TZ)
        if channel == Channel.IMPORT:
            recorded = batches[(_sender(commune), day.year)].imported_at
        responses.append(
            SurveyResponse(
                commune=commune,
                questionnaire=questionnaire,
                answered_on=day,
                channel=channel,
                satisfied=verdict,
                answers=answers,
                import_batch=batches.get((_sender(commune), day.year))
                if channel == Channel.IMPORT
                else None,
                submission_token=f"{TOKEN_PREFIX}{n}",
                entered_by_id=staff.get(commune.pk) if channel == Channel.PAPER else None,
                created_at=recorded,
            )
        )
    SurveyResponse.objects.bulk_create(responses, batch_size=2000)
    months_rebuild()  # the roll-up the figures read (surveys.rollup)
    if responses:
        questionnaire.answered_now()


def _sender(commune) -> str:
    """Who sends a commune's imported survey files: its district, or its province when
    there are no districts."""
    return commune.district.code if commune.district_id else f"tinh-{commune.province.code}"


def _seed_import_batches(planned) -> dict:
    """One imported file per district and year, as district offices send them."""
    rows = Counter(
        (_sender(commune), day.year)
        for commune, day, channel, _verdict, _answers in planned
        if channel == Channel.IMPORT
    )
    batches = {}
    for (district_code, year), count in sorted(rows.items()):
        name = f"demo-khao-sat-{district_code}-{year}.xlsx"
        batch = ImportBatch(
            sha256=hashlib.sha256(name.encode()).hexdigest(), filename=name, rows=count
        )
        batches[(district_code, year)] = batch
    ImportBatch.objects.bulk_create(batches.values())
    # bulk_create fills imported_at (auto_now_add); date the files at the end of each year,
    # after their rows' days, as the importer would (``SurveyResponseQuerySet.of_communes``
    # leaves out the files imported before the days it reads).
    for (_district, year), batch in batches.items():
        batch.imported_at = datetime.datetime(year, 12, 31, 15, 0, tzinfo=_TZ)
    ImportBatch.objects.bulk_update(batches.values(), ["imported_at"])
    return batches


def _seed_kiosk_links(communes) -> None:
    """Every commune gets its kiosk link (random, unguessable tokens, kept when present)."""
    services.kiosk_links_create(communes)
