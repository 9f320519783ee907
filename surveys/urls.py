from django.urls import path, register_converter

from surveys import views


class _FormatConverter:
    regex = "csv|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(_FormatConverter, "fmt")

urlpatterns = [
    path("communes/<str:code>/surveys/", views.commune_surveys, name="commune_surveys"),
    path("communes/<str:code>/surveys/entry/", views.survey_entry, name="survey_entry"),
    path(
        "communes/<str:code>/surveys/responses/<int:pk>/delete/",
        views.survey_response_delete,
        name="survey_response_delete",
    ),
    path(
        "communes/<str:code>/surveys/export.<fmt:fmt>",
        views.survey_export,
        name="survey_export",
    ),
    path("communes/<str:code>/surveys/poster/", views.survey_poster, name="survey_poster"),
    path("communes/<str:code>/surveys/kiosk/rotate/", views.kiosk_rotate, name="kiosk_rotate"),
    path("surveys/import/", views.survey_import, name="survey_import"),
    path(
        "surveys/import/template.<fmt:fmt>",
        views.survey_import_template,
        name="survey_import_template",
    ),
    path(
        "surveys/import/<str:upload_id>/confirm/",
        views.survey_import_confirm,
        name="survey_import_confirm",
    ),
    path("s/", views.survey_kiosk_code, name="survey_kiosk_code"),
    path("s/sw.js", views.kiosk_service_worker, name="kiosk_service_worker"),
    path("s/<str:token>/", views.survey_kiosk, name="survey_kiosk"),
    path("s/<str:token>/cam-on/", views.survey_kiosk_thanks, name="survey_kiosk_thanks"),
]
