from django.contrib import admin

from targets.models import CertificationRule, CertificationStatus, RecomputeRun, YearTarget


@admin.register(YearTarget)
class YearTargetAdmin(admin.ModelAdmin):
    list_display = ["year", "district", "percent"]
    list_filter = ["year"]


@admin.register(CertificationRule)
class CertificationRuleAdmin(admin.ModelAdmin):
    list_display = ["year", "satisfaction_threshold", "min_responses", "pass_score"]


@admin.register(CertificationStatus)
class CertificationStatusAdmin(admin.ModelAdmin):
    list_display = ["commune", "year", "status", "computed_at"]
    list_filter = ["year", "status", "commune__district"]
    list_select_related = ["commune"]
    search_fields = ["commune__name", "commune__code"]


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    list_display = ["queued_at", "year", "commune", "state", "communes_done", "communes_total"]
    list_filter = ["state"]
