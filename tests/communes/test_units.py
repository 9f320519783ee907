import hashlib
import json

import pytest
from django.core.management import call_command

from communes.models import Commune, District, Province
from communes.services import UNITS_FILE, units_load
from communes.services.units import BAC_NINH_FILE, LINEAGE_FILE, UNITS_2025_FILE


@pytest.mark.django_db
def test_the_real_province_has_10_districts_and_209_communes():
    assert Province.objects.get().code == "24"
    assert District.objects.count() == 10
    assert Commune.objects.count() == 209


@pytest.mark.django_db
def test_doi_ngo_is_a_town_of_luc_nam_which_has_25_communes():
    doi_ngo = Commune.objects.select_related("district").get(code="7444", valid_from=None)
    assert doi_ngo.name == "Thị trấn Đồi Ngô"
    assert doi_ngo.district.code == "218"
    assert doi_ngo.district.name == "Huyện Lục Nam"
    assert doi_ngo.district.communes.count() == 25


@pytest.mark.django_db
def test_le_loi_ward_is_in_bac_giang_city():
    le_loi = Commune.objects.select_related("district").get(code="7219", valid_from=None)
    assert le_loi.name == "Phường Lê Lợi"
    assert le_loi.kind == "phường"
    assert le_loi.district.code == "213"


# sha256 of ../shared/data/bac_giang_2023_units.json, the real units with official codes.
SHARED_UNITS_SHA256 = "5ab5e6bec4c0759aa422b80085c59ecf0ad562941f5bec25cb00d28fa3be7a8d"


# ... and of the later periods' lists and the lineage table.
SHARED_FILES_SHA256 = {
    "bac_giang_2025_units.json": "13cb645a6ed0682b6a8b0462e63fa8985d46f7b337d1cf28bd41fb26f595a370",
    "bac_ninh_2025_units.json": "99a71eba63acca07bac34afb595745cfcb965d5b409413d0ab143560d739d4e8",
    "bac_giang_lineage_2023_2025.csv": (
        "df1ec68f5a5a35aedb29830f9abfd4903651d560daaa8ed769fd5542a1f17a40"
    ),
}


def test_the_project_data_file_is_the_shared_one_unchanged():
    assert hashlib.sha256(UNITS_FILE.read_bytes()).hexdigest() == SHARED_UNITS_SHA256
    shared = UNITS_FILE.parents[3] / "shared" / "data" / "bac_giang_2023_units.json"
    if shared.exists():  # beside the checkout on developers' machines and in CI
        assert UNITS_FILE.read_bytes() == shared.read_bytes()


@pytest.mark.parametrize("path", [UNITS_2025_FILE, BAC_NINH_FILE, LINEAGE_FILE], ids=str)
def test_the_later_periods_files_are_the_shared_ones_unchanged(path):
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHARED_FILES_SHA256[path.name]
    shared = UNITS_FILE.parents[3] / "shared" / "data" / path.name
    if shared.exists():
        assert path.read_bytes() == shared.read_bytes()


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    call_command("load_units")
    result = units_load()
    assert (result.created, result.updated) == (0, 0)
    assert (result.links_created, result.links_updated) == (0, 0)
    assert District.objects.count() == 11  # Thị xã Chũ from 1/1/2025
    assert Commune.objects.count() == 209 + 27 + 99


@pytest.mark.django_db
def test_a_renamed_unit_is_updated_not_duplicated(tmp_path):
    data = json.loads(UNITS_FILE.read_text())
    for district in data["districts"]:
        for commune in district["communes"]:
            if commune["code"] == 7444:
                commune["name"] = "Thị trấn Đồi Ngô Mới"
    renamed = tmp_path / "units.json"
    renamed.write_text(json.dumps(data, ensure_ascii=False))

    result = units_load(path=renamed, reorganizations=False)

    assert result.updated == 1
    assert Commune.objects.count() == 209
    doi_ngo = Commune.objects.get(code="7444", valid_from=None)
    assert doi_ngo.name == "Thị trấn Đồi Ngô Mới"
    assert doi_ngo.search_name == "thi tran doi ngo moi"


@pytest.mark.django_db
def test_every_unit_keeps_an_accent_free_copy_of_its_name():
    assert Commune.objects.get(code="7444", valid_from=None).search_name == "thi tran doi ngo"
    assert District.objects.get(code="218").search_name == "huyen luc nam"
