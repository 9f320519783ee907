"""Reads of the communes app that pages share: good practices and facility investment."""

from django.db.models import Count, Q, Sum

from communes.models import Commune, District, FacilityInvestment, GoodPractice, PracticeAdoption
from communes.text import fold


def practice_list():
    """Every good practice with its origin and ``adopters``: the communes that adopted it."""
    return (
        GoodPractice.objects.select_related("origin__district")
        .annotate(adopters=Count("adoptions", distinct=True))
        .order_by("name")
    )


def practice_spread(*, practice, districts=None):
    """Each district (of ``districts``, default all) with ``communes_total`` and
    ``adopters``, the number of its communes that adopted ``practice``. One query."""
    districts = districts if districts is not None else District.objects.all()
    return districts.annotate(
        communes_total=Count("communes", distinct=True),
        adopters=Count(
            "communes__adoptions",
            filter=Q(communes__adoptions__practice=practice),
            distinct=True,
        ),
    ).order_by("code")


def practice_adoptions(*, practice, communes):
    """The adoptions of ``practice`` by ``communes`` (a scoped queryset), earliest first."""
    return (
        PracticeAdoption.objects.filter(practice=practice, commune__in=communes)
        .select_related("commune__district")
        .order_by("adopted_on", "commune__name")
    )


def communes_total() -> int:
    return Commune.objects.count()


def district_investments(*, district) -> list:
    """The district's facility investment rows, every year: year by year, its own rows
    first, then its communes' in alphabetical order (Vietnamese letters folded)."""
    rows = FacilityInvestment.objects.filter(district=district).select_related(
        "commune", "district"
    )
    return sorted(
        rows,
        key=lambda r: (r.year, r.commune_id is not None, fold(r.commune.name if r.commune else "")),
    )


def investment_totals_by_year(*, district) -> list[dict]:
    """[{"year", "planned", "spent"}] of the district (its own and its communes' rows)."""
    return list(
        FacilityInvestment.objects.filter(district=district)
        .values("year")
        .annotate(planned=Sum("planned_vnd"), spent=Sum("spent_vnd"))
        .order_by("year")
    )
