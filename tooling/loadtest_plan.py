"""What the load test's users work on, read from the portal's database (run by
tooling/loadtest.py through ``manage.py shell -c``; prints one line of JSON).

Commune staff save checklist items nobody has sent for review yet, one item per user;
the year chosen is the programme year, up to this one, that has the most such items for
the demo communes. The latest is kept open (``keep_open``), so that a run after the
demo's deadline (15 December) or in a year that is not a programme year yet still finds
items to save.
"""

import datetime
import json

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from communes.models import (
    ChecklistDeadline,
    Commune,
    Criterion,
    CriterionKind,
    District,
    Evidence,
    EvidenceState,
    Role,
    UserScope,
    reference_date,
)
from communes.selectors import checklist_years, deadline_state
from surveys.models import KioskLink

# The README's demo clerks: of Đồi Ngô and Lê Lợi (2023's units), of today's Xã Lục Nam,
# and of two wards of old Bắc Ninh's area that start in 2026.
STAFF = ["xa.doingo", "xa.leloi", "xa.lucnam", "xa.vuninh", "xa.kinhbac"]
DEMO_PASSWORD = "demo-pass-2023"  # noqa: S105 (the README's demo accounts)
# Enough items for every checklist user of a large run, one item each.
WANTED_ITEMS = 200


def items_of(scope, year, criteria):
    """The items ``scope``'s clerk may save in ``year``: none where the unit is not
    evaluated that year or its checklist is closed by the submission deadline."""
    commune, username = scope.commune, scope.user.username
    if not commune.is_in_force(reference_date(year)):
        return []
    if not deadline_state(commune=commune, year=year).is_open:
        return []
    locked = set(
        Evidence.objects.filter(commune=commune, year=year)
        .filter(~Q(state__in=[EvidenceState.DRAFT, EvidenceState.REJECTED]))
        .values_list("criterion__code", flat=True)
    )
    return [
        (username, commune.code, c.code, c.kind == CriterionKind.MEASURED)
        for c in criteria
        if c.code not in locked
    ]


def criteria_of(year):
    return list(
        Criterion.objects.active_in(year).exclude(kind=CriterionKind.SURVEY).order_by("code")
    )


def editable_items(year):
    # Each clerk works on their own unit (codes are reused: 7444 was Đồi Ngô's and is
    # Xã Lục Nam's), in the years it is evaluated in.
    criteria = criteria_of(year)
    clerks = UserScope.objects.filter(user__username__in=STAFF).select_related("user", "commune")
    return [
        item
        for scope in sorted(clerks, key=lambda s: s.user.username)
        for item in items_of(scope, year, criteria)
    ]


def more_clerks(year, items, wanted):
    """Clerks of the load test's own (for communes the demo has no account for), until
    there are ``wanted`` items: this database is the load test's, never a real one."""
    criteria = criteria_of(year)
    taken = {code for _user, code, _c, _m in items}
    User = get_user_model()
    for commune in Commune.objects.in_force(on=reference_date(year)).order_by("code"):
        if len(items) >= wanted:
            break
        if commune.code in taken:
            continue
        user, _ = User.objects.get_or_create(username=f"thu-tai.{commune.code}")
        user.set_password(DEMO_PASSWORD)
        user.save()
        scope, _ = UserScope.objects.update_or_create(
            user=user, defaults={"role": Role.COMMUNE, "commune": commune}
        )
        items += items_of(scope, year, criteria)
    return items


def keep_open(year):
    """On the load test's database only (never a real one): when ``year``'s evidence
    deadline has passed, it moves to a month from today, reviews two weeks later."""
    today = timezone.localdate()
    ChecklistDeadline.objects.filter(year=year, submission_deadline__lt=today).update(
        submission_deadline=today + datetime.timedelta(days=30),
        review_deadline=today + datetime.timedelta(days=45),
    )


this_year = timezone.localdate().year
years = [y for y in checklist_years() if y <= this_year]
keep_open(years[-1])
year = max(years, key=lambda y: (len(editable_items(y)), y))
items = more_clerks(year, editable_items(year), wanted=WANTED_ITEMS)
print(
    json.dumps(
        {
            "year": year,
            "items": items,
            "districts": list(District.objects.order_by("code").values_list("code", flat=True)),
            # The province readers' (tinh's, Tỉnh Bắc Giang's) communes: a code of today's
            # Tỉnh Bắc Ninh is outside their scope.
            "communes": list(
                Commune.objects.filter(province__userscope__user__username="tinh")
                .order_by("code")
                .values_list("code", flat=True)
                .distinct()
            ),
            "kiosk_tokens": list(
                KioskLink.objects.filter(commune__district__code__in=["218", "213"])
                .order_by("commune__code")
                .values_list("token", flat=True)
            ),
        }
    )
)
