from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Khảo sát sự hài lòng")

    def ready(self):
        from communes import hooks
        from surveys import selectors

        # The checklist (communes) shows the survey criterion through this hook.
        hooks.connect("survey_figures", selectors.survey_figures)
