import hashlib
import json

import pytest
from django.core.management import call_command

from communes.models import Commune, District, Province
from communes.services import UNITS_FILE, units_load


@pytest.mark.django_db
def test_the_real_province_has_10_districts_and_209_communes():
    assert Province.objects.get().code == "24"
    assert District.objects.count() == 10
    assert Commune.objects.count() == 209


@pytest.mark.django_db
def test_doi_ngo_is_a_town_of_luc_nam_which_has_25_communes():
    doi_ngo = Commune.objects.select_related("district").get(code="7444")
    assert doi_ngo.name == "Thị trấn Đồi Ngô"
    assert doi_ngo.district.code == "218"
    assert doi_ngo.district.name == "Huyện Lục Nam"
    assert doi_ngo.district.communes.count() == 25


@pytest.mark.django_db
def test_le_loi_ward_is_in_bac_giang_city():
    le_loi = Commune.objects.select_related("district").get(code="7219")
    assert le_loi.name == "Phường Lê Lợi"
    assert le_loi.kind == "phường"
    assert le_loi.district.code == "213"


# sha256 of ../shared/data/bac_giang_2023_units.json, the real units with official codes.
SHARED_UNITS_SHA256 = "5ab5e6bec4c0759aa422b80085c59ecf0ad562941f5bec25cb00d28fa3be7a8d"


def test_the_project_data_file_is_the_shared_one_unchanged():
    assert hashlib.sha256(UNITS_FILE.read_bytes()).hexdigest() == SHARED_UNITS_SHA256
    shared = UNITS_FILE.parents[3] / "shared" / "data" / "bac_giang_2023_units.json"
    if shared.exists():  # beside the checkout on developers' machines and in CI
        assert UNITS_FILE.read_bytes() == shared.read_bytes()


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    call_command("load_units")
    result = units_load()
    assert (result.created, result.updated) == (0, 0)
    assert District.objects.count() == 10
    assert Commune.objects.count() == 209


@pytest.mark.django_db
def test_a_renamed_unit_is_updated_not_duplicated(tmp_path):
    data = json.loads(UNITS_FILE.read_text())
    for district in data["districts"]:
        for commune in district["communes"]:
            if commune["code"] == 7444:
                commune["name"] = "Thị trấn Đồi Ngô Mới"
    renamed = tmp_path / "units.json"
    renamed.write_text(json.dumps(data, ensure_ascii=False))

    result = units_load(path=renamed)

    assert result.updated == 1
    assert Commune.objects.count() == 209
    doi_ngo = Commune.objects.get(code="7444")
    assert doi_ngo.name == "Thị trấn Đồi Ngô Mới"
    assert doi_ngo.search_name == "thi tran doi ngo moi"


@pytest.mark.django_db
def test_every_unit_keeps_an_accent_free_copy_of_its_name():
    assert Commune.objects.get(code="7444").search_name == "thi tran doi ngo"
    assert District.objects.get(code="218").search_name == "huyen luc nam"
