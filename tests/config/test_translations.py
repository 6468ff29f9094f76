"""Every user-facing string has a Korean translation that is in use."""

import re
from pathlib import Path

PO = Path(__file__).resolve().parents[2] / "locale" / "ko" / "LC_MESSAGES" / "django.po"


def _entries():
    for block in PO.read_text(encoding="utf-8").split("\n\n")[1:]:
        msgid = "".join(re.findall(r'^msgid "(.*)"$|^"(.*)"$', block, re.M)[0])
        yield block, msgid


def test_every_string_has_a_korean_translation_and_none_is_fuzzy():
    untranslated, fuzzy = [], []
    for block, _msgid in _entries():
        if re.search(r"^#, .*fuzzy", block, re.M):
            fuzzy.append(block)
        msgstrs = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', block, re.M)
        if not msgstrs or not any(first or rest.strip('\n"') for first, rest in msgstrs):
            untranslated.append(block.splitlines()[-2:])
    assert not fuzzy, fuzzy
    assert not untranslated, untranslated
