from django.urls import path

from targets import views

urlpatterns = [
    path("", views.home, name="home"),
    path("districts/<str:code>/", views.district_detail, name="district_detail"),
    path("recompute/", views.recompute_start, name="recompute_start"),
    path("public/", views.public_progress, name="public_progress"),
]
