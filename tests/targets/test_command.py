"""`recompute_certifications [--year Y] [--commune CODE] [--full]` (``--full`` on PostgreSQL:
tests/targets/test_recompute_fingerprints.py)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from targets.models import CertificationRule, CertificationStatus, RecomputeRun, YearTarget

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("recompute_certifications", *args, stdout=out)
    return out.getvalue()


def test_it_recomputes_every_year_and_prints_the_counts(make_ready, doi_ngo, le_loi):
    make_ready([doi_ngo, le_loi])
    out = run()
    assert "Recomputed 209 communes for 2023, 2024, 2025." in out
    lines = out.splitlines()
    assert lines[1].split() == ["year", "CERTIFIED", "IN_PROGRESS", "NOT_MET", "NOT_STARTED"]
    assert lines[2].split() == ["2023", "2", "0", "0", "207"]
    assert lines[3].split() == ["2024", "0", "2", "0", "207"]
    assert CertificationStatus.objects.count() == 627
    recorded = RecomputeRun.objects.get()
    assert (recorded.trigger, recorded.state, recorded.communes_done) == ("command", "done", 627)


def test_it_recomputes_one_year_of_one_commune(make_ready, doi_ngo):
    make_ready([doi_ngo], year=2024)
    out = run("--year", "2024", "--commune", "7444")
    assert "Recomputed Thị trấn Đồi Ngô for 2024." in out
    assert out.splitlines()[2].split() == ["2024", "1", "0", "0", "0"]
    assert list(CertificationStatus.objects.values_list("commune__code", "year")) == [
        ("7444", 2024)
    ]


def test_an_unknown_commune_code_is_a_clear_error(checklist):
    with pytest.raises(CommandError, match="Unknown commune code '12345'"):
        run("--commune", "12345")
    assert not RecomputeRun.objects.exists()


def test_without_rules_or_targets_it_asks_for_a_year(db):
    CertificationRule.objects.all().delete()
    YearTarget.objects.all().delete()
    with pytest.raises(CommandError, match="--year"):
        run()
    assert not CertificationStatus.objects.exists()
