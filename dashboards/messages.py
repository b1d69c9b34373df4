"""Messages the case store and the report checks give (in English, as the command line and the
file reports read them) in the page's language: each known message is matched and re-said
through a locale key; one not known reads as it came, so that nothing is ever hidden.

Plain Python; tests/dashboards/test_messages.py makes every message those checks can give
pass through here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from posaudit.dashboards import display, i18n


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    key: str
    # A captured part that is a code: its glossary kind (a list of codes: comma-separated).
    codes: dict[str, str] = field(default_factory=dict)


def _p(pattern: str, key: str, **codes: str) -> Pattern:
    return Pattern(re.compile(pattern), key, codes)


# The report checks (posaudit.cases.reports.validate_report) and the case actions' refusals
# (posaudit.cases.lifecycle.act, the "why" of ActionRefused).
PATTERNS = (
    _p(r"Please give your name\.", "report.err.reporter_name"),
    _p(r"Please say what kind of error it is\.", "report.err.error_type"),
    _p(r"Please describe what happened\.", "report.err.description"),
    _p(r"At most (?P<limit>\d+) characters, please\.", "report.err.too_long"),
    _p(r"Please give the terminal number \(终端号\)\.", "report.err.terminal_missing"),
    _p(r"No terminals are known yet: the warehouse has not been refreshed\.",
       "report.err.no_terminals"),
    _p(r"Terminal (?P<terminal>.+) is not a known terminal\.", "report.err.unknown_terminal"),
    _p(r"Please give the amount in yuan, e\.g\. 88\.50\.", "report.err.amount_missing"),
    _p(r"The amount must be greater than 0\.", "report.err.amount_positive"),
    _p(r"The amount has at most two decimal places \(fen\)\.", "report.err.amount_fen"),
    _p(r"The amount is too large\.", "report.err.amount_large"),
    _p(r"Please give the date and time of the transaction\.", "report.err_time"),
    _p(r"The transaction time is in the future\.", "report.err.future"),
    _p(r"The voucher number \(凭证号\) has 6 digits\.", "report.err.trace_no"),
    _p(r"The reference number \(参考号\) has 12 letters or digits\.", "report.err.rrn"),
    _p(r"The merchant number \(商户号\) has 15 letters or digits\.", "report.err.merchant_id"),
    _p(r"The currency is a three-letter code such as CNY\.", "report.err.currency"),
    _p(r"amount (?P<value>.+) is not a number", "cases.err.not_number"),
    _p(r"no such case", "cases.err.no_case"),
    _p(r"(?P<name>.+) is (?P<role>[a-z]+), who may not (?P<action>[a-z_]+)", "cases.err.role",
       role="role", action="action"),
    _p(r"allowed only in (?P<states>.+)", "cases.err.state", states="case_state"),
    _p(r"an amount greater than 0 is required", "cases.err.amount"),
    _p(r"a reference \(the refund or recovery voucher\) is required", "cases.err.reference"),
    _p(r"a reason is required", "cases.err.reason"),
    _p(r"no write-off has been proposed since the case last changed state",
       "cases.err.no_proposal"),
    _p(r"(?P<name>.+) proposed this write-off; a second person must approve it",
       "cases.err.same_person"),
)


def localize(lang: str, message: str) -> str:
    """``message`` in ``lang``: its locale text when it is a known one, else as it is. English
    is the messages' own language: they are shown as given."""
    if lang == i18n.DEFAULT:
        return message
    text = message.strip()
    for pattern in PATTERNS:
        found = pattern.regex.fullmatch(text)
        if found is None:
            continue
        values = {name: _value(lang, pattern.codes.get(name), value)
                  for name, value in found.groupdict().items()}
        return i18n.t(lang, pattern.key, **values)
    return message


def _value(lang: str, kind: str | None, value: str) -> str:
    if kind is None:
        return value
    if value == "none":
        return i18n.t(lang, "cases.err.none")
    separator = "、" if lang == "zh" else ", "
    return separator.join(display.term(lang, kind, v.strip()) for v in value.split(","))
