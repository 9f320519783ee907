from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from communes.models import (
    ChecklistDeadline,
    CommitteeMember,
    Commune,
    CommuneLink,
    Criterion,
    DeadlineExtension,
    District,
    Evidence,
    EvidenceFile,
    EvidenceTransition,
    FacilityInvestment,
    GoodPractice,
    Notification,
    PracticeAdoption,
    Province,
    ProvinceRename,
    Reorganization,
    SteeringCommittee,
    UserScope,
)
from communes.text import fold
from friendlygov.admin import SimpleHistoryAdmin


class FoldedSearchMixin:
    """Search also matches names typed without diacritics ("doi ngo" finds "Đồi Ngô")."""

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        folded = fold(search_term)
        if folded:
            results |= queryset.filter(search_name__contains=folded)
        return results, may_have_duplicates


class DistrictOfProvinceFilter(admin.RelatedFieldListFilter):
    """A list filter of districts that offers only the districts of the province chosen in
    the list's province filter (a dozen), never the country's 705: without a province it
    offers none and says to choose one first. A district already in the address still
    filters, and stays offered. Use beside a province filter:
    ``list_filter = ["commune__province", ("commune__district", DistrictOfProvinceFilter)]``.
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.province = next(
            (
                value
                for key, value in request.GET.items()
                if key.endswith("province__id__exact") and value.isdigit()
            ),
            None,
        )
        super().__init__(field, request, params, model, model_admin, field_path)
        if self.province is None:
            self.title = _("%(title)s (chọn tỉnh trước)") % {"title": self.title}

    def field_choices(self, field, request, model_admin):
        chosen = [value for value in (self.lookup_val or []) if str(value).isdigit()]
        districts = District.objects.filter(
            Q(province_id=self.province) if self.province else Q(pk__in=[])
        ) | District.objects.filter(pk__in=chosen)
        return [(d.pk, str(d)) for d in districts.order_by("name", "code")]

    def has_output(self):
        return True


@admin.register(Province)
class ProvinceAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "valid_from", "valid_to"]
    search_fields = ["code", "name"]


@admin.register(District)
class DistrictAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "province", "valid_from", "valid_to"]
    list_filter = ["kind", "province"]
    search_fields = ["code", "name"]


@admin.register(Commune)
class CommuneAdmin(FoldedSearchMixin, SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "district",
        "province",
        "valid_from",
        "valid_to",
        "is_pilot",
        "model_launched_on",
    ]
    list_filter = [
        "province",
        ("district", DistrictOfProvinceFilter),
        "kind",
        "is_pilot",
        "valid_from",
        "valid_to",
    ]
    list_select_related = ["district", "province"]
    search_fields = ["code", "name", "district__name"]
    list_per_page = 50
    # A select would list the country's 705 districts: a search box instead.
    autocomplete_fields = ["district", "province"]

    # The survey table has no foreign key constraint to the commune (surveys.models,
    # ``SurveyResponse.commune``): the deletion locks the communes before Django looks for
    # their responses, so that it waits for an import writing for them to commit (the
    # importer holds them FOR KEY SHARE) and then deletes that import's rows too, instead
    # of leaving them without a commune.
    def delete_model(self, request, obj):
        with transaction.atomic():
            list(Commune.objects.select_for_update().filter(pk=obj.pk).values_list("pk"))
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            pks = list(queryset.values_list("pk", flat=True))
            list(Commune.objects.select_for_update().filter(pk__in=pks).values_list("pk"))
            super().delete_queryset(request, queryset)


class CommuneLinkInline(admin.TabularInline):
    model = CommuneLink
    fk_name = "reorganization"
    extra = 0
    autocomplete_fields = ["predecessor", "successor"]
    fields = ["predecessor", "predecessor_code", "predecessor_name", "successor", "kind"]
    fields += ["certainty"]
    show_change_link = True


class ProvinceRenameInline(admin.TabularInline):
    """A province's own change is recorded on the reorganization screen, with its units."""

    model = ProvinceRename
    extra = 0
    fields = readonly_fields = (
        "province",
        "former_name",
        "former_kind",
        "name",
        "kind",
        "effective_on",
    )
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Reorganization)
class ReorganizationAdmin(SimpleHistoryAdmin):
    list_display = ["resolution", "effective_on", "recorded_at"]
    search_fields = ["resolution", "note"]
    inlines = [ProvinceRenameInline, CommuneLinkInline]


@admin.register(CommuneLink)
class CommuneLinkAdmin(SimpleHistoryAdmin):
    """Lineage links. The uncertain ones (filter "mức chắc chắn") are loaded marked as such;
    an administrator corrects a link here, which records who checked it and keeps
    ``load_units`` from overwriting it."""

    list_display = [
        "predecessor_code",
        "predecessor_name",
        "successor",
        "kind",
        "effective_on",
        "resolution",
        "certainty",
        "checked_at",
    ]
    list_filter = ["certainty", "kind", "effective_on", "reorganization"]
    list_select_related = ["successor"]
    search_fields = ["predecessor_code", "predecessor_name", "successor__name", "successor__code"]
    autocomplete_fields = ["predecessor", "successor"]
    readonly_fields = ["checked_by", "checked_at"]

    def save_model(self, request, obj, form, change):
        obj.checked_by, obj.checked_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)


class UserScopeInline(admin.StackedInline):
    model = UserScope
    can_delete = False
    verbose_name_plural = _("vai trò và phạm vi")
    autocomplete_fields = ["district", "commune", "limited_to"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [UserScopeInline]
    list_display = ["username", "first_name", "last_name", "role", "unit", "is_active"]
    list_filter = ["scope__role", "is_active", "is_staff"]
    list_select_related = ["scope__province", "scope__district", "scope__commune"]
    actions = ["invite"]
    # An administrator who adds a user gives the e-mail address the invitation goes to.
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )

    @admin.action(description=_("Gửi thư mời đặt mật khẩu"))
    def invite(self, request, queryset):
        from communes.services.accounts import user_invite

        sent = sum(user_invite(user=user, by=request.user) for user in queryset)
        skipped = queryset.count() - sent
        self.message_user(request, _("Đã gửi %(n)d thư mời.") % {"n": sent})
        if skipped:
            self.message_user(
                request,
                _("%(n)d tài khoản không được gửi: chưa có e-mail hoặc đang khóa.")
                % {"n": skipped},
                level="warning",
            )

    @admin.display(description=_("vai trò"), ordering="scope__role")
    def role(self, user):
        scope = getattr(user, "scope", None)
        return scope.get_role_display() if scope else "—"

    @admin.display(description=_("đơn vị"))
    def unit(self, user):
        scope = getattr(user, "scope", None)
        return (scope.unit if scope else None) or "—"


class CommitteeMemberInline(admin.TabularInline):
    model = CommitteeMember
    extra = 1


@admin.register(SteeringCommittee)
class SteeringCommitteeAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "level", "decision_number", "established_on"]
    # Each row names its unit: read with the rows, not by a query per row.
    list_select_related = ["commune", "district", "province"]
    list_filter = ["level"]
    search_fields = ["decision_number", "commune__name", "district__name"]
    autocomplete_fields = ["district", "commune"]
    inlines = [CommitteeMemberInline]


@admin.register(Criterion)
class CriterionAdmin(TranslationAdmin, SimpleHistoryAdmin):
    list_display = [
        "code",
        "title",
        "group",
        "kind",
        "is_required",
        "points",
        "threshold",
        "active_from",
        "active_to",
    ]
    list_filter = ["group", "kind", "is_required"]
    search_fields = ["code", "title_vi", "title_en"]


class EvidenceFileInline(admin.TabularInline):
    model = EvidenceFile
    extra = 0
    fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields  # type: ignore[assignment]


class EvidenceTransitionInline(admin.TabularInline):
    model = EvidenceTransition
    extra = 0
    fields = ["at", "from_state", "to_state", "by", "note"]
    readonly_fields = fields  # type: ignore[assignment]
    can_delete = False


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin):
    list_display = ["commune", "criterion", "year", "state", "submitted_at", "reviewed_at"]
    list_filter = [
        "year",
        "state",
        "commune__province",
        ("commune__district", DistrictOfProvinceFilter),
    ]
    list_select_related = ["commune", "criterion"]
    search_fields = ["commune__name", "commune__code", "criterion__code"]
    autocomplete_fields = ["commune"]
    inlines = [EvidenceFileInline, EvidenceTransitionInline]
    # A filtered list counts its own rows once; the country's total (430,000 rows at
    # national scale) is not counted again beside it.
    show_full_result_count = False
    # 50 rows a page, as the communes' list: at 100, writing the rows was most of the
    # page's time (bench, measurement 6: 170-230 ms, 2.7 times its SQL).
    list_per_page = 50


class PracticeAdoptionInline(admin.TabularInline):
    model = PracticeAdoption
    extra = 0
    autocomplete_fields = ["commune"]


@admin.register(GoodPractice)
class GoodPracticeAdmin(TranslationAdmin):
    list_display = ["name", "origin", "started_on"]
    search_fields = ["name_vi", "name_en", "description_vi"]
    autocomplete_fields = ["origin"]
    inlines = [PracticeAdoptionInline]


@admin.register(FacilityInvestment)
class FacilityInvestmentAdmin(admin.ModelAdmin):
    """A commune's row (its district is filled in from the commune, none from 1/7/2025)
    or a district's own row (no commune)."""

    list_display = ["year", "district", "commune", "planned_vnd", "spent_vnd"]
    list_select_related = ["district", "commune"]
    list_filter = ["year", "district__province", ("district", DistrictOfProvinceFilter)]
    search_fields = ["commune__name", "commune__code", "district__name"]
    autocomplete_fields = ["district", "commune"]


@admin.register(ChecklistDeadline)
class ChecklistDeadlineAdmin(admin.ModelAdmin):
    list_display = ["year_text", "submission_deadline", "review_deadline"]

    @admin.display(description=_("năm"), ordering="year")
    def year_text(self, obj):
        return str(obj.year)


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(SimpleHistoryAdmin):
    """Granted by reviewers on the deadlines page; kept here with their history."""

    list_display = ["commune", "year", "until", "granted_by", "granted_at"]
    list_select_related = ["commune", "granted_by"]
    list_filter = ["year"]
    raw_id_fields = ["commune", "granted_by"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """What users were told; ``email_pending`` rows are the mail outbox (sent within 5
    minutes by beat's drain; rows that stay there mean the mail server refuses them)."""

    list_display = [
        "created_at",
        "user",
        "kind",
        "commune",
        "read_at",
        "email_pending",
        "emailed_at",
    ]
    list_filter = ["kind", "email_pending"]
    list_select_related = ["user", "commune"]
    search_fields = ["user__username", "user__email"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
