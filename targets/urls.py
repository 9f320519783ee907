from django.urls import path

from targets import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("api/v1/progress", api.progress, name="api_progress"),
    path("api/v1/communes/<str:code>", api.commune, name="api_commune"),
    path("api/v1/recompute", api.recompute_start, name="api_recompute_start"),
    path("api/v1/recompute/<int:run_id>", api.recompute_run, name="api_recompute_run"),
]
