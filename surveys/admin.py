from django.contrib import admin

from surveys.models import ImportBatch, KioskLink, Question, Questionnaire, SurveyResponse


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "is_active", "created_at"]
    inlines = [QuestionInline]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["commune", "answered_on", "channel", "satisfied"]
    list_filter = ["channel", "satisfied", "commune__district"]
    list_select_related = ["commune"]
    search_fields = ["commune__name", "commune__code"]
    date_hierarchy = "answered_on"
    autocomplete_fields = ["commune"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["filename", "rows", "imported_by", "imported_at"]


@admin.register(KioskLink)
class KioskLinkAdmin(admin.ModelAdmin):
    list_display = ["commune", "rotated_at"]
    search_fields = ["commune__name", "commune__code"]
    autocomplete_fields = ["commune"]
