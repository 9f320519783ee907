from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from communes.models import District, Role, scope_of


@require_GET
@login_required
def home(request):
    """The start page: commune staff go to their commune, others see their districts."""
    scope = scope_of(request.user)
    if scope is not None and scope.role == Role.COMMUNE:
        return redirect("commune_detail", code=scope.commune.code)
    districts = District.objects.visible_to(request.user).annotate(communes_count=Count("communes"))
    return render(request, "targets/home.html", {"districts": districts})
