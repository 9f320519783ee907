from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunesConfig(AppConfig):
    name = "communes"
    verbose_name = _("Đơn vị hành chính và bộ tiêu chí")

    def ready(self):
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save

        from communes import auth
        from communes.models import (
            Commune,
            CommuneLink,
            Evidence,
            Province,
            UserScope,
            lineage_changed,
        )
        from communes.selectors import forget_nav_counts

        # A signed-in user's cached row and scope are forgotten when either changes.
        for model in (settings.AUTH_USER_MODEL, UserScope):
            post_save.connect(auth.forget_user_of, sender=model, dispatch_uid=f"auth-{model}")
            post_delete.connect(auth.forget_user_of, sender=model, dispatch_uid=f"auth-del-{model}")
        # The navigation's counts (communes.selectors.nav_counts) follow the evidence and
        # the scopes (notifications forget them where they are written in bulk).
        for model in (Evidence, UserScope):
            post_save.connect(forget_nav_counts, sender=model, dispatch_uid=f"nav-{model}")
            post_delete.connect(forget_nav_counts, sender=model, dispatch_uid=f"nav-del-{model}")
        # The provinces merged into each (communes.models.province_and_merged) follow the
        # lineage: its links, and the units they join.
        for model in (CommuneLink, Commune, Province):
            post_save.connect(lineage_changed, sender=model, dispatch_uid=f"lineage-{model}")
            post_delete.connect(lineage_changed, sender=model, dispatch_uid=f"lineage-del-{model}")
