"""The review queue at national scope: bounded selects, a search, filters kept across pages,
and the caller's scope enforced whatever the filter values say."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.filters import SELECT_LIMIT
from communes.models import Commune, Criterion, District, Evidence, EvidenceState, Province, Role
from communes.text import fold
from tests.conftest import LUC_NAM

REVIEWS = reverse("reviews")
PER_DISTRICT = 100  # 3 districts: 300 communes waiting for review, past SELECT_LIMIT


@pytest.fixture
def national(db):
    """A province of 3 districts and 300 communes, each with one submitted item."""
    province = Province.objects.create(code="99", name="Tỉnh Thử Nghiệm", kind="tỉnh")
    districts = District.objects.bulk_create(
        District(
            code=f"99{n}", name=f"Huyện Thử {n}", search_name=f"huyen thu {n}", kind="huyện",
            province=province,
        )
        for n in range(3)
    )  # fmt: skip
    names = [f"Xã Đồng Thử {n:03d}" for n in range(3 * PER_DISTRICT)]
    communes = Commune.objects.bulk_create(
        Commune(
            code=f"99{n:03d}", name=name, search_name=fold(name), kind="xã",
            district=districts[n // PER_DISTRICT], province=province,
        )
        for n, name in enumerate(names)
    )  # fmt: skip
    criterion = Criterion.objects.get(code="CSVC-01")
    now = timezone.now()
    Evidence.objects.bulk_create(
        Evidence(
            commune=commune, criterion=criterion, year=2025, state=EvidenceState.SUBMITTED,
            submitted_at=now - datetime.timedelta(minutes=n),
        )
        for n, commune in enumerate(communes)
    )  # fmt: skip
    return {"province": province, "districts": districts, "communes": communes}


def selects(page: str) -> dict[str, int]:
    """{name: number of options} of every <select> of the page."""
    found = {}
    for match in re.finditer(r'<select name="(\w+)".*?</select>', page, re.S):
        found[match[1]] = match[0].count("<option")
    return found


def shown(response) -> list[str]:
    return [e.commune.code for e in response.context["page"].object_list]


def test_the_admins_queue_offers_no_select_longer_than_the_limit_and_a_search_instead(
    client_for, admin_user, national
):
    response = client_for(admin_user).get(REVIEWS)
    page = response.content.decode()

    assert response.context["counts"]["total"] == 300
    assert max(selects(page).values()) <= SELECT_LIMIT + 1  # + "all"
    assert "commune" not in selects(page)  # 300 communes wait: found by a search
    assert selects(page)["province"] >= 2  # Bắc Giang and the test's province
    assert 'name="q"' in page and "Tìm xã (tên hoặc mã)" in page


def test_the_admin_picks_a_province_then_a_district_whose_communes_are_then_offered(
    client_for, admin_user, national
):
    client = client_for(admin_user)
    by_province = client.get(REVIEWS, {"province": "99"})
    assert selects(by_province.content.decode())["district"] == 3 + 1
    assert by_province.context["counts"]["total"] == 300

    second = national["districts"][1]
    by_district = client.get(REVIEWS, {"province": "99", "district": second.code})
    page = by_district.content.decode()
    assert by_district.context["counts"]["total"] == PER_DISTRICT
    assert {c.district_id for c in Commune.objects.filter(code__in=shown(by_district))} == {
        second.pk
    }
    assert selects(page)["commune"] == PER_DISTRICT + 1
    one = national["communes"][150]
    assert shown(client.get(REVIEWS, {"district": second.code, "commune": one.pk})) == [one.code]


def test_the_search_finds_communes_by_name_without_diacritics_or_by_code(
    client_for, admin_user, national
):
    client = client_for(admin_user)
    assert shown(client.get(REVIEWS, {"q": "dong thu 042"})) == ["99042"]
    assert shown(client.get(REVIEWS, {"q": "Đồng Thử 04"})) == [
        f"99{n:03d}" for n in range(49, 39, -1)
    ]  # oldest submission first
    assert shown(client.get(REVIEWS, {"q": "99123"})) == ["99123"]
    assert shown(client.get(REVIEWS, {"q": "không có xã này"})) == []


def test_pagination_keeps_the_filters(client_for, admin_user, national):
    client = client_for(admin_user)
    first = client.get(REVIEWS, {"province": "99", "q": "dong thu 1", "overdue": ""})
    assert first.context["page"].paginator.count == PER_DISTRICT
    page = first.content.decode()
    next_link = re.search(r'href="\?([^"]*page=2)"', page)[1].replace("&amp;", "&")
    assert "province=99" in next_link and "q=dong+thu+1" in next_link

    second = client.get(REVIEWS + "?" + next_link)
    assert second.context["page"].number == 2
    assert second.context["page"].paginator.count == PER_DISTRICT
    assert set(shown(second)) <= {f"99{n:03d}" for n in range(100, 200)}
    assert 'href="?' in second.content.decode() and "page=1" in second.content.decode()


def test_a_district_official_keeps_a_friendly_select_of_its_waiting_communes(
    client_for, district_official, doi_ngo, national
):
    Evidence.objects.create(
        commune=doi_ngo, criterion=Criterion.objects.get(code="CSVC-02"), year=2025,
        state=EvidenceState.SUBMITTED, submitted_at=timezone.now(),
    )  # fmt: skip
    response = client_for(district_official).get(REVIEWS)
    page = response.content.decode()
    assert selects(page) == {"commune": 2, "year": selects(page)["year"]}
    assert doi_ngo.name in page and "Đồng Thử" not in page
    assert 'type="text" name="q"' not in page  # no search needed for a short list


@pytest.mark.parametrize(
    "params",
    [
        {"district": "990"},  # another province's district
        {"commune": "OTHER"},  # another province's commune (its pk, set below)
        {"province": "99"},  # not a filter of a district official: ignored, own items only
        {"q": "dong thu"},  # a search reaches only the caller's communes
    ],
    ids=["district", "commune", "province", "search"],
)
def test_filter_values_outside_the_scope_never_show_others_items(
    client_for, district_official, province_official, national, params
):
    other = national["communes"][0]
    params = {k: (other.pk if v == "OTHER" else v) for k, v in params.items()}
    for user in (district_official, province_official):
        response = client_for(user).get(REVIEWS, params)
        assert response.status_code == 200
        codes = shown(response)
        assert not set(codes) & {c.code for c in national["communes"]}
        if "district" in params or "commune" in params:
            assert codes == []  # an error, and nothing shown
            assert "ngoài phạm vi của bạn" in response.content.decode()


def test_a_provincial_reviewer_where_there_are_no_districts_searches_only_its_communes(
    client_for, reorganized_units, make_user, national
):
    from tests.test_url_access import TODAY

    bac_ninh = Commune.objects.in_force(on=TODAY).get(code="7210")
    reviewer = make_user(Role.PROVINCE_REVIEWER, "24", on=TODAY)
    Evidence.objects.create(
        commune=bac_ninh, criterion=Criterion.objects.get(code="CSVC-01"), year=2026,
        state=EvidenceState.SUBMITTED, submitted_at=timezone.now(),
    )  # fmt: skip
    client = client_for(reviewer)
    assert shown(client.get(REVIEWS)) == ["7210"]
    assert shown(client.get(REVIEWS, {"q": fold(bac_ninh.name)})) == ["7210"]
    assert shown(client.get(REVIEWS, {"q": "dong thu"})) == []
    outside = client.get(REVIEWS, {"district": national["districts"][0].code})
    assert shown(outside) == []


def test_a_district_official_cannot_name_another_district_in_the_address(
    client_for, district_official, national
):
    assert District.objects.get(code=LUC_NAM) != national["districts"][0]
    response = client_for(district_official).get(REVIEWS, {"district": "213"})
    assert shown(response) == []
    assert "ngoài phạm vi của bạn" in response.content.decode()
