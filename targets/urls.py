from django.urls import path

from targets import api, commune_views, views

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
    # Pages of a commune, a practice, a district's money that show statuses and the
    # dashboards' tables (targets.commune_views); under the addresses they always had.
    path("communes/<str:code>/", commune_views.commune_detail, name="commune_detail"),
    path("practices/<slug:code>/", commune_views.practice_detail, name="practice_detail"),
    path("practices/<slug:code>/adopt/", commune_views.practice_adopt, name="practice_adopt"),
    path(
        "districts/<str:code>/investment/",
        commune_views.district_investment,
        name="district_investment",
    ),
]
