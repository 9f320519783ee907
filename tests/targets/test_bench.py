"""National-scale data (generate_scale_data) and the benchmark (bench)."""

import json
from collections import Counter
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connections

from communes.models import Commune, District, Evidence, Province, SteeringCommittee
from surveys.models import SurveyResponse
from targets.models import CertificationStatus
from tests.conftest import DOI_NGO, skip_or_fail
from tooling.bench import reference, scale

REAL = scale.RealUnits(provinces=1, districts=10, communes=209)


@pytest.fixture
def on_postgresql():
    if not settings.IS_POSTGRES:
        skip_or_fail("generate_scale_data writes with PostgreSQL's COPY (CI's PostgreSQL leg)")


@pytest.fixture
def sqlite_database():
    """The default database, seen by the commands as SQLite whatever it really is."""
    with mock.patch.object(connections["default"], "vendor", "sqlite"):
        yield


def generate(**options):
    out = []
    options = {"provinces": 2, "communes_per_district": 3, "responses": 1000, **options}
    call_command("generate_scale_data", stdout=mock.Mock(write=out.append), **options)
    return "\n".join(out)


def fingerprint():
    """What the generated data holds, to compare two generations."""
    return (
        list(Commune.objects.order_by("code").values_list("code", "name", "model_launched_on")),
        Counter(Evidence.objects.values_list("state", flat=True)),
        sorted(
            (code, day, satisfied, json.dumps(answers, sort_keys=True))
            for code, day, satisfied, answers in SurveyResponse.objects.values_list(
                "commune__code", "answered_on", "satisfied", "answers"
            )
        ),
        sorted(CertificationStatus.objects.values_list("commune__code", "year", "status")),
    )


def test_the_national_sizes_are_the_default():
    sizes = scale.sizes_for(real=REAL)
    assert (sizes.provinces, sizes.districts, sizes.communes) == (63, 705, 10_598)
    assert sizes.responses == 1_000_000


def test_fewer_provinces_keep_the_national_averages():
    sizes = scale.sizes_for(real=REAL, provinces=2)
    assert (sizes.provinces, sizes.districts, sizes.communes) == (2, 21, 373)
    assert scale.sizes_for(real=REAL, provinces=2, communes_per_district=3).communes == 242


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"provinces": 0}, "at least 1"),
        ({"provinces": 5, "districts": 12}, "cannot fill"),
        ({"provinces": 2, "districts": 21, "communes": 215}, "cannot fill"),
        ({"responses": -1}, "--responses"),
        ({"communes": 500, "communes_per_district": 3}, "not both"),
    ],
)
def test_sizes_that_cannot_be_generated_are_refused_with_the_reason(options, message):
    with pytest.raises(scale.ScaleError, match=message):
        scale.sizes_for(real=REAL, **options)


@pytest.mark.django_db
def test_generate_scale_data_refuses_sqlite_with_what_to_do(settings, sqlite_database):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="needs PostgreSQL.*DATABASE_URL=postgres://"):
        generate()


@pytest.mark.django_db
def test_bench_refuses_sqlite_with_what_to_do(sqlite_database):
    with pytest.raises(CommandError) as refused:
        call_command("bench", "--only", "1")
    message = str(refused.value)
    assert "PostgreSQL" in message and "DATABASE_URL=postgres://" in message
    assert "make bench" in message and "BENCHMARKS.md" in message


@pytest.mark.services
@pytest.mark.django_db
def test_bench_refuses_an_unknown_measurement(on_postgresql):
    with pytest.raises(CommandError, match="Unknown measurement 7"):
        call_command("bench", "--only", "1,7")


@pytest.mark.services
@pytest.mark.django_db
def test_a_small_country_is_generated_around_the_real_province(on_postgresql, settings):
    settings.DEBUG = True
    output = generate()

    assert "2 provinces, 21 districts, 242 communes, 1,000 survey responses" in output
    assert Province.objects.count() == 2 and District.objects.count() == 21
    assert Commune.objects.count() == 242
    # The real units are as they were; the invented ones use codes no GSO unit has.
    assert Commune.objects.get(code=DOI_NGO).district.code == "218"
    invented = Commune.objects.filter(code__regex=scale.GENERATED_CODE[Commune])
    assert invented.count() == 33
    assert all(
        len(code) == 6 and code.startswith("9") for code in invented.values_list("code", flat=True)
    )
    assert set(invented.values_list("district__code", flat=True)) == set(
        District.objects.filter(code__regex=scale.GENERATED_CODE[District]).values_list(
            "code", flat=True
        )
    )
    assert SurveyResponse.objects.count() == 1000
    assert set(Evidence.objects.values_list("state", flat=True)) == {
        "draft", "submitted", "approved", "rejected"
    }  # fmt: skip
    assert SteeringCommittee.objects.filter(level="commune").exists()
    # Every commune has a status for each year, computed by the engine.
    assert CertificationStatus.objects.count() == 242 * 3


@pytest.mark.services
@pytest.mark.django_db
def test_a_database_with_every_period_loaded_gets_the_country_of_the_basis_shape(
    on_postgresql, settings, reorganized_units
):
    """`make migrate` loads the 2025 and 2026 units too: the generated country still has
    the asked-for communes in force in 2023-2024, and the later units get no records."""
    settings.DEBUG = True
    output = generate()

    assert "2 provinces, 21 districts, 242 communes, 1,000 survey responses" in output
    assert Commune.objects.filter(valid_from__isnull=True).count() == 242
    later = Commune.objects.filter(valid_from__isnull=False)
    assert later.exists()
    assert not Evidence.objects.filter(commune__in=later).exists()
    assert not SteeringCommittee.objects.filter(commune__in=later).exists()


@pytest.mark.services
@pytest.mark.django_db
def test_generating_again_gives_the_same_data_and_is_not_needed(on_postgresql, settings):
    settings.DEBUG = True
    generate()
    first = fingerprint()

    assert "nothing to do" in generate()
    generate(reset=True)

    assert fingerprint() == first


@pytest.mark.services
@pytest.mark.django_db
def test_other_data_is_never_mixed_with_generated_data(on_postgresql, settings):
    settings.DEBUG = True
    generate()
    with pytest.raises(CommandError, match="--reset"):
        generate(responses=2000)


@pytest.mark.services
@pytest.mark.django_db
def test_the_hand_written_sql_reaches_the_engines_statuses(on_postgresql, settings):
    """The benchmark's reference statement and the certification engine agree on every
    commune and year of a generated country."""
    settings.DEBUG = True
    generate(responses=50_000)  # enough for communes to qualify
    stored = dict(
        ((commune, year), status)
        for commune, year, status in CertificationStatus.objects.values_list(
            "commune_id", "year", "status"
        )
    )
    assert "CERTIFIED" in stored.values()
    assert reference.statuses(years=[2023, 2024, 2025]) == stored


@pytest.mark.services
@pytest.mark.django_db
def test_the_national_reference_sql_computes_the_national_views_figures(on_postgresql, settings):
    """The benchmark's by-province statement counts what the national dashboard shows,
    province by province, so that the cold render is compared with the same work."""
    from targets import dashboards, selectors

    settings.DEBUG = True
    generate(provinces=3, responses=50_000)
    national = selectors.national_figures(year=2024)
    raw = reference.dashboard(year=2024, province_ids=None, closest=dashboards.NATIONAL_CLOSEST)

    def by_province(part):
        return {row["province_id"]: row for row in raw[part] or []}

    communes, statuses, awaiting, committees = (
        by_province(p) for p in ("communes", "statuses", "awaiting", "committees")
    )
    # The adopters of any practice: the rows of the grouping set without a practice.
    adopters = {
        r["province_id"]: r["n"] for r in raw["adoptions"] or [] if r["practice_id"] is None
    }
    assert [p["code"] for p in raw["provinces"]] == [r.code for r in national.districts]
    for row in national.districts:
        pk, figures = row.province.pk, row.figures
        assert (figures.total, figures.launched) == (
            communes[pk]["total"],
            communes[pk]["launched"],
        )
        status = statuses.get(pk, {})
        assert (figures.computed, figures.certified, figures.survey_responses) == (
            status.get("computed", 0),
            status.get("certified", 0),
            status.get("responses") or 0,
        )
        assert figures.evidence_awaiting == awaiting.get(pk, {}).get("n", 0)
        assert figures.committees == committees.get(pk, {}).get("n", 0)
        assert figures.adopters == adopters.get(pk, 0)
    shares = selectors.share_by_year(communes=None)
    assert {(s.year, s.certified) for s in shares if s.certified} == {
        (row["year"], row["n"]) for row in raw["shares"]
    }
    assert {(s.year, s.total) for s in shares} == {
        (row["year"], row["n"]) for row in raw["share_totals"]
    }
    closest, total = selectors.closest_to_certification(
        year=2024, communes=None, limit=dashboards.NATIONAL_CLOSEST
    )
    assert total == raw["closest"][0]["n"]
    assert len(closest) == len(raw["closest_first"] or [])


def test_the_http_pages_and_their_reference_are_measured_in_turns(monkeypatch):
    """Measurement 5 compares each page with /healthz measured across the same minutes: a
    shared machine's speed drifts, and a page measured after the reference would be
    compared with another speed. Each path gets the whole ``seconds``, in slices."""
    import contextlib

    from tooling.bench import load, measure

    asked = []

    def hammer(*, port, path, cookie="", clients=20, seconds=30.0):
        asked.append((path, cookie, seconds))
        return load.LoadResult(path, seconds, int(seconds * 10), 0, [0.01] * int(seconds * 10))

    monkeypatch.setattr(load, "gunicorn", lambda env, workers: contextlib.nullcontext(8000))
    monkeypatch.setattr(load, "hammer", hammer)

    healthz, page, trivial, public, province = measure._hammer_all(
        {}, workers=2, clients=20, seconds=30, cookie="sessionid=x",
        paths=("/?year=2024", "/api/v1/recompute/1", "/public/", "/public/?province=24"),
    )  # fmt: skip

    measured = [entry for entry in asked if entry[2] == 30 / measure.HTTP_SLICES]
    turn = ["/healthz", "/?year=2024", "/api/v1/recompute/1", "/public/", "/public/?province=24"]
    assert [path for path, _cookie, _seconds in measured] == turn * measure.HTTP_SLICES
    assert {path: cookie for path, cookie, _s in measured} == {
        "/healthz": "",
        "/?year=2024": "sessionid=x",
        "/api/v1/recompute/1": "sessionid=x",
        "/public/": "",
        "/public/?province=24": "",
    }
    for result, path in zip((healthz, page, trivial, public, province), turn, strict=True):
        assert result.path == path
        assert result.seconds == pytest.approx(30)
        assert result.requests == 10 * 5 * measure.HTTP_SLICES
        assert len(result.latencies) == result.requests


def test_the_first_render_and_its_raw_sql_are_timed_in_turn(monkeypatch):
    """Measurement 1's cold render is compared with the raw SQL timed beside it, pair by
    pair, not with a reference timed a minute before on a machine whose speed drifts."""
    from tooling.bench import measure

    calls = []
    durations = iter([0.010, 0.030, 0.012, 0.020, 0.011, 0.040, 0.013, 0.025])
    monkeypatch.setattr(measure, "timed", lambda action: (action(), next(durations))[1])

    first, raw = measure.median_times_in_turn(
        lambda: calls.append("page"), lambda: calls.append("sql"), runs=4
    )

    # One untimed reference first (its connection, its plan), then reference and page in
    # turn.
    assert calls == ["sql"] + ["sql", "page"] * 4
    assert raw == pytest.approx(0.0115)  # the median of 0.010, 0.012, 0.011, 0.013
    assert first == pytest.approx(0.0275)  # of 0.030, 0.020, 0.040, 0.025
