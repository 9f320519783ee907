from django.urls import path

from targets import api, commune_views, views, views_decisions, views_reports

urlpatterns = [
    path("", views.home, name="home"),
    path("api/v1/progress", api.progress, name="api_progress"),
    path("api/v1/communes/<str:code>", api.commune, name="api_commune"),
    path("api/v1/recompute", api.recompute_start, name="api_recompute_start"),
    path("api/v1/recompute/<int:run_id>", api.recompute_run, name="api_recompute_run"),
    path("provinces/<str:code>/", views.province_detail, name="province_detail"),
    path("districts/<str:code>/", views.district_detail, name="district_detail"),
    path("recompute/", views.recompute_start, name="recompute_start"),
    path("public/", views.public_progress, name="public_progress"),
    path("decisions/", views_decisions.decision_list, name="decision_list"),
    path("decisions/draft/", views_decisions.decision_draft, name="decision_draft"),
    path("decisions/<int:pk>/", views_decisions.decision_detail, name="decision_detail"),
    path(
        "decisions/<int:pk>/communes/",
        views_decisions.decision_commune_add,
        name="decision_commune_add",
    ),
    path(
        "decisions/<int:pk>/communes/<int:commune_id>/remove/",
        views_decisions.decision_commune_remove,
        name="decision_commune_remove",
    ),
    path("decisions/<int:pk>/issue/", views_decisions.decision_issue, name="decision_issue"),
    path(
        "decisions/<int:pk>/withdraw/", views_decisions.decision_withdraw, name="decision_withdraw"
    ),
    path("decisions/<int:pk>.pdf", views_decisions.decision_pdf, name="decision_pdf"),
    path("decisions/<int:pk>/scan", views_decisions.decision_scan, name="decision_scan"),
    path("reports/<int:year>.pdf", views_reports.province_report, name="province_report"),
    path("reports/<int:year>/", views_reports.province_report_page, name="province_report_page"),
    path(
        "reports/<int:year>/build/",
        views_reports.province_report_build,
        name="province_report_build",
    ),
    path("reports/runs/<int:pk>.pdf", views_reports.report_run_file, name="report_run_file"),
    path(
        "districts/<str:code>/reports/<int:year>/",
        views_reports.district_report_page,
        name="district_report_page",
    ),
    path(
        "districts/<str:code>/reports/<int:year>/build/",
        views_reports.district_report_build,
        name="district_report_build",
    ),
    path(
        "districts/<str:code>/reports/<int:year>.pdf",
        views_reports.district_report,
        name="district_report",
    ),
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
