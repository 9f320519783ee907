"""The English interface is complete: every string is translated and the shipped .mo is current."""

import gettext
import re
from pathlib import Path

import django
import polib
import pytest
from django.utils import translation
from django.utils.translation import trans_real

ROOT = Path(__file__).resolve().parent.parent
# Letters only Vietnamese uses (with its diacritics), to find Vietnamese text.
VIETNAMESE = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I
)
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/en/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def test_every_app_ships_an_english_catalogue():
    folders = {p.parts[len(ROOT.parts)] for p in CATALOGUES}
    assert {"locale", "friendlygov", "communes", "surveys", "targets"} <= folders


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_is_translated_and_compiled(po_path):
    catalogue = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert untranslated == [], f"untranslated in {po_path}"
    assert fuzzy == [], f"fuzzy in {po_path}"

    compiled = gettext.GNUTranslations(open(po_path.with_suffix(".mo"), "rb"))
    stale = [
        e.msgid
        for e in catalogue.translated_entries()
        if not e.msgid_plural and compiled.gettext(e.msgid) != e.msgstr
    ]
    assert stale == [], f"{po_path.with_suffix('.mo')} is out of date: run compilemessages"


# --- The admin in Vietnamese: every string of the apps it shows -------------------------

SITE_PACKAGES = Path(django.__file__).resolve().parent.parent
# The apps whose pages the admin shows, and a catalogue of theirs that lists every msgid
# (they ship no Vietnamese; Django's contrib apps ship an English one).
ADMIN_APPS = {
    "axes": SITE_PACKAGES / "axes/locale/fr/LC_MESSAGES/django.po",
    "django_celery_beat": SITE_PACKAGES / "django_celery_beat/locale/fr/LC_MESSAGES/django.po",
    "simple_history": SITE_PACKAGES / "simple_history/locale/fr/LC_MESSAGES/django.po",
    **{
        app: SITE_PACKAGES / f"django/contrib/{app}/locale/en/LC_MESSAGES/django.po"
        for app in ("admin", "auth", "contenttypes", "sessions")
    },
}


@pytest.mark.parametrize("app", sorted(ADMIN_APPS))
def test_the_admin_shows_every_string_of_the_app_in_vietnamese(app):
    catalog = trans_real.translation("vi")._catalog
    missing = []
    for entry in polib.pofile(str(ADMIN_APPS[app])):
        if entry.obsolete:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        found = catalog.get((key, 0) if entry.msgid_plural else key)
        if not found:
            missing.append(entry.msgid)
    assert missing == [], f"no Vietnamese in {app}: add them to locale/vi/LC_MESSAGES/django.po"


def test_the_project_vietnamese_catalogue_is_complete_and_compiled():
    po_path = ROOT / "locale/vi/LC_MESSAGES/django.po"
    catalogue = polib.pofile(str(po_path))
    assert catalogue.untranslated_entries() == [] and catalogue.fuzzy_entries() == []
    compiled = gettext.GNUTranslations(open(po_path.with_suffix(".mo"), "rb"))
    assert all(
        compiled.gettext(e.msgid) == e.msgstr
        for e in catalogue.translated_entries()
        if not e.msgid_plural and not e.msgctxt
    )


@pytest.mark.parametrize(
    "phrase",
    [
        "Access attempts",
        "Periodic tasks",
        "Clocked",
        "Solar events",
        "After you’ve created a user, you’ll be able to edit more user options.",
        "Password-based authentication",
        "Please correct the error below.",
    ],
)
def test_the_admin_names_read_in_vietnamese(phrase):
    with translation.override("vi"):
        # The admin shows model names (lower case in the apps) with a capital first letter.
        shown = {translation.gettext(phrase), translation.gettext(phrase.lower())}
        assert shown - {phrase, phrase.lower()}, phrase


# --- Content as data: criteria, questions and practices in both languages ---------------


@pytest.mark.django_db
def test_every_shipped_criterion_and_question_reads_in_english():
    from communes.models import Criterion
    from surveys.models import Question

    criteria = list(Criterion.objects.all())
    questions = list(Question.objects.filter(questionnaire__version=1))
    assert len(criteria) >= 18 and len(questions) == 11
    assert [c.code for c in criteria if not c.title_en or not c.how_met_en] == []
    assert [q.code for q in questions if not q.text_en] == []
    with translation.override("en"):
        assert all(c.title == c.title_en for c in criteria)
        assert all(q.text == q.text_en for q in questions)
    with translation.override("vi"):
        assert all(c.title == c.title_vi and c.title_vi for c in criteria)


def test_every_demo_practice_has_its_english():
    from communes.demo_practices import PRACTICES

    assert all(p["name_en"] and p["description_en"] for p in PRACTICES)


@pytest.mark.django_db
def test_a_missing_item_reason_reads_wholly_in_english():
    from targets import reasons, rules
    from targets.selectors import criterion_titles

    reason = {"code": rules.EVIDENCE_MISSING, "params": {"criterion": "CSVC-01"}}
    with translation.override("en"):
        text = reasons.message(reason, titles=criterion_titles())
    assert text.startswith("Criterion CSVC-01 (Banners")
    assert not VIETNAMESE.search(text)
