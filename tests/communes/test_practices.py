"""Good practices: the registry, a practice's page, recording an adoption, the spread."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.models import Commune, GoodPractice, PracticeAdoption
from tests.conftest import DOI_NGO, LE_LOI
from tests.targets.dashboard_data import fast_friday, set_targets

pytestmark = pytest.mark.django_db

LIST = "/practices/"
DETAIL = "/practices/ngay-thu-6-nhanh/"
ADOPT = "/practices/ngay-thu-6-nhanh/adopt/"


@pytest.fixture
def practice():
    return fast_friday()


def adopt(commune_code, practice, on=date(2024, 3, 1)):
    return PracticeAdoption.objects.create(
        practice=practice, commune=Commune.objects.get(code=commune_code), adopted_on=on
    )


def test_the_registry_lists_each_practice_with_its_origin_and_spread(
    client, province_official, practice
):
    adopt(LE_LOI, practice)
    adopt(DOI_NGO, practice)
    client.force_login(province_official)

    response = client.get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ngày thứ 6 nhanh" in html
    assert "Khởi xướng: Phường Lê Lợi (Thành phố Bắc Giang)" in html
    assert "2/209 xã" in html and "1,0%" in html


def test_a_practice_page_shows_its_description_and_spread_per_district(
    client, province_official, practice
):
    adopt(LE_LOI, practice)
    adopt(DOI_NGO, practice)
    adopt("7450", practice)
    client.force_login(province_official)

    response = client.get(DETAIL)

    assert response.status_code == 200
    rows = {r.code: r for r in response.context["spread_table"].rows}
    assert (rows["218"].adopters, rows["218"].communes_total) == (2, 25)
    assert rows["213"].adopters == 1
    html = response.content.decode()
    assert "3/209 xã, phường, thị trấn đã áp dụng" in html
    assert "8,0%" in html  # 2 of Lục Nam's 25
    assert response.context["form"] is None  # provincial officials do not record adoptions


def test_the_adopting_communes_listed_are_those_in_the_callers_scope(
    client, commune_staff, practice
):
    adopt(LE_LOI, practice)
    adopt(DOI_NGO, practice)
    client.force_login(commune_staff)

    response = client.get(DETAIL)

    assert [a.commune.code for a in response.context["adoptions"]] == [DOI_NGO]
    assert response.context["adopters"] == 2  # the province-wide count stays an aggregate


def test_commune_staff_record_that_their_commune_adopted_a_practice(
    client, commune_staff, practice
):
    client.force_login(commune_staff)

    response = client.post(
        ADOPT,
        {
            "commune": Commune.objects.get(code=DOI_NGO).pk,
            "adopted_on": "05/01/2024",
            "note": "Mỗi thứ Sáu",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == DETAIL
    adoption = PracticeAdoption.objects.get()
    assert (adoption.commune.code, adoption.adopted_on, adoption.note) == (
        DOI_NGO,
        date(2024, 1, 5),
        "Mỗi thứ Sáu",
    )
    assert "Đã ghi nhận Thị trấn Đồi Ngô áp dụng" in response.content.decode()


def test_recording_an_adoption_again_corrects_it_instead_of_counting_twice(
    client, commune_staff, practice
):
    adopt(DOI_NGO, practice, on=date(2024, 1, 1))
    client.force_login(commune_staff)

    client.post(
        ADOPT, {"commune": Commune.objects.get(code=DOI_NGO).pk, "adopted_on": "02/02/2024"}
    )

    assert PracticeAdoption.objects.get().adopted_on == date(2024, 2, 2)


def test_commune_staff_cannot_record_an_adoption_for_another_commune(
    client, commune_staff, practice
):
    client.force_login(commune_staff)

    response = client.post(
        ADOPT, {"commune": Commune.objects.get(code=LE_LOI).pk, "adopted_on": "05/01/2024"}
    )

    assert response.status_code == 400
    assert "commune" in response.context["form"].errors
    assert not PracticeAdoption.objects.exists()


def test_district_officials_record_adoptions_for_their_communes_only(
    client, district_official, practice
):
    client.force_login(district_official)

    client.post(ADOPT, {"commune": Commune.objects.get(code="7450").pk, "adopted_on": "05/01/2024"})
    client.post(ADOPT, {"commune": Commune.objects.get(code=LE_LOI).pk, "adopted_on": "05/01/2024"})

    assert list(PracticeAdoption.objects.values_list("commune__code", flat=True)) == ["7450"]


def test_an_adoption_date_in_the_future_is_refused_with_a_message(client, commune_staff, practice):
    client.force_login(commune_staff)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(
        ADOPT,
        {
            "commune": Commune.objects.get(code=DOI_NGO).pk,
            "adopted_on": tomorrow.strftime("%d/%m/%Y"),
        },
    )

    assert response.status_code == 400
    assert "chưa đến; hãy nhập ngày đã diễn ra" in response.content.decode()
    assert not PracticeAdoption.objects.exists()


def test_provincial_officials_may_not_record_adoptions(client, province_official, practice):
    client.force_login(province_official)
    response = client.post(
        ADOPT, {"commune": Commune.objects.get(code=DOI_NGO).pk, "adopted_on": "05/01/2024"}
    )
    assert response.status_code == 403
    assert not PracticeAdoption.objects.exists()


def test_the_adopt_form_is_offered_to_those_who_may_use_it(
    client, commune_staff, district_official, practice
):
    client.force_login(commune_staff)
    form = client.get(DETAIL).context["form"]
    assert [c.code for c in form.fields["commune"].queryset] == [DOI_NGO]
    client.force_login(district_official)
    assert client.get(DETAIL).context["form"].fields["commune"].queryset.count() == 25


def test_an_unknown_practice_is_404(client, province_official):
    client.force_login(province_official)
    assert client.get("/practices/khong-co/").status_code == 404


def test_practice_pages_need_a_login(client, practice):
    for url in (LIST, DETAIL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert client.post(ADOPT, {}).status_code == 302


def test_users_without_a_scope_are_refused(client, django_user_model, practice):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    assert client.get(LIST).status_code == 403
    assert client.get(DETAIL).status_code == 403


def test_wrong_methods_are_refused(client, commune_staff, practice):
    client.force_login(commune_staff)
    assert client.post(LIST).status_code == 405
    assert client.post(DETAIL).status_code == 405
    assert client.get(ADOPT).status_code == 405


@pytest.mark.usefixtures("rendered_around_the_cache")
def test_dashboards_show_how_far_each_practice_has_spread(client, province_official, practice):
    set_targets()
    adopt(DOI_NGO, practice, on=date(2023, 5, 1))
    adopt("7450", practice, on=date(2024, 5, 1))
    adopt(LE_LOI, practice, on=date(2025, 5, 1))
    client.force_login(province_official)

    dashboard = client.get("/?year=2024").context["dashboard"]

    spread = {p.code: p for p in dashboard.practices}["ngay-thu-6-nhanh"]
    assert spread.adopters == 2  # adopted by the end of 2024
    luc_nam = next(r for r in dashboard.districts if r.code == "218")
    assert luc_nam.adoptions[practice.pk] == 2
    table = client.get("/?year=2024").context["practice_table"]
    assert [c.key for c in table.columns][2:] == [f"p{practice.pk}", f"p{practice.pk}_rate"]


def test_the_practices_query_count_does_not_grow_with_practices(
    client, province_official, practice, django_assert_max_num_queries
):
    client.force_login(province_official)
    client.get(LIST)
    # Guards the per-practice N+1 (origin, adoption count).
    with django_assert_max_num_queries(7):
        client.get(LIST)
    for n in range(5):
        GoodPractice.objects.create(
            code=f"p{n}", name=f"Cách {n}", description="…", origin=practice.origin
        )
    with django_assert_max_num_queries(7):
        client.get(LIST)


def test_an_administrator_types_the_communes_code_instead_of_picking_among_every_commune(
    client, admin_user, practice
):
    # 209 communes are past the 200 a select may hold.
    client.force_login(admin_user)
    page = client.get(DETAIL).content.decode()
    assert '<select name="commune"' not in page
    assert 'name="commune"' in page and "Mã xã, phường, thị trấn" in page

    client.post(ADOPT, {"commune": DOI_NGO, "adopted_on": "05/01/2024"})
    assert list(PracticeAdoption.objects.values_list("commune__code", flat=True)) == [DOI_NGO]
    refused = client.post(ADOPT, {"commune": "0000", "adopted_on": "05/01/2024"})
    assert refused.status_code == 400


def test_an_administrator_reads_the_spread_by_province_and_the_adopters_by_page(
    client, admin_user, practice, monkeypatch, django_assert_max_num_queries
):
    """Nationally the spread has a row per province (63), not per district (705), and the
    adopters are listed a page at a time: the page's size does not grow with the data."""
    from targets import commune_views

    monkeypatch.setattr(commune_views, "PRACTICE_ADOPTIONS_PAGE", 2)
    for code in (LE_LOI, DOI_NGO, "7450"):
        adopt(code, practice)
    client.force_login(admin_user)
    client.get(DETAIL)  # the session and the navigation's counts
    # Guards a query per province of the spread or per adopter.
    with django_assert_max_num_queries(10):
        response = client.get(DETAIL)
    assert response.status_code == 200
    table = response.context["spread_table"]
    assert str(table.title) == "Mức độ nhân rộng theo tỉnh"
    bac_giang = [r for r in table.rows if r.communes_total == 209]
    assert len(bac_giang) == 1 and bac_giang[0].adopters == 3
    assert all(len(r.code) <= 3 for r in table.rows)  # provinces' codes, no district
    assert len(response.context["adoptions"]) == 2
    assert response.context["page"].paginator.count == 3
    second = client.get(DETAIL + "?page=2")
    listed = response.context["adoptions"] + second.context["adoptions"]
    assert sorted(a.commune.code for a in listed) == sorted([LE_LOI, DOI_NGO, "7450"])


def test_a_district_official_reads_the_spread_over_their_own_province_only(
    client, district_official, practice
):
    adopt(LE_LOI, practice)
    client.force_login(district_official)
    response = client.get(DETAIL)
    codes = {r.code for r in response.context["spread_table"].rows}
    assert "218" in codes and "213" in codes and len(codes) == 10  # Bắc Giang's districts
    # The adopters listed are those of the official's scope: not Lê Lợi (Bắc Giang city).
    assert response.context["adoptions"] == []
