"""Case SLAs: the days per kind and state, due dates and status, and the config file's errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from posaudit.cases import sla
from posaudit.cases.sla import SlaPolicy
from tests.helpers.paths import ROOT


def test_days_come_from_the_kind_then_the_defaults() -> None:
    policy = sla.parse({"sla": {"days": {"OPEN": 2},
                                "kinds": {"DUPLICATE_CHARGE": {"INVESTIGATING": 4}}}}, "x.yml")
    assert policy.days_for("DUPLICATE_CHARGE", "INVESTIGATING") == 4
    assert policy.days_for("DUPLICATE_CHARGE", "OPEN") == 2
    assert policy.days_for("ONE_SIDED", "INVESTIGATING") == sla.DEFAULT_DAYS["INVESTIGATING"]
    assert policy.days_for(None, "WRITTEN_OFF") == 30
    assert policy.days_for("ONE_SIDED", "CLOSED") is None


def test_due_date_and_status() -> None:
    policy = SlaPolicy()  # OPEN: 3 days, warned 1 day before
    start = datetime(2026, 10, 1)
    due = policy.due("ONE_SIDED", "OPEN", start)
    assert due == datetime(2026, 10, 4)
    assert policy.status(due, datetime(2026, 10, 2, 23)) == sla.ON_TIME
    assert policy.status(due, datetime(2026, 10, 3, 1)) == sla.DUE_SOON
    assert policy.status(due, datetime(2026, 10, 4, 0, 0, 1)) == sla.BREACHED
    assert policy.due("ONE_SIDED", "CLOSED", start) is None
    assert policy.status(None, start) == sla.NO_SLA
    assert policy.due("ONE_SIDED", "OPEN", None) is None


def test_the_shipped_file_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sla.CONFIG_ENV, raising=False)
    policy = SlaPolicy.load()
    assert policy.source == str(ROOT / "cases.yml")
    assert policy.days_for("DUPLICATE_CHARGE", "OPEN") == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"sla": {"dayz": {}}}, "cases config f.yml: sla.dayz: unknown field"),
    ({"rules": {}}, "cases config f.yml: rules: unknown field"),
    ({"sla": {"days": {"DONE": 3}}}, "sla.days.DONE: not a state with an SLA"),
    ({"sla": {"days": {"CLOSED": 3}}}, "sla.days.CLOSED: not a state with an SLA"),
    ({"sla": {"kinds": {"ONE_SIDED": {"OPEN": -1}}}},
     "sla.kinds.ONE_SIDED.OPEN: expected a whole number of days >= 0, got -1"),
    ({"sla": {"kinds": {"ONE_SIDED": 3}}}, "sla.kinds.ONE_SIDED: expected a mapping"),
    ({"sla": {"warn_days": "soon"}}, "sla.warn_days: expected a whole number"),
])
def test_a_bad_config_names_the_file_and_the_field(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.").replace("(", r"\(")):
        sla.parse(data, "f.yml")


def test_a_config_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "cases.yml"
    bad.write_text("sla: [unclosed")
    with pytest.raises(ValueError, match=f"cases config {bad}"):
        SlaPolicy.load(bad)
