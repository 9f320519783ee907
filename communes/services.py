"""Writes of the communes app."""

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction

from communes.models import Commune, District, GoodPractice, PracticeAdoption, Province

UNITS_FILE = Path(__file__).resolve().parent / "data" / "units.json"


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _upsert(model, *, code, fields, result):
    obj = model.objects.filter(code=code).first()
    if obj is None:
        obj = model.objects.create(code=code, **fields)
        result.created += 1
        return obj
    changed = [name for name, value in fields.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, fields[name])
        obj.save()
        result.updated += 1
    else:
        result.unchanged += 1
    return obj


@transaction.atomic
def units_load(*, path: Path = UNITS_FILE) -> LoadResult:
    """Create or update the province, its districts and communes from the units file.

    Idempotent: a unit is identified by its official code, so a renamed unit is
    updated in place and running it twice changes nothing.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    result = LoadResult()
    p = data["province"]
    province = _upsert(
        Province,
        code=str(p["code"]),
        fields={"name": p["name"], "kind": p["division_type"]},
        result=result,
    )
    for d in data["districts"]:
        district = _upsert(
            District,
            code=str(d["code"]),
            fields={"name": d["name"], "kind": d["division_type"], "province": province},
            result=result,
        )
        for c in d["communes"]:
            _upsert(
                Commune,
                code=str(c["code"]),
                fields={"name": c["name"], "kind": c["division_type"], "district": district},
                result=result,
            )
    return result


# --- Good practices -------------------------------------------------------------------


@transaction.atomic
def practice_adopt(
    *, practice: GoodPractice, commune: Commune, adopted_on: date, note: str = ""
) -> tuple[PracticeAdoption, bool]:
    """Record that ``commune`` adopted ``practice`` on ``adopted_on``.

    A commune adopts a practice once: recording it again corrects the date and the note.
    Returns (the adoption, whether it is new).
    """
    return PracticeAdoption.objects.update_or_create(
        practice=practice, commune=commune, defaults={"adopted_on": adopted_on, "note": note}
    )
