import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from communes.access import get_commune_for_user, get_district_for_user, has_role
from communes.models import Commune, CommuneLink, District, Province, Role, UserScope
from tests.conftest import DOI_NGO, LE_LOI, LUC_NAM


@pytest.mark.django_db
def test_admins_and_provincial_officials_see_all_209_communes(admin_user, province_official):
    assert Commune.objects.visible_to(admin_user).count() == 209
    assert Commune.objects.visible_to(province_official).count() == 209
    assert District.objects.visible_to(province_official).count() == 10


@pytest.mark.django_db
def test_a_superuser_without_a_scope_row_sees_everything(django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    assert Commune.objects.visible_to(root).count() == 209


@pytest.mark.django_db
def test_a_district_official_sees_only_the_communes_of_the_district(district_official):
    visible = Commune.objects.visible_to(district_official)
    assert visible.count() == 25
    assert set(visible.values_list("district__code", flat=True)) == {LUC_NAM}
    assert list(District.objects.visible_to(district_official).values_list("code", flat=True)) == [
        LUC_NAM
    ]


@pytest.mark.django_db
def test_commune_staff_see_only_their_commune(commune_staff, leloi_staff):
    assert list(Commune.objects.visible_to(commune_staff).values_list("code", flat=True)) == [
        DOI_NGO
    ]
    assert list(Commune.objects.visible_to(leloi_staff).values_list("code", flat=True)) == [LE_LOI]


@pytest.mark.django_db
def test_anonymous_inactive_and_unscoped_users_see_nothing(django_user_model, commune_staff):
    from django.contrib.auth.models import AnonymousUser

    unscoped = django_user_model.objects.create_user("nobody", password="x")
    commune_staff.is_active = False
    assert not Commune.objects.visible_to(AnonymousUser()).exists()
    assert not Commune.objects.visible_to(unscoped).exists()
    assert not Commune.objects.visible_to(commune_staff).exists()


@pytest.mark.django_db
def test_the_access_helper_returns_a_commune_in_scope(commune_staff, district_official):
    assert get_commune_for_user(commune_staff, DOI_NGO).code == DOI_NGO
    assert get_commune_for_user(district_official, DOI_NGO).code == DOI_NGO


@pytest.mark.django_db
def test_the_access_helper_refuses_another_commune_with_403(commune_staff, district_official):
    with pytest.raises(PermissionDenied):
        get_commune_for_user(commune_staff, LE_LOI)
    with pytest.raises(PermissionDenied):
        get_commune_for_user(district_official, LE_LOI)


@pytest.mark.django_db
def test_the_access_helper_answers_404_for_an_unknown_code(province_official):
    with pytest.raises(Http404):
        get_commune_for_user(province_official, "99999")


@pytest.mark.django_db
def test_commune_staff_cannot_open_their_whole_district(commune_staff, district_official):
    with pytest.raises(PermissionDenied):
        get_district_for_user(commune_staff, LUC_NAM)
    assert get_district_for_user(district_official, LUC_NAM).code == LUC_NAM
    with pytest.raises(PermissionDenied):
        get_district_for_user(district_official, "213")


@pytest.mark.django_db
def test_roles_are_checked_and_admins_pass_every_role_check(
    admin_user, district_official, commune_staff
):
    assert has_role(district_official, Role.DISTRICT)
    assert not has_role(commune_staff, Role.DISTRICT)
    assert has_role(admin_user, Role.DISTRICT, Role.COMMUNE)


@pytest.mark.django_db
def test_a_scope_must_name_exactly_the_unit_its_role_needs(django_user_model, doi_ngo, luc_nam):
    user = django_user_model.objects.create_user("x", password="x")
    with pytest.raises(ValidationError) as missing:
        UserScope(user=user, role=Role.COMMUNE).full_clean()
    assert "commune" in missing.value.message_dict
    with pytest.raises(ValidationError) as extra:
        UserScope(user=user, role=Role.COMMUNE, commune=doi_ngo, district=luc_nam).full_clean()
    assert "district" in extra.value.message_dict


def _estimated_rows(queryset) -> int:
    """How many rows PostgreSQL expects ``queryset`` to return, its tables analyzed."""
    import json

    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        for model in (Commune, Province, CommuneLink):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]["Plan Rows"]


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
@pytest.mark.django_db
def test_the_database_can_estimate_a_provincial_officials_communes(
    province_official, make_user, reorganized_units
):
    """A province's communes are one ``IN`` of the province and those merged into it: as
    ``= id OR IN (merged)``, PostgreSQL guessed half the country's communes for one
    province and read every status and piece of evidence of the country to keep the
    province's (a provincial official's pages, BENCHMARKS.md)."""
    from django.db import connection

    from tests.conftest import skip_or_fail

    if connection.vendor != "postgresql":
        skip_or_fail("the planner's estimates are PostgreSQL's")
    # Sixty more provinces of fifty communes: a country beside the province.
    provinces = Province.objects.bulk_create(
        Province(code=f"P{n}", name=f"Tỉnh {n}", kind="Tỉnh", search_name=f"tinh {n}")
        for n in range(60)
    )
    Commune.objects.bulk_create(
        Commune(code=f"C{p.code}-{n}", name=f"Xã {n}", kind="Xã", search_name=f"xa {n}", province=p)
        for p in provinces
        for n in range(50)
    )
    bac_ninh_official = make_user(
        Role.PROVINCE, "24", username="tinh-bn", on=datetime.date(2026, 3, 1)
    )
    for official in (province_official, bac_ninh_official):
        visible = Commune.objects.visible_to(official)
        actual = visible.count()
        # Today's Bắc Ninh also reads the history of the provinces merged into it.
        assert actual >= 209
        # Of some 3,600 communes: about the province's, not half of them.
        assert _estimated_rows(visible) < 3 * actual


@pytest.mark.django_db
def test_a_link_from_another_province_opens_its_history_at_once(province_official):
    """The provinces merged into a province are kept in the cache (``province_and_merged``)
    and forgotten by every change of the lineage: a link recorded from another province's
    commune shows that commune to the province's officials at once, and its removal hides
    it again."""
    from communes.models import LinkKind, province_and_merged

    bac_giang = province_official.scope.province
    other = Province.objects.create(code="99", name="Tỉnh Khác", kind="Tỉnh")
    theirs = Commune.objects.create(code="99001", name="Xã Khác", kind="Xã", province=other)
    ours = Commune.objects.filter(province=bac_giang).first()
    visible = Commune.objects.visible_to(province_official)
    assert province_and_merged(bac_giang.pk) == [bac_giang.pk]  # now in the cache
    assert not visible.filter(pk=theirs.pk).exists()

    link = CommuneLink.objects.create(
        predecessor=theirs,
        predecessor_code=theirs.code,
        predecessor_name=theirs.name,
        successor=ours,
        kind=LinkKind.WHOLE,
        effective_on=datetime.date(2025, 7, 1),
    )
    assert province_and_merged(bac_giang.pk) == sorted([bac_giang.pk, other.pk])
    assert Commune.objects.visible_to(province_official).filter(pk=theirs.pk).exists()

    link.delete()
    assert not Commune.objects.visible_to(province_official).filter(pk=theirs.pk).exists()
