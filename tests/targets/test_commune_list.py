"""The province-wide list of communes: scope, filters, search without diacritics, sorting,
Excel; and the public page's search."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from communes.models import Commune, Criterion, Evidence, EvidenceState
from targets.models import Status
from tests.conftest import DOI_NGO, LE_LOI, LUC_NAM
from tests.targets.dashboard_data import give_status

LIST = "/communes/"


def codes(response):
    """The codes of every commune the list holds, over all its pages."""
    return [c.code for c in response.context["page"].paginator.object_list]


def test_the_province_lists_all_its_communes_and_a_district_only_its_own(
    client_for, province_official, district_official
):
    assert len(codes(client_for(province_official).get(LIST))) == 209
    district = codes(client_for(district_official).get(LIST))
    assert len(district) == Commune.objects.filter(district__code=LUC_NAM).count()
    assert LE_LOI not in district


def test_the_list_shows_a_page_of_rows_and_its_links_keep_the_filters_and_the_sort(
    client_for, province_official
):
    client = client_for(province_official)
    first = client.get(LIST, {"year": 2024, "kind": "xã", "sort": "-name"})
    rows = first.context["table"].rows
    everything = first.context["page"].paginator.object_list
    assert len(rows) == 100 < len(everything)
    assert rows == everything[:100]  # the first hundred of the sorted list
    page = first.content.decode()
    assert 'href="?year=2024&amp;kind=x%C3%A3&amp;sort=-name&amp;page=2"' in page
    second = client.get(LIST, {"year": 2024, "kind": "xã", "sort": "-name", "page": 2})
    assert second.context["table"].rows == everything[100:200]
    # A new sort starts again from the first page.
    assert "page=2" not in page.split('id="table-communes"')[1].split("</thead>")[0]


def test_an_administrator_picks_a_province_before_its_districts_are_offered(client_for, admin_user):
    from communes.filters import SELECT_LIMIT

    client = client_for(admin_user)
    form = client.get(LIST).context["filter"].form
    assert "province" in form.fields
    assert len(form.fields["district"].widget.choices) <= SELECT_LIMIT + 1
    chosen = client.get(LIST, {"province": "24"}).context["filter"].form
    assert len(chosen.fields["district"].widget.choices) == 10 + 1


def test_commune_staff_and_anonymous_users_have_no_list(client_for, commune_staff):
    assert client_for(commune_staff).get(LIST).status_code == 403
    assert client_for(None).get(LIST)["Location"].startswith("/accounts/login/")


def test_the_list_answers_only_get(client_for, province_official):
    assert client_for(province_official).post(LIST).status_code == 405


@pytest.mark.parametrize("query", ["tam di", "Tam Dị", "TAM DI", "tam dị"])
def test_a_commune_is_found_by_its_name_with_or_without_diacritics(
    client_for, province_official, query
):
    found = client_for(province_official).get(LIST, {"q": query}).context["table"].rows
    assert [c.name for c in found] == ["Xã Tam Dị"]


def test_the_list_filters_by_district_status_kind_and_missing_criterion(
    client_for, province_official, doi_ngo, le_loi
):
    give_status(doi_ngo, 2025, Status.CERTIFIED)
    give_status(le_loi, 2025, Status.IN_PROGRESS)
    client = client_for(province_official)

    assert codes(client.get(LIST, {"year": 2025, "status": "CERTIFIED"})) == [DOI_NGO]
    not_certified = codes(client.get(LIST, {"year": 2025, "status": "NOT_CERTIFIED"}))
    assert DOI_NGO not in not_certified and LE_LOI in not_certified
    assert len(not_certified) == 208  # the ones never computed are not certified either
    by_district = codes(client.get(LIST, {"district": LUC_NAM}))
    assert DOI_NGO in by_district and LE_LOI not in by_district
    wards = client.get(LIST, {"kind": "phường"}).context["table"].rows
    assert wards and all(c.kind == "phường" for c in wards)

    Evidence.objects.create(
        commune=doi_ngo,
        criterion=Criterion.objects.get(code="CSVC-01"),
        year=2025,
        state=EvidenceState.APPROVED,
    )
    missing = codes(client.get(LIST, {"year": 2025, "missing": "CSVC-01"}))
    assert DOI_NGO not in missing and LE_LOI in missing and len(missing) == 208


def test_the_list_sorts_on_the_server(client_for, province_official):
    client = client_for(province_official)
    names = [c.name for c in client.get(LIST, {"sort": "-name"}).context["table"].rows]
    from communes.text import fold

    assert [fold(n) for n in names] == sorted((fold(n) for n in names), reverse=True)
    html = client.get(LIST).content.decode()
    assert 'href="?sort=-name#table-communes"' in html or "sort=-name" in html


def test_the_list_exports_what_it_shows_to_excel(client_for, province_official):
    response = client_for(province_official).get(LIST, {"q": "tam di", "format": "xlsx"})
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "Xã Tam Dị" in values and "Huyện Lục Nam" in values


def test_the_list_runs_the_same_queries_for_209_communes(
    client_for, province_official, django_assert_max_num_queries
):
    for commune in Commune.objects.all()[:100]:
        give_status(commune, 2025, Status.NOT_MET, [{"code": "x", "params": {}}])
    client = client_for(province_official)
    # Session, user, scope, the navigation's counts, the districts and criteria of the
    # filter, the one table query and the criterion titles: guards against a query per
    # commune for its district or status.
    # (+1 since units through time: the programme years)
    # (+1: the former districts the filter offers, from the lineage links)
    # (+2: the table is counted and paged in SQL, and the recognitions of its page read)
    # (+1: the provinces merged into the province, read once and then from the cache)
    with django_assert_max_num_queries(14):
        assert client.get(LIST, {"year": 2025}).status_code == 200


def test_todays_communes_are_found_by_their_former_district(
    client_for, make_user, reorganized_units
):
    from communes.models import Role
    from targets.models import YearTarget

    YearTarget.objects.create(year=2026, percent=100)
    official = make_user(
        Role.PROVINCE, "24", username="tinh-bacninh-list", on=datetime.date(2026, 3, 1)
    )
    client = client_for(official)
    page = client.get(LIST, {"year": 2026})
    offered = dict(page.context["filter"].form.fields["former_district"].choices)
    assert "Huyện Lục Nam (218)" in offered

    found = codes(client.get(LIST, {"year": 2026, "former_district": "Huyện Lục Nam (218)"}))
    # Xã Lục Nam (7444) was formed from Đồi Ngô and its neighbours; Phường Bắc Giang (7210)
    # from the city's wards.
    assert DOI_NGO in found and "7210" not in found
    assert all(
        Commune.objects.get(code=code, valid_from=datetime.date(2025, 7, 1))
        .predecessor_links.filter(predecessor_district="Huyện Lục Nam (218)")
        .exists()
        for code in found
    )


# --- The public page's search ----------------------------------------------------------------


def test_a_citizen_finds_their_commune_and_its_status_without_logging_in(client, db):
    tam_di = Commune.objects.get(name="Xã Tam Dị")
    give_status(tam_di, 2025, Status.CERTIFIED)

    response = client.get("/public/", {"q": "tam di", "year": 2025})

    assert response.status_code == 200
    assert [c.name for c in response.context["found"]] == ["Xã Tam Dị"]
    assert "Đạt chuẩn" in response.content.decode()
    assert client.get("/public/", {"q": "khong co xa nay"}).context["found"] == []


def test_every_page_has_a_search_box_in_its_navigation(client_for, province_official, client):
    html = client_for(province_official).get("/work/").content.decode()
    assert 'action="/communes/"' in html and 'name="q"' in html
    client.logout()
    assert 'action="/public/"' in client.get("/public/").content.decode()


def test_the_public_search_costs_the_same_queries_whatever_it_finds(
    client, db, django_assert_max_num_queries
):
    client.get("/public/")  # the figures are cached once, as on a busy public page
    # The time of the last computation and one query for the communes found with their
    # status and district, and the programme years: guards against a query per commune
    # found.
    with django_assert_max_num_queries(3):
        assert len(client.get("/public/", {"q": "xa"}).context["found"]) == 30


def test_every_column_sorts_in_sql_as_the_table_sorts_in_python(db):
    """A page of the national list is sorted and cut by the database: each sortable
    column orders the rows as the table's own sort of every row would (values compared,
    ties aside), missing values last in both directions."""
    import random

    from communes.models import District
    from targets import selectors, tables

    rng = random.Random(15)
    communes = list(Commune.objects.filter(district__code=LUC_NAM).order_by("code"))
    for commune in communes[::3]:
        responses = rng.choice([0, 10, 40])
        give_status(
            commune,
            2025,
            rng.choice([Status.NOT_MET, Status.CERTIFIED, Status.IN_PROGRESS]),
            [{"code": "x", "params": {}}] * rng.randint(0, 3),
            responses=responses,
            satisfied=rng.randint(0, responses),
            required=rng.choice([0, 10]),
            approved=rng.randint(0, 10),
        )
    rows = selectors.commune_rows(
        year=2025, communes=Commune.objects.filter(district__in=District.objects.all()[:3])
    )
    every = list(rows)
    assert len(every) > 50
    for key in selectors.COMMUNE_SQL_ORDER:
        for sort in (key, f"-{key}"):
            in_python = tables.commune_table(every, sort=sort, with_district=True)
            in_sql = tables.commune_table(
                list(selectors.commune_rows_sorted(rows, sort=sort)),
                sort=sort,
                with_district=True,
                sorted_in_sql=True,
            )
            column = next(c for c in in_python.columns if c.key == key)
            folded = [tables._sort_key(column.value(r)) for r in in_python.rows]
            assert [tables._sort_key(column.value(r)) for r in in_sql.rows] == folded, sort
            assert in_sql.sort == sort


def test_an_administrators_list_renders_one_page_and_sorts_by_sql_columns_only(
    client_for, admin_user
):
    response = client_for(admin_user).get(LIST, {"year": 2025, "sort": "-recognition"})
    assert response.status_code == 200
    table = response.context["table"]
    assert len(table.rows) == 100
    assert table.sort == ""  # the recognition's wording does not sort a paged list
    headers = {h.column.key: h.sort_value for h in table.headers}
    assert headers["recognition"] is None and headers["name"] == "name"
