"""Writes about good practices: communes recording that they adopted one."""

from datetime import date

from django.db import transaction

from communes.models import Commune, GoodPractice, PracticeAdoption


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
