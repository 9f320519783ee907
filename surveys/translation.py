"""The survey questions in Vietnamese and English, edited in the admin."""

from modeltranslation.translator import TranslationOptions, register

from surveys.models import Question


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("text",)
