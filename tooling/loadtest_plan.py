"""What the load test's users work on, read from the portal's database (run by
tooling/loadtest.py through ``manage.py shell -c``; prints one line of JSON).

Commune staff save checklist items nobody has sent for review yet, one item per user;
the year chosen is the one that has the most such items for the demo communes.
"""

import json

from django.db.models import Q
from django.utils import timezone

from communes.models import (
    Commune,
    Criterion,
    CriterionKind,
    District,
    Evidence,
    EvidenceState,
    UserScope,
    reference_date,
)
from communes.selectors import deadline_state
from surveys.models import KioskLink

# The README's demo clerks: of Đồi Ngô and Lê Lợi (2023's units), of today's Xã Lục Nam,
# and of two wards of old Bắc Ninh's area that start in 2026.
STAFF = ["xa.doingo", "xa.leloi", "xa.lucnam", "xa.vuninh", "xa.kinhbac"]


def editable_items(year):
    items = []
    criteria = Criterion.objects.active_in(year).exclude(kind=CriterionKind.SURVEY).order_by("code")
    clerks = UserScope.objects.filter(user__username__in=STAFF).select_related("user", "commune")
    for scope in sorted(clerks, key=lambda s: s.user.username):
        # Each clerk works on their own unit (codes are reused: 7444 was Đồi Ngô's and is
        # Xã Lục Nam's), in the years it is evaluated in.
        commune, username, code = scope.commune, scope.user.username, scope.commune.code
        if not commune.is_in_force(reference_date(year)):
            continue
        # A checklist closed by its year's submission deadline takes no saves.
        if not deadline_state(commune=commune, year=year).is_open:
            continue
        locked = set(
            Evidence.objects.filter(commune=commune, year=year)
            .filter(~Q(state__in=[EvidenceState.DRAFT, EvidenceState.REJECTED]))
            .values_list("criterion__code", flat=True)
        )
        items += [
            (username, code, c.code, c.kind == CriterionKind.MEASURED)
            for c in criteria
            if c.code not in locked
        ]
    return items


this_year = timezone.localdate().year
year = max(range(2023, this_year + 1), key=lambda y: (len(editable_items(y)), y))
print(
    json.dumps(
        {
            "year": year,
            "items": editable_items(year),
            "districts": list(District.objects.order_by("code").values_list("code", flat=True)),
            "communes": list(Commune.objects.order_by("code").values_list("code", flat=True)),
            "kiosk_tokens": list(
                KioskLink.objects.filter(commune__district__code__in=["218", "213"])
                .order_by("commune__code")
                .values_list("token", flat=True)
            ),
        }
    )
)
