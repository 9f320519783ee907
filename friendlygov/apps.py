from django.apps import AppConfig


class FriendlygovConfig(AppConfig):
    name = "friendlygov"
    verbose_name = "Friendly government portal"

    def ready(self):
        from friendlygov.admin import harden_admin

        harden_admin()
