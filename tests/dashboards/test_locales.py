"""The locale files: the same keys and placeholders in both languages, and the Chinese labels
hold to the glossary (one word per concept, none of the competing words)."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import yaml

from posaudit.alerts.config import OUTCOMES
from posaudit.cases import lifecycle, roles
from posaudit.dashboards import display, i18n, reporting
from posaudit.pipeline.run_record import RUNNING, UNCHANGED
from tests.helpers.paths import ROOT


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
    assert i18n.t("en", "filters.hidden", figure="Trends", names="x") == (
        "Not shown: Trends (the data behind it cannot be filtered by x).")
    assert i18n.t("xx", "filters") == "Filters" and i18n.t("en", "no.such.key") == "no.such.key"
    assert i18n.column_label("zh", "exception_type") == "差错类型"


# Where each kind of code takes its values from: the dbt models' accepted_values checks
# (model, column), plus the values only Python knows (below).
CODE_SOURCES: dict[str, list[tuple[str, str]]] = {
    "exception_type": [("fct_exceptions", "exception_type")],
    "root_cause": [("fct_exceptions", "root_cause"), ("mart_root_cause", "root_cause")],
    "status": [("fct_exceptions", "status")],
    "case_state": [("stg_cases__cases", "case_state"), ("mart_loss_assessment", "case_state")],
    "action": [("stg_cases__case_actions", "action")],
    "event_type": [("stg_tms__terminal_events", "event_type")],
    "exposure_direction": [("fct_exceptions", "exposure_direction")],
    "severity": [("fct_alerts", "severity"), ("stg_audit__dq_check_results", "severity")],
    "dq_status": [("stg_audit__dq_check_results", "status")],
    "file_status": [("fct_file_manifest", "status")],
    "match_status": [("fct_transactions", "match_status"),
                     ("fct_settlement_lines", "match_status")],
    "match_rule": [("fct_transactions", "match_rule")],
    "channel": [("fct_transactions", "channel")],
    "channel_group": [("fct_transactions", "channel_group")],
    "card_type": [("fct_transactions", "card_type")],
    "txn_type": [("fct_transactions", "txn_type"), ("fct_settlement_lines", "txn_type")],
    "aging_bucket": [("mart_loss_assessment", "aging_bucket")],
    "alert_rule": [("fct_alerts", "rule")],
    "subject_type": [("fct_alerts", "subject_type")],
    "delivery_status": [("fct_alerts", "webhook_status"), ("fct_alerts", "email_status")],
    "source": [("mart_pending_sources", "source")],
    "item_kind": [("mart_pending_sources", "item_kind")],
}


def _accepted_values() -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for path in (ROOT / "models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            # A model's column checks in one test (columns_valid): accepted_values by column.
            for test in model.get("data_tests") or []:
                if isinstance(test, dict) and "columns_valid" in test:
                    listed = test["columns_valid"]["arguments"].get("accepted_values") or {}
                    out.update({(model["name"], column): [str(v) for v in values]
                                for column, values in listed.items()})
            for column in model.get("columns") or []:
                for test in column.get("data_tests") or column.get("tests") or []:
                    if isinstance(test, dict) and "accepted_values" in test:
                        spec = test["accepted_values"]
                        values = spec.get("values") or spec.get("arguments", {}).get("values")
                        out[(model["name"], column["name"])] = [str(v) for v in values]
    return out


def _python_codes() -> dict[str, list[str]]:
    return {"case_state": list(lifecycle.STATES), "action": list(lifecycle.ACTIONS),
            "role": [*roles.ROLES, roles.SYSTEM], "outcome": [*OUTCOMES, UNCHANGED, RUNNING],
            "report_type": [t for t in reporting.ERROR_TYPES
                            if f"code.exception_type.{t}" not in i18n.EN],
            "currency": ["CNY"]}


def missing_terms(values: Mapping[str, list[str]]) -> list[str]:
    """``code.<kind>.<CODE>`` keys a language lacks for the given codes."""
    return sorted(f"{lang}: code.{kind}.{code}" for kind, codes in values.items()
                  for code in codes for lang, labels in i18n.LABELS.items()
                  if f"code.{kind}.{code}" not in labels)


def test_every_code_a_page_shows_has_a_term_in_both_languages() -> None:
    accepted = _accepted_values()
    values: dict[str, list[str]] = {}
    for kind, sources in CODE_SOURCES.items():
        for source in sources:
            assert source in accepted, f"{source} has no accepted_values test"
            values.setdefault(kind, []).extend(accepted[source])
    for kind, codes in _python_codes().items():
        values.setdefault(kind, []).extend(codes)
    assert set(values) <= set(display.CODE_KINDS)
    assert missing_terms(values) == []
    # Every kind a locale names is one display.term knows.
    kinds = {key.split(".")[1] for key in i18n.EN if key.startswith("code.")}
    assert kinds == set(display.CODE_KINDS)
    # A code's term differs between the languages (none left untranslated).
    same = [k for k in i18n.EN if k.startswith("code.") and i18n.EN[k] == i18n.ZH[k]]
    assert same == []


def test_a_code_without_a_term_is_named() -> None:
    assert missing_terms({"status": ["OPEN", "SOMETHING_NEW"]}) == [
        "en: code.status.SOMETHING_NEW", "zh: code.status.SOMETHING_NEW"]
