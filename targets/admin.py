from django.contrib import admin, messages
from django.db.models import F, OuterRef
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from communes.admin import DistrictOfProvinceFilter
from communes.models import Criterion
from targets import outbox, reasons, selectors
from targets.models import (
    CertificationRule,
    CertificationStatus,
    DecisionCommune,
    RecognitionDecision,
    RecomputeRun,
    ReportRun,
    StatusChange,
    YearTarget,
)


class YearAsText:
    @admin.display(description=_("năm"), ordering="year")
    def year_label(self, obj):
        # The year as written, not as a number with a thousands separator ("2.024").
        return "–" if obj.year is None else str(obj.year)


class ReadOnlyAdmin(YearAsText, admin.ModelAdmin):
    """Computed or recorded rows: looked at in the admin, written only by the recompute."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(YearTarget)
class YearTargetAdmin(YearAsText, admin.ModelAdmin):
    list_display = ["year_label", "scope", "percent"]
    list_filter = ["year", "district__province", ("district", DistrictOfProvinceFilter)]
    list_select_related = ["district"]
    ordering = ["year", "district__code"]
    # A select would list the country's 705 districts: a search box instead.
    autocomplete_fields = ["district"]

    @admin.display(description=_("áp dụng cho"), ordering="district__code")
    def scope(self, obj):
        return obj.district or _("Toàn tỉnh")


@admin.register(CertificationRule)
class CertificationRuleAdmin(YearAsText, admin.ModelAdmin):
    list_display = [
        "year_label",
        "satisfaction_threshold",
        "min_responses",
        "pass_score",
        "recognizing_level",
        "target_on_recognized",
    ]
    actions = ["recompute"]

    @admin.action(description=_("Tính lại kết quả công nhận của các năm đã chọn"))
    def recompute(self, request, queryset):
        for rule in queryset:
            outbox.recompute_all_start(
                by=request.user, year=rule.year, trigger=RecomputeRun.Trigger.ADMIN
            )
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "Đã yêu cầu tính lại %(count)s năm; xem tiến độ ở mục Lần tính lại.",
                "Đã yêu cầu tính lại %(count)s năm; xem tiến độ ở mục Lần tính lại.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(CertificationStatus)
class CertificationStatusAdmin(ReadOnlyAdmin):
    list_display = [
        "commune",
        "year_label",
        "status",
        "score",
        "survey_responses",
        "last_computed_at",
    ]
    list_filter = [
        "year",
        "status",
        "commune__province",
        ("commune__district", DistrictOfProvinceFilter),
    ]
    list_select_related = ["commune"]
    search_fields = ["commune__name", "commune__code"]
    fields = [
        "commune",
        "year_label",
        "status",
        "reasons_in_words",
        "evidence_required",
        "evidence_approved",
        "score",
        "survey_responses",
        "survey_satisfied",
        "last_computed_at",
        "changed_at",
    ]
    readonly_fields = fields  # type: ignore[assignment]

    def get_queryset(self, request):
        # A nightly run moves its year's time, not each status's (``ComputedYear``).
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_computed=selectors.last_computation(F("computed_at"), year=OuterRef("year"))
            )
        )

    @admin.display(description=_("tính lúc"), ordering="last_computed")
    def last_computed_at(self, obj):
        return obj.last_computed

    @admin.display(description=_("lý do"))
    def reasons_in_words(self, obj):
        titles = dict(
            Criterion.objects.filter(code__in=reasons.criterion_codes(obj.reasons)).values_list(
                "code", "title"
            )
        )
        described = reasons.describe(obj.reasons, titles=titles)
        if not described:
            return "–"
        return format_html_join("", "<div>{}</div>", ((r["message"],) for r in described))


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "commune", "year_label", "from_status", "to_status"]
    list_filter = [
        "year",
        "to_status",
        "commune__province",
        ("commune__district", DistrictOfProvinceFilter),
    ]
    list_select_related = ["commune"]
    search_fields = ["commune__name", "commune__code"]
    date_hierarchy = "at"


@admin.register(RecomputeRun)
class RecomputeRunAdmin(ReadOnlyAdmin):
    list_display = [
        "queued_at",
        "trigger",
        "year_label",
        "commune",
        "state",
        "communes_done",
        "communes_total",
        "finished_at",
    ]
    list_filter = ["state", "trigger"]
    list_select_related = ["commune"]
    readonly_fields = [
        "trigger",
        "requested_by",
        "year_label",
        "commune",
        "state",
        "queued_at",
        "started_at",
        "finished_at",
        "communes_done",
        "communes_total",
        "error",
    ]


class DecisionCommuneInline(admin.TabularInline):
    model = DecisionCommune
    extra = 0
    raw_id_fields = ["commune"]
    fields = ["commune", "status_when_added", "reason"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RecognitionDecision)
class RecognitionDecisionAdmin(ReadOnlyAdmin):
    """Decisions are drafted and issued on the portal's pages (targets.decisions), where
    their rules hold; the admin only looks."""

    list_display = ["number", "signed_on", "year_label", "kind", "state", "district", "signer"]
    list_filter = ["year", "kind", "state", "level"]
    list_select_related = ["district"]
    search_fields = ["number", "signer"]
    inlines = [DecisionCommuneInline]


@admin.register(ReportRun)
class ReportRunAdmin(ReadOnlyAdmin):
    list_display = ["queued_at", "year_label", "district", "state", "steps_done", "steps_total"]
    list_select_related = ["district"]
