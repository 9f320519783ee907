"""Fill untranslated entries of a .po catalogue from a JSON object {msgid: msgstr}.

    python tools/po_fill.py communes/locale/en/LC_MESSAGES/django.po translations.json

Lists what is still untranslated afterwards, so that nothing ships half-translated.
Run `make messages` first (it extracts and compiles), then this, then
`manage.py compilemessages`.
"""

import json
import sys

import polib


def main(po_path, json_path=None):
    catalogue = polib.pofile(po_path)
    translations = json.load(open(json_path, encoding="utf-8")) if json_path else {}
    for entry in catalogue:
        if entry.msgid in translations:
            value = translations[entry.msgid]
            if entry.msgid_plural and isinstance(value, list):
                entry.msgstr_plural = dict(enumerate(value))
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    catalogue.save()
    missing = [e.msgid for e in catalogue if not e.translated() and not e.obsolete]
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
