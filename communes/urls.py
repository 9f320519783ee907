from django.urls import path

from communes import views

urlpatterns = [
    path("communes/<str:code>/", views.commune_detail, name="commune_detail"),
    # Good practices and facility investment (dashboards).
    path("practices/", views.practices, name="practices"),
    path("practices/<slug:code>/", views.practice_detail, name="practice_detail"),
    path("practices/<slug:code>/adopt/", views.practice_adopt, name="practice_adopt"),
    path("districts/<str:code>/investment/", views.district_investment, name="district_investment"),
]
