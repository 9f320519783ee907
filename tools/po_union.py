"""Collect the English translations of every catalogue at several git refs into one JSON.

    python tools/po_union.py main issue3 issue4 > /tmp/translations.json

Used when merging branches whose catalogues both changed: take either side's .po,
run `make messages`, then fill every catalogue from this JSON with tools/po_fill.py.
"""

import json
import subprocess
import sys

import polib


def catalogue_paths(ref):
    out = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", ref], capture_output=True, text=True, check=True
    ).stdout
    return [p for p in out.splitlines() if p.endswith("locale/en/LC_MESSAGES/django.po")]


def main(refs):
    translations = {}
    for ref in refs:
        for path in catalogue_paths(ref):
            text = subprocess.run(
                ["git", "show", f"{ref}:{path}"], capture_output=True, text=True, check=True
            ).stdout
            for entry in polib.pofile(text):
                if entry.msgid_plural and entry.msgstr_plural.get(0):
                    translations[entry.msgid] = [
                        entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)
                    ]
                elif entry.msgstr:
                    translations.setdefault(entry.msgid, entry.msgstr)
    json.dump(translations, sys.stdout, ensure_ascii=False, indent=0)


if __name__ == "__main__":
    main(sys.argv[1:])
