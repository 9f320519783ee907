from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "targets"
    verbose_name = _("Chỉ tiêu và công nhận")

    def ready(self):
        from communes import hooks
        from communes.models import (
            Commune,
            District,
            FacilityInvestment,
            GoodPractice,
            PracticeAdoption,
            ProgrammeYear,
            Province,
        )
        from targets import caching, outbox
        from targets.models import CertificationStatus, RecomputeRun, YearTarget

        # The one call up from communes and surveys: "these communes' facts changed".
        hooks.connect("recompute_later", outbox.recompute_later)
        hooks.connect("recompute_later_many", outbox.recompute_later_many)
        # The importer's: its pairs' survey counts alone changed, recomputed in its
        # transaction.
        hooks.connect("recompute_after_surveys", outbox.recompute_after_surveys)
        hooks.connect("statuses_read_ahead", outbox.statuses_read_ahead)

        # What the province dashboard shows without going through the recompute: a change
        # of it forgets the cached dashboards (the recompute's own changes are seen
        # through the time of the last computation, see targets.caching).
        for model in (
            FacilityInvestment,
            PracticeAdoption,
            GoodPractice,
            YearTarget,
            Province,
            District,
            Commune,
        ):
            post_save.connect(caching.invalidate, sender=model, dispatch_uid=f"dash-{model}")
            post_delete.connect(caching.invalidate, sender=model, dispatch_uid=f"dash-del-{model}")

        # What the public pages are keyed to besides the generation (targets.caching): a
        # status saved one by one (the recompute's bulk writes tell it themselves), the
        # programme years.
        post_save.connect(caching.public_changed, sender=CertificationStatus, dispatch_uid="pub")
        post_save.connect(caching.public_changed, sender=ProgrammeYear, dispatch_uid="pub-year")
        post_delete.connect(
            caching.public_changed, sender=ProgrammeYear, dispatch_uid="pub-del-year"
        )

        # The "recompute now" panel of the dashboards kept whole (targets.caching): a run
        # created or removed (its state's updates move the stamp in targets.services).
        post_save.connect(caching.runs_changed, sender=RecomputeRun, dispatch_uid="runs")
        post_delete.connect(caching.runs_changed, sender=RecomputeRun, dispatch_uid="runs-del")

        # The notifications (a lower app) name statuses in words through this hook.
        from communes import notifications
        from targets.models import Status

        notifications.status_labels.update(Status.choices)
