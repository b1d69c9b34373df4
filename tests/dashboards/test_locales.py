"""The locale files: the same keys and placeholders in both languages, and the Chinese labels
hold to the glossary (one word per concept, none of the competing words)."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import yaml

from posaudit.dashboards import i18n


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def placeholder_mismatches(en: Mapping[str, str], zh: Mapping[str, str]) -> list[str]:
    return sorted(k for k in en.keys() & zh.keys() if _placeholders(en[k]) != _placeholders(zh[k]))


def glossary_breaches(terms: Mapping[str, Mapping[str, Any]], en_text: str, zh_text: str
                      ) -> list[str]:
    """Each term used in English has its Chinese word in zh.yml; no competing word appears."""
    out = []
    for name, term in terms.items():
        if term["en"].lower() in en_text.lower() and term["zh"] not in zh_text:
            out.append(f"{name}: {term['zh']} never used")
        out += [f"{name}: {word} used instead of {term['zh']}" for word in term["avoid"]
                if word in zh_text]
    return out


def _glossary() -> dict[str, dict[str, Any]]:
    with (i18n.LOCALES / "glossary.yml").open(encoding="utf-8") as f:
        terms: dict[str, dict[str, Any]] = yaml.safe_load(f)["terms"]
    return terms


def _zh_text() -> str:
    return "\n".join([*i18n.ZH.values(), *i18n.COLUMNS_ZH.values()])


def test_both_languages_hold_the_same_keys_and_placeholders() -> None:
    assert len(i18n.EN) > 200
    assert sorted(i18n.EN.keys() ^ i18n.ZH.keys()) == []
    assert placeholder_mismatches(i18n.EN, i18n.ZH) == []
    assert all(isinstance(v, str) and v for v in [*i18n.EN.values(), *i18n.ZH.values()])


def test_a_placeholder_missing_in_one_language_is_named() -> None:
    assert placeholder_mismatches({"a": "{n} files", "b": "x"}, {"a": "{m} 个文件", "b": "x"}) == [
        "a"]


def test_the_chinese_labels_hold_to_the_glossary() -> None:
    terms = _glossary()
    assert {"exception", "exposure", "write-off", "settlement", "payout"} <= set(terms)
    zh_words = [t["zh"] for t in terms.values()]
    assert len(zh_words) == len(set(zh_words)), "one Chinese word per concept"
    en_text = "\n".join(i18n.EN.values())
    assert glossary_breaches(terms, en_text, _zh_text()) == []


def test_a_competing_word_or_an_unused_term_is_named() -> None:
    terms = {"exception": {"en": "exception", "zh": "差错", "avoid": ["异常"]},
             "alert": {"en": "alert", "zh": "预警", "avoid": ["告警"]}}
    assert glossary_breaches(terms, "Exceptions and alerts", "异常类型；预警") == [
        "exception: 差错 never used", "exception: 异常 used instead of 差错"]
    assert glossary_breaches(terms, "Exceptions and alerts", "差错类型；预警") == []


def test_labels_read_from_the_locale_files() -> None:
    assert i18n.t("zh", "filters") == "筛选"
    assert i18n.t("en", "filters.ignored", names="x") == "Not applied on this page (the data has " \
                                                          "no such column): x"
    assert i18n.t("xx", "filters") == "Filters" and i18n.t("en", "no.such.key") == "no.such.key"
    assert i18n.column_label("zh", "exception_type") == "差错类型"
