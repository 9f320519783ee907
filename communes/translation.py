"""Criteria and good practices in Vietnamese and English, edited in the admin.

``criterion.title`` reads the active language's column and falls back to Vietnamese.
"""

from modeltranslation.translator import TranslationOptions, register

from communes.models import Criterion, GoodPractice


@register(Criterion)
class CriterionTranslation(TranslationOptions):
    fields = ("title", "how_met")


@register(GoodPractice)
class GoodPracticeTranslation(TranslationOptions):
    fields = ("name", "description")
