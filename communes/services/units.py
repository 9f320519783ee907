"""Loading the real administrative units of every period, and the lineage between them.

Three lists and one lineage table, shipped in ``communes/data/`` (byte-identical to the
shared data of ``../shared/data/``, see its README):

- ``units.json``: Tỉnh Bắc Giang's 10 districts and 209 communes, the programme's basis;
- ``bac_giang_2025_units.json``: its units from 1/1/2025 (192 communes), NQ 1191;
- ``bac_ninh_2025_units.json``: the 99 communes of Tỉnh Bắc Ninh from 1/7/2025, no
  districts, each with its predecessors of 30/6/2025;
- ``bac_giang_lineage_2023_2025.csv``: each 2023 commune's unit of 1/1/2025 and how
  certain that link is.

How a change maps onto rows is explained above ``Unit`` in ``communes/models.py``.
"""

import csv
import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q

from communes.models import (
    Certainty,
    Commune,
    CommuneLink,
    District,
    LinkKind,
    Province,
    ProvinceRename,
    Reorganization,
    Unit,
)

# Province, District or Commune: ``_upsert`` gives back a row of the model it is given.
UnitT = TypeVar("UnitT", bound=Unit)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
UNITS_FILE = DATA_DIR / "units.json"
UNITS_2025_FILE = DATA_DIR / "bac_giang_2025_units.json"
BAC_NINH_FILE = DATA_DIR / "bac_ninh_2025_units.json"
LINEAGE_FILE = DATA_DIR / "bac_giang_lineage_2023_2025.csv"

JAN_2025 = datetime.date(2025, 1, 1)
JUL_2025 = datetime.date(2025, 7, 1)
DAY = datetime.timedelta(days=1)

# The resolutions behind the two changes (../shared/data/README.md).
REORGANIZATIONS = {
    JAN_2025: (
        "NQ 1191/NQ-UBTVQH15",
        "Sắp xếp đơn vị hành chính cấp huyện, cấp xã giai đoạn 2023-2025 của tỉnh Bắc Giang "
        "(thông qua 28/9/2024; ngày có hiệu lực theo một dự án dữ liệu công khai).",
    ),
    JUL_2025: (
        "NQ 202/2025/QH15; NQ 1658/NQ-UBTVQH15",
        "Hợp nhất tỉnh Bắc Giang và tỉnh Bắc Ninh thành tỉnh Bắc Ninh; kết thúc cấp huyện; "
        "sắp xếp đơn vị hành chính cấp xã.",
    ),
}

NSO_NOTES = {
    "Nhập toàn bộ": LinkKind.WHOLE,
    "Nhập một phần": LinkKind.PART,
    "Giữ nguyên": LinkKind.UNCHANGED,
}


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    links_created: int = 0
    links_updated: int = 0
    # Links an administrator checked, which the files no longer decide.
    links_kept: int = 0
    uncertain: list[CommuneLink] = field(default_factory=list)


@dataclass(frozen=True)
class _Recorded:
    """What the reorganizations an administrator recorded on the screen changed.

    The files end with 1/7/2025; what came after (the September 2026 kind changes, a
    merge, Bắc Ninh becoming a centrally-run city) is recorded on the screen, and the
    loader, which every deployment runs (``make migrate``), must not undo it: a unit a
    recorded reorganization ended, renamed or gave another kind keeps what it recorded,
    and a district it ended stays ended.
    """

    communes: frozenset[int] = frozenset()
    provinces: frozenset[int] = frozenset()
    ends: frozenset[datetime.date] = frozenset()

    @classmethod
    def read(cls) -> "_Recorded":
        the_files = Q()
        for effective_on, (resolution, _note) in REORGANIZATIONS.items():
            the_files |= Q(resolution=resolution, effective_on=effective_on)
        recorded = Reorganization.objects.exclude(the_files)
        links = CommuneLink.objects.filter(reorganization__in=recorded, predecessor__isnull=False)
        return cls(
            communes=frozenset(links.values_list("predecessor_id", flat=True)),
            provinces=frozenset(
                ProvinceRename.objects.filter(reorganization__in=recorded).values_list(
                    "province_id", flat=True
                )
            ),
            ends=frozenset(on - DAY for on in recorded.values_list("effective_on", flat=True)),
        )

    def kept(self, obj: Unit) -> frozenset[str]:
        """The fields of ``obj`` that a recorded reorganization decides, not the files."""
        if isinstance(obj, Commune) and obj.pk in self.communes:
            return frozenset({"name", "kind", "valid_to", "district", "province"})
        if isinstance(obj, Province) and obj.pk in self.provinces:
            return frozenset({"name", "kind"})
        if obj.valid_to is not None and obj.valid_to in self.ends:
            return frozenset({"valid_to"})
        return frozenset()


def _upsert(
    model: type[UnitT],
    *,
    code: str,
    valid_from: datetime.date | None,
    fields: dict[str, Any],
    result: LoadResult,
    recorded: _Recorded,
) -> UnitT:
    obj = model._default_manager.filter(code=code, valid_from=valid_from).first()
    if obj is None:
        obj = model._default_manager.create(code=code, valid_from=valid_from, **fields)
        result.created += 1
        return obj
    kept = recorded.kept(obj)
    changed = [
        name for name, value in fields.items() if name not in kept and getattr(obj, name) != value
    ]
    if changed:
        for name in changed:
            setattr(obj, name, fields[name])
        obj.save()
        result.updated += 1
    else:
        result.unchanged += 1
    return obj


def _certainty(basis: str) -> str:
    if basis.startswith("UNVERIFIED"):
        return Certainty.UNVERIFIED
    if basis.startswith("UNKNOWN"):
        return Certainty.UNKNOWN
    return Certainty.VERIFIED


def _link(
    *,
    reorganization: Reorganization,
    predecessor_code: str,
    predecessor: Commune | None,
    successor: Commune | None,
    fields: dict[str, Any],
    result: LoadResult,
) -> CommuneLink:
    """Create or update one link, keyed by its reorganization, predecessor and successor
    (the successor is left out of the key for an unknown one, so that an administrator
    who fills it in is not duplicated)."""
    key: dict[str, Any] = {"reorganization": reorganization, "predecessor_code": predecessor_code}
    if predecessor is not None:
        key["predecessor"] = predecessor
    existing = CommuneLink.objects.filter(**key)
    if fields["certainty"] == Certainty.VERIFIED:
        existing = existing.filter(successor=successor)
    link = existing.first()
    values = {
        "predecessor": predecessor,
        "successor": successor,
        "resolution": reorganization.resolution,
        "effective_on": reorganization.effective_on,
        **fields,
    }
    if link is None:
        link = CommuneLink.objects.create(
            reorganization=reorganization, predecessor_code=predecessor_code, **values
        )
        result.links_created += 1
    elif link.checked_at is not None:
        result.links_kept += 1
    else:
        changed = [name for name, value in values.items() if getattr(link, name) != value]
        if changed:
            for name in changed:
                setattr(link, name, values[name])
            link.save()
            result.links_updated += 1
    if link.is_uncertain:
        result.uncertain.append(link)
    return link


def _read(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@transaction.atomic
def units_load(
    *,
    path: Path = UNITS_FILE,
    reorganizations: bool = True,
    units_2025_path: Path = UNITS_2025_FILE,
    bac_ninh_path: Path = BAC_NINH_FILE,
    lineage_path: Path = LINEAGE_FILE,
) -> LoadResult:
    """Create or update the units of every period and the links between them.

    Idempotent: a unit is identified by its code and the date it came into force, so a
    renamed unit is updated in place and running it twice changes nothing; a link an
    administrator checked (corrected) is kept as it is, and so is what a reorganization
    recorded on the screen changed after the files (``_Recorded``). With ``reorganizations=False``
    only the 2023 basis is loaded (its units then have no end date).
    """
    result = LoadResult()
    recorded = _Recorded.read()
    basis = _read(path)
    later = _read(units_2025_path) if reorganizations else None
    after = _read(bac_ninh_path) if reorganizations else None
    lineage = (
        list(csv.DictReader(Path(lineage_path).read_text(encoding="utf-8").splitlines()))
        if reorganizations
        else []
    )

    # The 2025 list says where each code continuing from 2023 now is.
    units_2025 = {}
    if later:
        for d in later["districts"]:
            for c in d["communes"]:
                units_2025[str(c["code"])] = (c, d)
    districts_2025 = {str(d["code"]): d for d in later["districts"]} if later else {}

    # --- The province, its districts and communes of 2023 (the newest name of each row).
    end_bac_giang = JUL_2025 - DAY if later else None
    p = basis["province"]
    province = _upsert(
        Province,
        code=str(p["code"]),
        valid_from=None,
        fields={"name": p["name"], "kind": p["division_type"], "valid_to": end_bac_giang},
        result=result,
        recorded=recorded,
    )
    districts = {}
    for d in basis["districts"]:
        code = str(d["code"])
        newer = districts_2025.get(code)
        valid_to: datetime.date | None
        if later and newer is None:
            valid_to = JAN_2025 - DAY  # dissolved (Huyện Yên Dũng joined Bắc Giang city)
        else:
            valid_to = end_bac_giang
        shown = newer or d  # keeps its row when renamed (Huyện -> Thị xã Việt Yên)
        districts[code] = _upsert(
            District,
            code=code,
            valid_from=None,
            fields={
                "name": shown["name"],
                "kind": shown["division_type"],
                "province": province,
                "valid_to": valid_to,
            },
            result=result,
            recorded=recorded,
        )
    communes_2023 = {}
    renamed = []  # (row, former name, former kind)
    moved = []  # (row of 2023, its 2025 entry, its 2025 district)
    for d in basis["districts"]:
        for c in d["communes"]:
            code = str(c["code"])
            fields = {
                "name": c["name"],
                "kind": c["division_type"],
                "province": province,
                "district": districts[str(d["code"])],
            }
            if later:
                newer = units_2025.get(code)
                if newer is None:
                    fields["valid_to"] = JAN_2025 - DAY  # merged into another
                elif str(newer[1]["code"]) != str(d["code"]):
                    fields["valid_to"] = JAN_2025 - DAY  # continues in another district
                    moved.append((code, newer))
                else:
                    fields["valid_to"] = end_bac_giang
                    if (newer[0]["name"], newer[0]["division_type"]) != (
                        c["name"],
                        c["division_type"],
                    ):
                        fields["name"] = newer[0]["name"]
                        fields["kind"] = newer[0]["division_type"]
                        renamed.append((code, c["name"], c["division_type"]))
            else:
                fields["valid_to"] = None
            communes_2023[code] = _upsert(
                Commune,
                code=code,
                valid_from=None,
                fields=fields,
                result=result,
                recorded=recorded,
            )
    if not later:
        return result

    # --- 1/1/2025: new districts, communes that moved district, links from 2023.
    reorganization_1 = _reorganization(JAN_2025)
    for code, d in districts_2025.items():
        if code not in districts:
            districts[code] = _upsert(
                District,
                code=code,
                valid_from=JAN_2025,
                fields={
                    "name": d["name"],
                    "kind": d["division_type"],
                    "province": province,
                    "valid_to": end_bac_giang,
                },
                result=result,
                recorded=recorded,
            )
    in_force_2025 = dict(communes_2023)
    for code, (c, d) in moved:
        in_force_2025[code] = _upsert(
            Commune,
            code=code,
            valid_from=JAN_2025,
            fields={
                "name": c["name"],
                "kind": c["division_type"],
                "province": province,
                "district": districts[str(d["code"])],
                "valid_to": end_bac_giang,
            },
            result=result,
            recorded=recorded,
        )
    for code in [code for code in communes_2023 if code not in units_2025]:
        del in_force_2025[code]

    for code, former_name, former_kind in renamed:
        unit = communes_2023[code]
        assert unit.district is not None  # every commune of 2023 is in a district
        _link(
            reorganization=reorganization_1,
            predecessor_code=code,
            predecessor=unit,
            successor=unit,
            fields={
                "predecessor_name": former_name,
                "predecessor_district": f"{unit.district.name} ({unit.district.code})",
                "predecessor_province": f"{province.name} ({province.code})",
                "kind": LinkKind.RENAMED if former_kind == unit.kind else LinkKind.KIND_CHANGED,
                "certainty": Certainty.VERIFIED,
                "note": "",
                "former_name": former_name,
                "former_kind": former_kind,
            },
            result=result,
        )
    for row in lineage:
        code = row["code_2023"]
        old = communes_2023[code]
        assert old.district is not None  # every commune of 2023 is in a district
        successor_code = row["code_2025_01"]
        if successor_code == code and code not in dict(moved):
            continue  # keeps its row: nothing to link (a rename was linked above)
        certainty = _certainty(row["basis_2025_01"])
        _link(
            reorganization=reorganization_1,
            predecessor_code=code,
            predecessor=old,
            successor=in_force_2025.get(successor_code) if successor_code else None,
            fields={
                "predecessor_name": row["name_2023"],
                "predecessor_district": f"{old.district.name} ({old.district.code})",
                "predecessor_province": f"{province.name} ({province.code})",
                "kind": LinkKind.PARENT_CHANGED if successor_code == code else LinkKind.WHOLE,
                "certainty": certainty,
                "note": "" if certainty == Certainty.VERIFIED else row["basis_2025_01"],
                "former_name": "",
                "former_kind": "",
            },
            result=result,
        )

    # --- 1/7/2025: one Tỉnh Bắc Ninh, no districts, 99 communes.
    assert after is not None  # read with the 2025 list
    reorganization_2 = _reorganization(JUL_2025)
    p = after["province"]
    new_province = _upsert(
        Province,
        code=str(p["code"]),
        valid_from=JUL_2025,
        fields={"name": p["name"], "kind": p["division_type"], "valid_to": None},
        result=result,
        recorded=recorded,
    )
    for c in after["communes"]:
        commune = _upsert(
            Commune,
            code=str(c["code"]),
            valid_from=JUL_2025,
            fields={
                "name": c["name"],
                "kind": c["division_type"],
                "province": new_province,
                "district": None,
                "valid_to": None,
            },
            result=result,
            recorded=recorded,
        )
        held = c["from_old_province"] == int(province.code)
        for before in c["predecessors"]:
            code = str(before["code"])
            predecessor = in_force_2025[code] if held else None
            _link(
                reorganization=reorganization_2,
                predecessor_code=code,
                predecessor=predecessor,
                successor=commune,
                fields={
                    "predecessor_name": before["name"],
                    "predecessor_district": before.get("old_district", ""),
                    "predecessor_province": (
                        f"{province.name} ({province.code})"
                        if held
                        else f"Tỉnh Bắc Ninh ({c['from_old_province']})"
                    ),
                    "kind": NSO_NOTES[before["note"]],
                    "certainty": Certainty.VERIFIED,
                    "note": "",
                    "former_name": "",
                    "former_kind": "",
                },
                result=result,
            )
    return result


def _reorganization(effective_on: datetime.date) -> Reorganization:
    resolution, note = REORGANIZATIONS[effective_on]
    reorganization, _ = Reorganization.objects.get_or_create(
        resolution=resolution, effective_on=effective_on, defaults={"note": note}
    )
    return reorganization
