"""The app in English and in Chinese (its article's readers are Chinese-speaking learners).

The English text is the key, as gettext does: a page writes `tr("Learning rate")` and, in Chinese,
gets the catalogue's entry for it. The Chinese catalogue is the folder `zh/`: one JSON mapping
(English -> Chinese) a page (`zh/optimizers.json`, ...; `zh/app.json` for the home page, navigation and
shared widgets), merged on load; the same English text may appear in two files only with the same
translation (`conflicts(lang)` lists any that do not; a test keeps it empty, and the app never fails to
load over one). Numbers,
code and names from torch stay as they are; `{placeholders}` are filled after translating, so a
translation may move them:

    translate("Epoch {n} of {total}", "zh").format(n=3, total=5)   # "第 3 / 5 轮"

`language(value)` turns whatever a URL says (`?lang=zh`, `zh-CN`, `中文`, nonsense) into "en" or "zh".
A text with no entry shows in English: `missing(texts, lang)` lists them, and a test fails for any text
a page passes to `tr` that the Chinese catalogue lacks. The command line stays English.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from functools import cache
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
ALIASES = {"zh": "zh", "zh-cn": "zh", "zh_cn": "zh", "zh-hans": "zh", "cn": "zh", "chinese": "zh", "中文": "zh",
           "en": "en", "en-us": "en", "en-gb": "en", "english": "en"}
HERE = Path(__file__).parent


def language(value: object) -> str:
    """"en" or "zh" from a URL's or a widget's value; English for anything else."""
    return ALIASES.get(str(value or "").strip().lower(), DEFAULT)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """English text -> its translation, for a language other than English ({} for English)."""
    if lang == DEFAULT:
        return {}
    merged: dict[str, str] = {}
    for _, table in files(lang):
        for english, translated in table.items():
            merged.setdefault(english, translated)  # two files that disagree: the first wins (conflicts() says so)
    return merged


def files(lang: str) -> list[tuple[str, dict[str, str]]]:
    """(file name, its mapping) for each catalogue file of a language, in name order."""
    out = []
    for path in sorted((HERE / lang).glob("*.json")):
        with path.open(encoding="utf-8") as f:
            out.append((path.name, json.load(f)))
    return out


def conflicts(lang: str) -> list[str]:
    """English texts that two catalogue files translate differently (a test keeps this empty: a text that
    needs two translations needs two English texts, e.g. "steps per epoch" beside "steps")."""
    seen: dict[str, tuple[str, str]] = {}
    out = []
    for name, table in files(lang):
        for english, translated in table.items():
            if english in seen and seen[english][1] != translated:
                out.append(f"{english!r}: {seen[english][0]} and {name} disagree")
            seen.setdefault(english, (name, translated))
    return out


def translate(text: str, lang: str) -> str:
    """`text` in `lang` (itself when English, or when the catalogue has no entry for it)."""
    return catalogue(language(lang)).get(text, text) if lang != DEFAULT else text


def placeholders(text: str) -> set[str]:
    """The `{names}` a text fills in with str.format."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def missing(texts: Iterable[str], lang: str) -> list[str]:
    """The texts that `lang`'s catalogue does not translate."""
    table = catalogue(lang)
    return [t for t in texts if t not in table]
