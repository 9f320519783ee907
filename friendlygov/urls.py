from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from friendlygov import views

admin.site.site_header = "Cổng theo dõi Chính quyền thân thiện – Bắc Giang"
admin.site.site_title = "Quản trị Chính quyền thân thiện"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("targets.urls")),
    path("", include("communes.urls")),
    path("", include("surveys.urls")),
]
