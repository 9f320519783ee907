from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import build_q_object_from_lookup_parameters
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet, Sum
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from communes.admin import DistrictOfProvinceFilter
from communes.models import Commune
from friendlygov.admin import SimpleHistoryAdmin
from friendlygov.params import ascii_int
from surveys import services
from surveys.models import (
    ImportBatch,
    KioskLink,
    Question,
    Questionnaire,
    SurveyResponse,
    SurveyYear,
)


class QuestionInline(TranslationTabularInline):
    """Questions are editable only while nobody has answered their version.

    The English wording stays editable: it translates the question, it does not change it.
    """

    model = Question
    extra = 0

    def _frozen(self, obj):
        return obj is not None and obj.is_frozen

    def get_readonly_fields(self, request, obj=None):
        if self._frozen(obj):
            return ["code", "element", "text_vi", "order"]
        return super().get_readonly_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "is_active", "created_at"]
    readonly_fields = ["version", "is_active"]
    inlines = [QuestionInline]
    actions = ["new_version", "activate"]

    def get_readonly_fields(self, request, obj=None):
        # A new questionnaire gets its version from "copy into a new version".
        return self.readonly_fields if obj else ["is_active"]

    @admin.action(description=_("Sao chép thành phiên bản mới (để sửa câu hỏi)"))
    def new_version(self, request, queryset):
        for questionnaire in queryset:
            copy = services.questionnaire_new_version(questionnaire=questionnaire)
            self.message_user(
                request,
                _("Đã tạo phiên bản %(version)s; sửa câu hỏi rồi chọn “Dùng bộ câu hỏi này”.")
                % {"version": copy.version},
                messages.SUCCESS,
            )

    @admin.action(description=_("Dùng bộ câu hỏi này cho khảo sát từ nay"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Chọn đúng một bộ câu hỏi."), messages.ERROR)
            return
        try:
            services.questionnaire_activate(questionnaire=queryset.get())
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)


class _RecomputeOnDelete:
    """Deleting responses here queues the recompute of their communes, as the pages do."""

    def delete_model(self, request, obj):
        services.survey_responses_delete(responses=self._responses([obj.pk]), by=request.user)

    def delete_queryset(self, request, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        services.survey_responses_delete(responses=self._responses(pks), by=request.user)


class _ResponsesPaginator(Paginator):
    """Counts every response from the roll-up (exact, kept by every writer in its
    transaction) when the list is not filtered: counting a country's ten million rows
    took half a second, and the admin counted them twice."""

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            return SurveyYear.objects.aggregate(n=Sum("responses"))["n"] or 0
        return super().count


class _YearFilter(admin.SimpleListFilter):
    """The years that have responses, from the roll-up. Django's date hierarchy read the
    first and last day and every distinct year from the raw rows: 3 s at national scale."""

    title = _("năm trả lời")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = (
            SurveyYear.objects.filter(responses__gt=0)
            .order_by("-year")
            .values_list("year", flat=True)
            .distinct()
        )
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        year = ascii_int(self.value(), minimum=1, maximum=9999)
        if year is None:  # not a year: nothing answered then
            return queryset.none()
        return queryset.filter(answered_on__year=year)


class _OfCommunes:
    """A list filter on the responses' commune (``commune__...``) that reads the communes
    it names, then their responses through the survey table's indexes (``of_communes``):
    a join from the commune reads the whole table (3 s to count a district's)."""

    used_parameters: dict

    def communes(self, request) -> QuerySet[Commune]:
        lookups = {
            key.removeprefix("commune__"): value for key, value in self.used_parameters.items()
        }
        return Commune.objects.filter(build_q_object_from_lookup_parameters(lookups))

    def queryset(self, request, queryset):
        if not self.used_parameters:
            return queryset
        try:
            return queryset.of_communes(self.communes(request).values_list("pk", flat=True))
        except (ValueError, ValidationError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class _ProvinceFilter(_OfCommunes, admin.RelatedFieldListFilter):
    def queryset(self, request, queryset):
        if any(key.startswith("commune__district__") for key in request.GET):
            return queryset  # the district's filter reads the communes of both, at once
        return super().queryset(request, queryset)


class _DistrictFilter(_OfCommunes, DistrictOfProvinceFilter):
    """With the province's: one condition on the table, not two that its planner would
    rather read all of it for."""

    def communes(self, request) -> QuerySet[Commune]:
        communes = super().communes(request)
        return communes.filter(province_id=self.province) if self.province else communes


@admin.register(SurveyResponse)
class SurveyResponseAdmin(_RecomputeOnDelete, SimpleHistoryAdmin):
    """Citizens' answers are read, never edited; a wrong one is deleted (kept in history).

    At national scale the table holds tens of millions of rows: the list never counts
    them all (``_ResponsesPaginator``, ``show_full_result_count``) nor scans them for its
    filters (``_YearFilter``)."""

    list_display = ["commune", "answered_on", "channel", "satisfied", "created_at"]
    list_filter = [
        _YearFilter,
        "channel",
        "satisfied",
        ("commune__province", _ProvinceFilter),
        ("commune__district", _DistrictFilter),
    ]
    list_select_related = ["commune"]
    search_fields = ["commune__name", "commune__code"]
    paginator = _ResponsesPaginator
    show_full_result_count = False
    # 50 rows a page, as the communes' list: at 100, writing the rows was most of the
    # page's time (bench, measurement 6: 160-220 ms, up to 2.9 times its SQL).
    list_per_page = 50

    def _responses(self, pks):
        return SurveyResponse.objects.filter(pk__in=pks)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(_RecomputeOnDelete, admin.ModelAdmin):
    """Deleting an imported file deletes its responses: the way to undo a wrong import."""

    list_display = ["filename", "rows", "imported_by", "imported_at"]
    readonly_fields = ["sha256", "filename", "rows", "imported_by", "imported_at"]

    def _responses(self, pks):
        return SurveyResponse.objects.filter(import_batch__in=pks)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        obj.delete()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        queryset.delete()

    def has_add_permission(self, request):
        return False


@admin.register(KioskLink)
class KioskLinkAdmin(admin.ModelAdmin):
    list_display = ["commune", "rotated_at"]
    search_fields = ["commune__name", "commune__code"]
    autocomplete_fields = ["commune"]
