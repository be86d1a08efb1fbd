"""Refresh the Simplified Chinese UI catalogue after changing UI text.

    .venv/bin/python scripts/update_catalogue.py [TRANSLATIONS.json ...]

Extracts every marked string (`_`, `_l`, `N_`, `lazy_gettext`) into messages.pot, merges it into
zh_Hans_CN/messages.po keeping existing translations, adds the msgid → Chinese pairs from the
JSON files given, drops strings no longer used, then regenerates the Traditional Chinese
catalogue (zh_Hant_TW) from the Simplified one with OpenCC's Taiwan-phrase conversion and the
reviewed term table (marketplace/translations/zh_Hant_TW/terms.json), compiles, and lists what
still lacks a translation (a test fails while anything does).
"""
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "marketplace" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
TRADITIONAL_PO = TRANSLATIONS / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po"
PYBABEL = str(Path(sys.executable).parent / "pybabel")


def extract():
    subprocess.run([PYBABEL, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_", "-k", "lazy_gettext",
                    "-o", str(POT), "--no-location", "--sort-output", "."], cwd=ROOT, check=True)


def known_translations(extra_files):
    known = {}
    if PO.exists():
        with PO.open("rb") as handle:
            known = {m.id: m.string for m in read_po(handle) if m.id and m.string}
    for name in extra_files:
        known.update(json.loads(Path(name).read_text(encoding="utf-8")))
    return known


def merge(known):
    with POT.open("rb") as handle:
        template = read_po(handle)
    catalogue = Catalog(locale="zh_Hans_CN", project="torch-marketplace", fuzzy=False)
    missing = []
    for message in template:
        if message.id:
            text = known.get(message.id, "")
            missing += [] if text else [message.id]
            catalogue.add(message.id, text, flags=[f for f in message.flags if f != "fuzzy"])
    with PO.open("wb") as handle:
        write_po(handle, catalogue, sort_output=True, width=0)
    return missing


def write_traditional():
    """The Traditional catalogue is never edited by hand: fix a term in terms.json and rerun."""
    sys.path.insert(0, str(ROOT))
    from marketplace.traditional import to_traditional

    with PO.open("rb") as handle:
        simplified = read_po(handle)
    catalogue = Catalog(locale="zh_Hant_TW", project="torch-marketplace", fuzzy=False,
                        creation_date=simplified.creation_date)
    for message in simplified:
        if message.id:
            catalogue.add(message.id, to_traditional(message.string), flags=message.flags)
    TRADITIONAL_PO.parent.mkdir(parents=True, exist_ok=True)
    with TRADITIONAL_PO.open("wb") as handle:
        write_po(handle, catalogue, sort_output=True, width=0)


def main(extra_files):
    extract()
    missing = merge(known_translations(extra_files))
    write_traditional()
    subprocess.run([PYBABEL, "-q", "compile", "-d", str(TRANSLATIONS), "-D", "messages"], check=True)
    print(f"{len(missing)} message(s) without a translation")
    for message_id in missing:
        print("  " + json.dumps(message_id, ensure_ascii=False))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
