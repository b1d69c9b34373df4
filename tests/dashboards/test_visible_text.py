"""The English-word check the Chinese browser test runs (tests/helpers/visible_text.py)."""

from __future__ import annotations

from tests.helpers.visible_text import english_words


def test_ids_numbers_dates_paths_and_names_are_not_english_words() -> None:
    text = ("数据快照 20261207T041037-0eb1 终端 T0001 金额 1,234.56 元 2.95 % 2026-10-05 12:00:00 "
            "时间（Asia/Shanghai）落地区的 reports/ 文件夹 DuckDB SQL CSV Excel posaudit "
            "Great Expectations 终端侧（fct_transactions）yyyy-mm-dd HH:mm")
    assert english_words(text) == []


def test_english_words_and_codes_are_named() -> None:
    text = "最近刷新 PUBLISHED 差错类型 DUPLICATE_CHARGE Choose options Oct is_fault"
    assert english_words(text) == ["PUBLISHED", "DUPLICATE_CHARGE", "Choose", "options", "Oct",
                                   "is_fault"]
    assert english_words("已登录：alice（审批人）", ["alice"]) == []
    assert english_words("已登录：alice（审批人）") == ["alice"]
