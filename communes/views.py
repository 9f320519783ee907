from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from communes.access import get_commune_for_user


@require_GET
@login_required
def commune_detail(request, code):
    commune = get_commune_for_user(request.user, code)
    return render(request, "communes/commune_detail.html", {"commune": commune})
