import datetime

import pytest
from django.urls import reverse


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "admin:index",
        "admin:communes_province_changelist",
        "admin:communes_district_changelist",
        "admin:communes_commune_changelist",
        "admin:communes_steeringcommittee_changelist",
        "admin:communes_criterion_changelist",
        "admin:communes_evidence_changelist",
        "admin:auth_user_changelist",
        "admin:surveys_surveyresponse_changelist",
        "admin:targets_yeartarget_changelist",
    ],
)
def test_admin_pages_load(admin_client_, name):
    assert admin_client_.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_searching_communes_without_diacritics_finds_doi_ngo(admin_client_):
    response = admin_client_.get(reverse("admin:communes_commune_changelist"), {"q": "doi ngo"})
    assert response.status_code == 200
    names = [c.name for c in response.context["cl"].result_list]
    assert names == ["Thị trấn Đồi Ngô"]


@pytest.mark.django_db
def test_searching_communes_by_code_and_with_diacritics(admin_client_):
    url = reverse("admin:communes_commune_changelist")
    by_code = admin_client_.get(url, {"q": "7219"}).context["cl"].result_list
    assert [c.name for c in by_code] == ["Phường Lê Lợi"]
    accented = admin_client_.get(url, {"q": "Lê Lợi"}).context["cl"].result_list
    assert "Phường Lê Lợi" in [c.name for c in accented]


@pytest.mark.django_db
def test_searching_districts_without_diacritics(admin_client_):
    response = admin_client_.get(reverse("admin:communes_district_changelist"), {"q": "luc nam"})
    assert [d.code for d in response.context["cl"].result_list] == ["218"]


@pytest.mark.django_db
def test_communes_filter_by_district_and_kind(admin_client_, luc_nam):
    url = reverse("admin:communes_commune_changelist")
    in_luc_nam = admin_client_.get(url, {"district__id__exact": luc_nam.pk})
    assert in_luc_nam.context["cl"].result_count == 25
    wards = admin_client_.get(url, {"kind": "phường"})
    assert wards.context["cl"].result_count > 0
    assert all(c.kind == "phường" for c in wards.context["cl"].result_list)


@pytest.mark.django_db
def test_the_user_admin_shows_role_and_scope(admin_client_, commune_staff):
    response = admin_client_.get(reverse("admin:auth_user_changelist"))
    assert "Cán bộ cấp xã" in response.content.decode()
    assert "Thị trấn Đồi Ngô" in response.content.decode()
    change = admin_client_.get(reverse("admin:auth_user_change", args=[commune_staff.pk]))
    assert change.status_code == 200
    assert "scope-0-role" in change.content.decode() or "scope-" in change.content.decode()


@pytest.mark.django_db
def test_non_staff_users_are_kept_out_of_admin(client, commune_staff):
    client.force_login(commune_staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_the_admin_edits_criteria_and_practices_in_both_languages(client, admin_user):
    from communes.models import Criterion, GoodPractice

    client.force_login(admin_user)
    criterion = Criterion.objects.get(code="CSVC-01")
    html = client.get(reverse("admin:communes_criterion_change", args=[criterion.pk])).content
    for field in ("title_vi", "title_en", "how_met_vi", "how_met_en"):
        assert f'name="{field}"'.encode() in html
    practice = GoodPractice.objects.create(code="p", name="Ngày thứ 6 nhanh", description="Mô tả")
    html = client.get(reverse("admin:communes_goodpractice_change", args=[practice.pk])).content
    assert b'name="name_en"' in html and b'name="description_en"' in html


def _district_filter(response, path="district"):
    cl = response.context["cl"]
    spec = next(s for s in cl.filter_specs if getattr(s, "field_path", None) == path)
    return spec, [label for _pk, label in spec.lookup_choices]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("admin:communes_commune_changelist", "district"),
        ("admin:communes_evidence_changelist", "commune__district"),
        ("admin:surveys_surveyresponse_changelist", "commune__district"),
        ("admin:targets_certificationstatus_changelist", "commune__district"),
        ("admin:targets_statuschange_changelist", "commune__district"),
        ("admin:communes_facilityinvestment_changelist", "district"),
        ("admin:targets_yeartarget_changelist", "district"),
    ],
)
def test_the_admins_district_filters_offer_a_provinces_districts_never_the_countrys(
    admin_client_, name, path
):
    from communes.models import District, Province

    url = reverse(name)
    spec, offered = _district_filter(admin_client_.get(url), path)
    assert offered == []  # no province chosen: no district listed
    assert "chọn tỉnh trước" in str(spec.title)
    province = Province.objects.get(code="24", valid_from=None)
    province_param = path.replace("district", "province") + "__id__exact"
    if name.endswith(("facilityinvestment_changelist", "yeartarget_changelist")):
        province_param = "district__province__id__exact"
    spec, offered = _district_filter(admin_client_.get(url, {province_param: province.pk}), path)
    assert len(offered) == District.objects.filter(province=province).count() == 10
    assert "Huyện Lục Nam" in offered


@pytest.mark.django_db
def test_a_district_in_the_address_still_filters_and_stays_offered(admin_client_, luc_nam):
    url = reverse("admin:communes_evidence_changelist")
    from communes.models import Evidence

    response = admin_client_.get(url, {"commune__district__id__exact": luc_nam.pk})
    spec, offered = _district_filter(response, "commune__district")
    assert offered == [str(luc_nam)]
    assert (
        response.context["cl"].result_count
        == Evidence.objects.filter(commune__district=luc_nam).count()
    )


@pytest.mark.django_db
def test_a_communes_change_form_finds_its_district_by_search_not_a_select_of_all(
    admin_client_, doi_ngo
):
    from communes.models import District

    page = admin_client_.get(reverse("admin:communes_commune_change", args=[doi_ngo.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "admin-autocomplete" in html
    # Only the commune's own district is an option, not every district.
    other = District.objects.exclude(pk=doi_ngo.district_id).first()
    assert f">{other}</option>" not in html and f">{other.name}</option>" not in html
    assert html.count("<option") < 20


@pytest.mark.django_db
def test_the_committees_list_reads_each_rows_unit_with_the_rows(admin_client_):
    """Guards a query per row: each committee names its commune or district."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from communes.models import Commune, Level, SteeringCommittee

    url = reverse("admin:communes_steeringcommittee_changelist")
    counted = []
    for communes in (Commune.objects.order_by("code")[:2], Commune.objects.order_by("code")[2:20]):
        SteeringCommittee.objects.bulk_create(
            SteeringCommittee(
                level=Level.COMMUNE,
                commune=c,
                decision_number="1/QĐ",
                established_on=datetime.date(2024, 3, 1),
            )
            for c in communes
        )
        admin_client_.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert admin_client_.get(url).status_code == 200
        counted.append(len(queries))
    assert counted[0] == counted[1]


@pytest.mark.django_db
def test_every_column_and_filter_of_the_portals_admin_lists_is_named_in_vietnamese(
    admin_client_,
):
    """A field without a Vietnamese name shows Django's default, its English attribute
    name ("Commune", "Imported at"), in the Vietnamese admin."""
    import re

    from django.contrib import admin

    untranslated = {}
    for model in admin.site._registry:
        if model._meta.app_label not in ("communes", "surveys", "targets"):
            continue  # other packages' own names
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        html = admin_client_.get(url).content.decode()
        heads = re.findall(
            r'<th scope="col"[^>]*>.*?<(?:a|span)[^>]*>(.*?)</(?:a|span)>', html, re.S
        )
        titles = re.findall(r"<summary>\s*(.*?)\s*</summary>", html, re.S)
        english = [t.strip() for t in heads + titles if re.fullmatch(r"[A-Za-z _]+", t.strip())]
        if english:
            untranslated[url] = english
    assert untranslated == {}
