"""Deterministic demo data of good practices and facility investment.

Lê Lợi ward's "Ngày thứ 6 nhanh" (Fast Friday) and two other practices, adopted by
communes in step with their demo storyline (``communes.demo.readiness_year``), and the
facility money of the programme: Lục Nam's figures as the district reported them
(about 6.5 billion VND at district level, 1.2 billion for the pilot town Đồi Ngô,
5 billion planned for its other 24 communes), illustrative sums elsewhere, and
illustrative commune rows of 2026 for Tỉnh Bắc Ninh's communes (no districts then).
Idempotent: practices by code, adoptions by (practice, commune), investment rows by
(district, commune, year).
"""

import random
from datetime import date, timedelta

from django.db.models import Q

from communes.demo import readiness_year
from communes.models import Commune, District, FacilityInvestment, GoodPractice, PracticeAdoption

FAST_FRIDAY = "ngay-thu-6-nhanh"
LE_LOI = "7219"
LUC_NAM = "218"
DOI_NGO = "7444"

PRACTICES = [
    {
        "code": FAST_FRIDAY,
        "name": "Ngày thứ 6 nhanh",
        "name_en": "Fast Friday",
        "description_en": (
            "Every Friday the ward's one-stop desk has more civil servants receiving and "
            "settling files. Ordinary procedures that take 1 to 3 working days are settled "
            "and returned the same day, so citizens need not come back.\n\n"
            "Lê Lợi ward (Bắc Giang city) started it within the Friendly government model, "
            "and the province encourages others to follow."
        ),
        "origin": LE_LOI,
        "description": (
            "Mỗi thứ Sáu, Bộ phận một cửa của phường bố trí thêm công chức tiếp nhận và "
            "giải quyết hồ sơ. Những thủ tục hành chính thông thường mất từ 1 đến 3 ngày "
            "làm việc được giải quyết và trả kết quả ngay trong ngày, giúp người dân không "
            "phải đi lại nhiều lần.\n\n"
            "Cách làm do phường Lê Lợi (thành phố Bắc Giang) khởi xướng trong mô hình "
            "Chính quyền thân thiện và được tỉnh khuyến khích nhân rộng."
        ),
    },
    {
        "code": "tra-ket-qua-tai-nha",
        "name": "Trả kết quả thủ tục hành chính tại nhà",
        "name_en": "Results of procedures delivered at home",
        "description_en": (
            "Elderly and disabled people and families of war invalids and martyrs have the "
            "result of their procedure brought home by a civil servant or the post office, "
            "without coming to the one-stop desk."
        ),
        "origin": None,
        "description": (
            "Người cao tuổi, người khuyết tật và gia đình chính sách được công chức hoặc "
            "bưu điện mang kết quả giải quyết thủ tục hành chính đến tận nhà, không phải "
            "đến Bộ phận một cửa."
        ),
    },
    {
        "code": "tinh-nguyen-vien-dvc",
        "name": "Tình nguyện viên hướng dẫn dịch vụ công trực tuyến",
        "name_en": "Volunteers guiding online public services",
        "description_en": (
            "Youth union members at the one-stop desk help citizens submit files online on "
            "the public service portal and pay without cash."
        ),
        "origin": None,
        "description": (
            "Đoàn viên thanh niên trực tại Bộ phận một cửa, hướng dẫn người dân nộp hồ sơ "
            "trực tuyến trên Cổng dịch vụ công và thanh toán không dùng tiền mặt."
        ),
    },
]


def _seed_practices():
    origins = {c.code: c for c in Commune.objects.filter(code__in=[LE_LOI])}
    practices = {}
    for item in PRACTICES:
        practice, _ = GoodPractice.objects.update_or_create(
            code=item["code"],
            defaults={
                "name_vi": item["name"],
                "description_vi": item["description"],
                "name_en": item["name_en"],
                "description_en": item["description_en"],
                "origin": origins.get(item["origin"]),
            },
        )
        practices[item["code"]] = practice
    return practices


# The share of communes adopting each practice, by readiness year: communes that qualify
# early are the ones that spread good practices first.
_ADOPTION_SHARE = {
    FAST_FRIDAY: {2023: 0.55, 2024: 0.35, 2025: 0.2, None: 0.05},
    "tra-ket-qua-tai-nha": {2023: 0.35, 2024: 0.25, 2025: 0.1, None: 0.0},
    "tinh-nguyen-vien-dvc": {2023: 0.6, 2024: 0.45, 2025: 0.3, None: 0.1},
}


def _seed_adoptions(practices, communes):
    rng = random.Random(20230601)  # noqa: S311 (demo data, not security)
    adoptions = []
    for commune in communes:
        ready = readiness_year(commune)
        for code, shares in _ADOPTION_SHARE.items():
            chosen = rng.random() < shares[ready]
            if code == FAST_FRIDAY and commune.code in (LE_LOI, DOI_NGO):
                chosen = True
            if not chosen:
                continue
            if code == FAST_FRIDAY and commune.code == LE_LOI:
                adopted_on, note = date(2023, 1, 6), "Đơn vị khởi xướng."
            else:
                year = ready if ready in (2023, 2024, 2025) else 2025
                adopted_on = date(year, 1, 1) + timedelta(days=rng.randrange(0, 300))
                note = ""
            adoptions.append(
                PracticeAdoption(
                    practice=practices[code], commune=commune, adopted_on=adopted_on, note=note
                )
            )
    PracticeAdoption.objects.bulk_create(
        adoptions,
        update_conflicts=True,
        unique_fields=["practice", "commune"],
        update_fields=["adopted_on", "note"],
    )


def _investment_rows(districts, communes):
    """(district, commune or None, year, planned, spent, note) for every demo row."""
    rows = []
    luc_nam = districts[LUC_NAM]
    rows.append(
        (luc_nam, None, 2023, 6_500_000_000, 6_500_000_000, "Kinh phí cấp huyện (theo báo cáo)")
    )
    others = [c for c in communes if c.district_id == luc_nam.pk and c.code != DOI_NGO]
    doi_ngo = next(c for c in communes if c.code == DOI_NGO)
    rows.append((luc_nam, doi_ngo, 2023, 1_200_000_000, 1_200_000_000, "Thị trấn thí điểm"))
    # 5 billion planned for the other 24 communes, split evenly to the đồng.
    share, rest = divmod(5_000_000_000, len(others))
    for index, commune in enumerate(sorted(others, key=lambda c: c.code)):
        planned = share + (1 if index < rest else 0)
        ready = readiness_year(commune)
        spent = {2023: planned, 2024: planned * 4 // 5, 2025: planned * 2 // 5}.get(ready, 0)
        rows.append((luc_nam, commune, 2024, planned, spent, "Kế hoạch 5 tỷ đồng cho 24 xã"))
    # Other districts: illustrative district-level sums for 2023-2025.
    rng = random.Random(20230101)  # noqa: S311 (demo data, not security)
    for code, district in sorted(districts.items()):
        if code == LUC_NAM:
            continue
        for year in (2023, 2024, 2025):
            planned = rng.randrange(8, 40) * 100_000_000
            spent = planned if year < 2025 else planned * rng.randrange(30, 90) // 100
            rows.append((district, None, year, planned, spent, "Số liệu minh họa"))
    return rows


def _investment_rows_2026(communes_2026):
    """Illustrative commune rows of 2026 for the units in force then with no district
    (Tỉnh Bắc Ninh's 99 communes, summed per commune): the year is under way, so only
    part of each plan is spent."""
    rng = random.Random(20260101)  # noqa: S311 (demo data, not security)
    rows = []
    for commune in communes_2026:
        planned = rng.randrange(2, 12) * 100_000_000
        spent = planned * rng.randrange(40, 95) // 100
        rows.append((None, commune, 2026, planned, spent, "Số liệu minh họa"))
    return rows


def _seed_investment(districts, communes, communes_2026):
    existing = {
        (row.district_id, row.commune_id, row.year): row
        for row in FacilityInvestment.objects.filter(
            Q(district__in=districts.values()) | Q(commune__in=communes_2026)
        )
    }
    to_create, to_update = [], []
    rows = _investment_rows(districts, communes) + _investment_rows_2026(communes_2026)
    for district, commune, year, planned, spent, note in rows:
        key = (district.pk if district else None, commune.pk if commune else None, year)
        row = existing.get(key)
        if row is None:
            to_create.append(
                FacilityInvestment(
                    district=district,
                    commune=commune,
                    year=year,
                    planned_vnd=planned,
                    spent_vnd=spent,
                    note=note,
                )
            )
        else:
            row.planned_vnd, row.spent_vnd, row.note = planned, spent, note
            to_update.append(row)
    FacilityInvestment.objects.bulk_create(to_create)
    FacilityInvestment.objects.bulk_update(to_update, ["planned_vnd", "spent_vnd", "note"])


def seed():
    districts = {d.code: d for d in District.objects.all()}
    communes = list(
        Commune.objects.filter(valid_from=None).select_related("district").order_by("code")
    )
    communes_2026 = list(
        Commune.objects.in_force_in(2026).filter(district__isnull=True).order_by("code")
    )
    practices = _seed_practices()
    _seed_adoptions(practices, communes)
    _seed_investment(districts, communes, communes_2026)
