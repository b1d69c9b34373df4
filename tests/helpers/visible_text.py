"""English left on a Chinese page: the ASCII words a reader sees that are not identifiers,
numbers, dates or names that stay as they are. ``english_words`` judges a text;
``visible_english`` reads a page in a browser (its main area and sidebar, as shown) and judges
that. Any page can be checked the same way: open it with ``lang=zh``, let it settle, call
``visible_english``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Names a Chinese reader sees as they are: products, formats and SQL words. Phrases first.
ALLOWED_NAMES = ("Great Expectations", "Data Docs", "DuckDB", "SQL", "CSV", "Excel", "JSON",
                 "posaudit", "dbt", "SELECT", "LIMIT", "ISO", "Streamlit")
# The warehouse's table names (the SQL page and the two sides of a match name them).
TABLE_NAME = re.compile(r"(?:fct|mart|stg|int|dim)_[a-z0-9_]+")
# The parts of an empty date or time field's mask (yyyy-mm-dd, HH:mm).
_MASK_PART = r"(?:y{2,4}|[mM]{1,2}|d{1,2}|[hH]{1,2}|s{1,2})"
DATE_MASK = re.compile(rf"{_MASK_PART}(?:[-/:.]{_MASK_PART})*")
# A run of ASCII letters, digits and the punctuation identifiers and dates are made of.
ASCII_RUN = re.compile(r"[A-Za-z0-9_./:+\-]*[A-Za-z][A-Za-z0-9_./:+\-]*")
# Material icons are drawn from ligature text (``keyboard_arrow_down``), not read.
ICONS = '[data-testid="stIconMaterial"]'
# What is checked: the page and its sidebar, charts included. Not read: table cells (drawn on
# a canvas; the code columns beside the terms hold codes on purpose) and what is set as code
# (a command, a path, a table name in `backticks`).
AREAS = ('[data-testid="stMain"]', '[data-testid="stSidebar"]')
NOT_PROSE = ('[data-testid="stDataFrame"]', '[data-testid="stCode"]', "code")


def english_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """The words of ``text`` that are English: ASCII runs holding no digit (an id, a number, a
    date and a time all hold one) and no slash (a path, a time zone), neither an allowed name
    nor a table name nor a date mask."""
    names = sorted({*ALLOWED_NAMES, *allowed}, key=len, reverse=True)
    for name in names:
        text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", " ", text)
    out = []
    for run in ASCII_RUN.findall(text):
        word = run.strip(".:+-")
        if not word or any(ch.isdigit() or ch == "/" for ch in word) or \
                TABLE_NAME.fullmatch(word) or DATE_MASK.fullmatch(word):
            continue
        out.append(word)
    return out


# One synchronous read of the page (a rerun cannot change it halfway): each area's text as
# shown, the icons' ligature text, and the parts that are not prose.
_READ = """([areas, icons, notProse]) => {
    const texts = el => Array.from(el).map(e => e.innerText).filter(t => t.trim());
    return {
        icons: texts(document.querySelectorAll(icons)).map(t => t.trim()),
        areas: areas.flatMap(area => Array.from(document.querySelectorAll(area)).map(a => ({
            text: a.innerText,
            parts: notProse.flatMap(sel => texts(a.querySelectorAll(sel))),
        }))),
    };
}"""


def visible_english(page: Any, allowed: Iterable[str] = ()) -> list[str]:
    """The English words a browser ``page`` shows in its main area and sidebar."""
    seen = page.evaluate(_READ, [list(AREAS), ICONS, list(NOT_PROSE)])
    icons = set(seen["icons"])
    words: list[str] = []
    for area in seen["areas"]:
        text = area["text"]
        for part in sorted(set(area["parts"]), key=len, reverse=True):  # "fct_alerts" first
            text = text.replace(part, " ")
        words += [w for w in english_words(text, allowed) if w not in icons]
    return words
