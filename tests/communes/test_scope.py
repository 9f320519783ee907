import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from communes.access import get_commune_for_user, get_district_for_user, has_role
from communes.models import Commune, District, Role, UserScope
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
