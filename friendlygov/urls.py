from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from communes.views import language_set
from friendlygov import login, views

admin.site.site_header = "Cổng theo dõi Chính quyền thân thiện – Bắc Ninh"
admin.site.site_title = "Quản trị Chính quyền thân thiện"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Lazy: with the manifest storage of production, resolving the hashed name at import
    # would stop `migrate` and `check --deploy` from running before `collectstatic`.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    # Django's reset page with its mails limited; the other account pages are Django's.
    path("accounts/password_reset/", login.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Django's language switch, which also sets a signed-in user's mail language.
    path("i18n/setlang/", language_set, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("targets.urls")),
    path("", include("communes.urls")),
    path("", include("surveys.urls")),
]

handler400 = "friendlygov.views.bad_request"
handler403 = "friendlygov.views.permission_denied"
handler404 = "friendlygov.views.page_not_found"
handler500 = "friendlygov.views.server_error"
