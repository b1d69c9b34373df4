"""dbt's own unit tests (given / expect rows) for every exception rule, the matching rules and
the contract macros. The refresh skips them, since they test logic rather than data; they run
here, against a real warehouse."""

from __future__ import annotations

from posaudit.dbt_runner import run_dbt
from posaudit.warehouse import Warehouse
from tests.conftest import Built


def test_dbt_unit_tests_pass(built: Built) -> None:
    outcome = run_dbt(Warehouse.at(built.warehouse), ["test", "--select", "test_type:unit"],
                      quiet=True)
    assert outcome.nodes, "no unit test ran"
    assert len(outcome.nodes) >= 12
    failed = [(n["name"], n["message"]) for n in outcome.failures]
    assert outcome.success and not failed, failed
