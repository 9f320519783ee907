from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Khảo sát sự hài lòng")

    def ready(self):
        from django.db.models.signals import pre_delete

        from communes import hooks
        from communes.models import Commune
        from surveys import selectors, services

        # The checklist (communes) shows the survey criterion through this hook.
        hooks.connect("survey_figures", selectors.survey_figures)
        # The reorganization's preview (communes) counts the responses that stay behind.
        hooks.connect("survey_responses_from", selectors.responses_from)
        # A commune's responses go with it (``SurveyResponse.commune``).
        pre_delete.connect(
            services.commune_responses_delete, sender=Commune, dispatch_uid="survey-responses"
        )
