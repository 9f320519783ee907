from django.urls import path

from targets import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("api/v1/progress", api.progress, name="api_progress"),
    path("api/v1/communes/<str:code>", api.commune, name="api_commune"),
    path("api/v1/recompute", api.recompute_start, name="api_recompute_start"),
    path("api/v1/recompute/<int:run_id>", api.recompute_run, name="api_recompute_run"),
    path("districts/<str:code>/", views.district_detail, name="district_detail"),
    path("recompute/", views.recompute_start, name="recompute_start"),
    path("public/", views.public_progress, name="public_progress"),
    path("work/", views.worklist, name="worklist"),
    path("communes/", views.commune_list, name="commune_list"),
]
