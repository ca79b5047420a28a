"""Chinese first: the zh_Hans catalog translates every string, and pages come out in Chinese."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

CATALOG = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_catalog_is_complete():
    catalog = polib.pofile(str(CATALOG))
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries() if entry.msgid]
    assert untranslated == []
    assert fuzzy == []
    assert len(catalog) > 300


def test_placeholders_survive_translation():
    catalog = polib.pofile(str(CATALOG))
    import re

    placeholder = re.compile(r"%\(\w+\)s|\{\{\s*\w+\s*\}\}")
    for entry in catalog.translated_entries():
        translations = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for text in translations:
            assert sorted(placeholder.findall(entry.msgid)) == sorted(placeholder.findall(text)), entry.msgid


@pytest.mark.parametrize(("msgid", "chinese"), [("Households", "住户"), ("Tags", "标签")])
def test_compiled_catalog_is_used(msgid, chinese):
    with translation.override("zh-hans"):
        assert chinese in translation.gettext(msgid)
