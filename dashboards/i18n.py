"""Every visible label, in English and Chinese, read from ``locales/<lang>.yml`` (the domain
terms follow ``locales/glossary.yml``). Pages call ``t(lang, key, **values)``; a key missing
in one language falls back to English, then to the key itself, so that a page never fails over
a label (tests check the two files hold the same keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
LOCALES = Path(__file__).resolve().with_name("locales")


def read_locale(lang: str) -> dict[str, Any]:
    """One locale file: ``labels`` (key -> text) and, for Chinese, ``columns`` (a mart column
    -> its header)."""
    with (LOCALES / f"{lang}.yml").open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


_EN, _ZH = read_locale("en"), read_locale("zh")
EN: dict[str, str] = _EN["labels"]
ZH: dict[str, str] = _ZH["labels"]
LABELS = {"en": EN, "zh": ZH}
# Column headers of the marts as shown in Chinese (the data keeps the mart's column names, so
# exports and SQL stay in the contract's vocabulary).
COLUMNS_ZH: dict[str, str] = _ZH["columns"]


def column_label(lang: str, column: str) -> str:
    """A column's header in ``lang`` (its mart name when there is no translation)."""
    return COLUMNS_ZH.get(column, column) if lang == "zh" else column


def t(lang: str, key: str, **values: object) -> str:
    template = LABELS.get(lang, EN).get(key) or EN.get(key) or key
    return template.format(**values) if values else template
