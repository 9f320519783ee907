"""The default checklist ships as data, grouped as the programme asks, and is editable."""

from decimal import Decimal

import pytest
from django.urls import reverse

from communes.models import Criterion, CriterionGroup, CriterionKind


@pytest.mark.django_db
def test_every_group_of_the_programme_has_criteria():
    groups = set(Criterion.objects.values_list("group", flat=True))
    assert groups == set(CriterionGroup.values)


@pytest.mark.django_db
def test_the_measured_criteria_carry_the_provinces_thresholds():
    measured = {
        c.code: (c.threshold, c.unit, c.is_required)
        for c in Criterion.objects.filter(kind=CriterionKind.MEASURED)
    }
    assert measured["TTHC-01"] == (Decimal("95"), "%", True)  # dossiers handled on time
    assert measured["CNTT-01"] == (Decimal("50"), "%", True)  # procedures filed online


@pytest.mark.django_db
def test_citizen_satisfaction_is_derived_from_surveys_and_needs_no_review():
    survey = Criterion.objects.get(kind=CriterionKind.SURVEY)
    assert survey.group == CriterionGroup.SATISFACTION and survey.is_required
    assert not survey.needs_review
    assert "khảo sát" in survey.how_met


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("year", "points", "count"), [(2023, 35, 17), (2024, 40, 18), (2025, 40, 18)]
)
def test_scored_criteria_are_worth_35_points_in_2023_and_40_from_2024(year, points, count):
    active = Criterion.objects.active_in(year)
    assert active.count() == count
    scored = active.filter(is_required=False)
    assert sum(c.points for c in scored) == points
    assert not active.filter(is_required=True, points__gt=0).exists()


@pytest.mark.django_db
def test_every_criterion_says_how_it_is_met():
    assert not Criterion.objects.filter(how_met="").exists()


@pytest.mark.django_db
def test_criteria_are_edited_in_admin(client, admin_user):
    client.force_login(admin_user)
    criterion = Criterion.objects.get(code="TTHC-01")
    url = reverse("admin:communes_criterion_change", args=[criterion.pk])
    assert client.get(url).status_code == 200
