"""The units of each period, their identities and the lineage between them."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from communes.models import Certainty, Commune, CommuneLink, District, LinkKind, Province
from communes.services import units_load
from tests.conftest import commune_on

D2024 = datetime.date(2024, 6, 1)
D2025 = datetime.date(2025, 1, 1)
LAST_DAY_OF_BAC_GIANG = datetime.date(2025, 6, 30)
D2026 = datetime.date(2026, 1, 1)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "communes", "districts"),
    [
        (datetime.date(2023, 1, 1), 209, 10),
        (datetime.date(2024, 12, 31), 209, 10),
        (D2025, 192, 10),
        (LAST_DAY_OF_BAC_GIANG, 192, 10),
        (datetime.date(2025, 7, 1), 99, 0),
        (D2026, 99, 0),
    ],
)
def test_each_period_has_its_units(reorganized_units, day, communes, districts):
    assert Commune.objects.in_force(on=day).count() == communes
    assert District.objects.in_force(on=day).count() == districts
    assert Province.objects.in_force(on=day).count() == 1


def test_luc_nam_has_25_communes_in_2023_and_24_in_2025(reorganized_units):
    for day, count in ((D2024, 25), (D2025, 24)):
        luc_nam = District.objects.in_force(on=day).get(code="218")
        assert Commune.objects.in_force(on=day).filter(district=luc_nam).count() == count


def test_the_new_province_has_58_communes_from_bac_giang_and_41_from_bac_ninh(
    reorganized_units,
):
    today = Commune.objects.in_force(on=D2026)
    with_predecessors = today.filter(predecessor_links__predecessor__isnull=False).distinct()
    assert with_predecessors.count() == 58
    from_bac_ninh = today.exclude(pk__in=with_predecessors)
    assert from_bac_ninh.count() == 41
    assert all(c.district_id is None for c in today)
    assert {c.province.name for c in today.select_related("province")} == {"Tỉnh Bắc Ninh"}


def test_le_loi_became_tran_phu_then_phuong_bac_giang(reorganized_units):
    le_loi = commune_on(D2024, "7219")
    assert le_loi.name == "Phường Lê Lợi"
    assert le_loi.valid_to == datetime.date(2024, 12, 31)
    to_tran_phu = le_loi.successor_links.get()
    assert to_tran_phu.kind == LinkKind.WHOLE
    assert to_tran_phu.resolution == "NQ 1191/NQ-UBTVQH15"
    tran_phu = to_tran_phu.successor
    assert (tran_phu.code, tran_phu.name) == ("7213", "Phường Trần Phú")
    # Trần Phú absorbed Lê Lợi and kept its code and district: the same row as in 2023.
    assert tran_phu == commune_on(D2024, "7213") == commune_on(D2025, "7213")
    bac_giang = tran_phu.successor_links.get().successor
    assert (bac_giang.code, bac_giang.name) == ("7210", "Phường Bắc Giang")
    assert bac_giang.valid_from == datetime.date(2025, 7, 1)


def test_doi_ngo_became_xa_luc_nam_with_the_same_code(reorganized_units):
    doi_ngo = commune_on(LAST_DAY_OF_BAC_GIANG, "7444")
    luc_nam = commune_on(D2026, "7444")
    assert doi_ngo.name == "Thị trấn Đồi Ngô"
    assert luc_nam.name == "Xã Lục Nam"
    assert doi_ngo != luc_nam
    assert luc_nam.predecessor_links.filter(predecessor=doi_ngo, kind=LinkKind.WHOLE).exists()
    assert doi_ngo == commune_on(D2024, "7444")  # Đồi Ngô did not change on 1/1/2025


def test_a_reused_code_is_two_units(reorganized_units):
    hoang_van_thu = commune_on(D2024, "7210")
    bac_giang = commune_on(D2026, "7210")
    assert hoang_van_thu.name == "Phường Hoàng Văn Thụ"
    assert bac_giang.name == "Phường Bắc Giang"
    assert hoang_van_thu.pk != bac_giang.pk
    assert hoang_van_thu.province.name == "Tỉnh Bắc Giang"
    assert bac_giang.province.name == "Tỉnh Bắc Ninh"
    assert hoang_van_thu.province.code == bac_giang.province.code == "24"


def test_no_code_has_two_units_in_force_on_the_same_day(reorganized_units):
    for day in (D2024, datetime.date(2024, 12, 31), D2025, LAST_DAY_OF_BAC_GIANG, D2026):
        codes = list(Commune.objects.in_force(on=day).values_list("code", flat=True))
        assert len(codes) == len(set(codes))


def test_a_commune_that_moved_district_gets_a_new_row_and_keeps_its_history(
    reorganized_units,
):
    # Nham Biền (Yên Dũng) joined Bắc Giang city on 1/1/2025.
    before = commune_on(D2024, "7681")
    after = commune_on(D2025, "7681")
    assert before.district.name == "Huyện Yên Dũng"
    assert after.district.name == "Thành phố Bắc Giang"
    assert before.pk != after.pk
    link = after.predecessor_links.get()
    assert (link.predecessor, link.kind) == (before, LinkKind.PARENT_CHANGED)
    assert District.objects.get(code="221").valid_to == datetime.date(2024, 12, 31)


def test_a_renamed_commune_keeps_its_row_and_its_former_name(reorganized_units):
    song_mai = commune_on(D2024, "7222")
    assert song_mai == commune_on(D2025, "7222")
    assert song_mai.name == "Phường Song Mai"
    change = song_mai.successor_links.get(effective_on=D2025)
    assert change.successor == song_mai
    assert (change.kind, change.former_name, change.former_kind) == (
        LinkKind.KIND_CHANGED,
        "Xã Song Mai",
        "xã",
    )


def test_the_uncertain_links_are_loaded_marked_as_such(reorganized_units):
    uncertain = {
        (link.predecessor_code, link.certainty, getattr(link.successor, "code", None))
        for link in CommuneLink.objects.uncertain().select_related("successor")
    }
    assert uncertain == {
        ("7276", Certainty.UNVERIFIED, "7261"),
        ("7813", Certainty.UNVERIFIED, "7816"),
        ("7684", Certainty.UNKNOWN, None),
    }
    lao_ho = CommuneLink.objects.get(predecessor_code="7684")
    assert "UNKNOWN" in lao_ho.note
    assert lao_ho.predecessor.valid_to == datetime.date(2024, 12, 31)


def test_the_communes_of_old_bac_ninh_keep_their_predecessors_as_text(reorganized_units):
    lam_thao = commune_on(D2026, "9529")
    names = {
        (link.predecessor_name, link.predecessor_district, link.predecessor_province)
        for link in lam_thao.predecessor_links.all()
    }
    assert ("Xã Bình Định", "Huyện Lương Tài (264)", "Tỉnh Bắc Ninh (27)") in names
    assert all(link.predecessor_id is None for link in lam_thao.predecessor_links.all())


def test_a_link_an_administrator_corrected_survives_a_reload(reorganized_units, admin_user):
    from django.utils import timezone

    link = CommuneLink.objects.get(predecessor_code="7684")
    link.successor = commune_on(D2025, "7690")
    link.certainty = Certainty.VERIFIED
    link.checked_by, link.checked_at = admin_user, timezone.now()
    link.save()

    result = units_load()

    link.refresh_from_db()
    assert (link.successor.code, link.certainty) == ("7690", Certainty.VERIFIED)
    assert result.links_kept == 1
    assert CommuneLink.objects.filter(predecessor_code="7684").count() == 1


def test_a_unit_may_not_overlap_another_with_the_same_code(reorganized_units):
    clash = Commune(
        code="7210",
        name="Phường Trùng",
        kind="phường",
        province=Province.objects.in_force(on=D2026).get(),
        valid_from=datetime.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError):
        clash.full_clean()
