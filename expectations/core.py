"""The data-quality engine: named checks run as Great Expectations suites on pandas batches.

Great Expectations' SQL datasource does not work on DuckDB, so DuckDB (or polars) computes a
pandas frame and GX validates it. Every check is one GX expectation with a stable name and a
severity; a validation returns one :class:`CheckResult` per check, and the failing rows by the
frame's index columns (file and line, terminal and day, …) so that a failure can say on what.

A warehouse keeps a file-backed GX project in ``W/dq/gx`` (suites, validation results and the
Data Docs site); tests and stand-alone ingest use an in-memory one.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

# GX reports usage to a server unless told not to; nothing here may reach the network.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.expectations import Expectation

from posaudit.expectations.severity import CRITICAL as CRITICAL
from posaudit.expectations.severity import WARNING as WARNING
from posaudit.expectations.severity import Severity as Severity

PASSED, FAILED, ERROR = "PASSED", "FAILED", "ERROR"

# Failing rows kept per check: enough to name every failing file of a batch in practice, and a
# bound on what a thoroughly broken file can put into the results.
MAX_FAILING_ROWS = 1_000

for _name in ("great_expectations", "great_expectations.core", "great_expectations.expectations"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def _load_gx() -> Any:
    """Great Expectations, imported when a context is first made: it takes seconds to import,
    and a refresh that finds nothing new, or any command that only reads results, needs none."""
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch under 1 GB by hashing all of its cells, for a batch
    # marker nothing here reads (batches are named by posaudit's labels; larger frames already
    # go without one). On a million-row batch that hash was half of the validation's time.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return gx


@dataclass(frozen=True)
class Check:
    """One named expectation. ``field`` is the source field a failure points at. Several
    expectations may share a check name (a rule that needs more than one to say it)."""

    name: str
    severity: Severity
    expectation: Expectation
    expected: str
    field: str | None = None


@dataclass
class CheckResult:
    """One row of ``fct_dq_check_results``."""

    suite: str
    check: str
    severity: Severity
    status: str
    observed: str
    expected: str
    batch: str | None = None
    file_name: str | None = None
    line_no: int | None = None
    field: str | None = None
    detail: str | None = None

    @property
    def failed(self) -> bool:
        return self.status != PASSED

    def describe(self) -> str:
        where = " ".join(
            p for p in (
                f"file {self.file_name}" if self.file_name else "",
                f"line {self.line_no}" if self.line_no else "",
                f"field {self.field}" if self.field else "",
                f"batch {self.batch}" if self.batch and not self.file_name else "",
            ) if p
        )
        text = f"{self.suite}.{self.check} [{self.severity}] {self.status.lower()}"
        text += f": observed {self.observed}, expected {self.expected}"
        if where:
            text += f" ({where})"
        if self.detail:
            text += f"; {self.detail}"
        return text


@dataclass
class CheckOutcome:
    """What GX said about one check on one batch."""

    check: Check
    success: bool
    element_count: int
    unexpected_count: int
    observed: Any
    failing_rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@dataclass
class Validation:
    suite: str
    batch: str
    outcomes: list[CheckOutcome]

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    def summary_results(self, *, observed_unit: str = "rows") -> list[CheckResult]:
        """One result per check for the whole batch."""
        out = []
        for o in self.outcomes:
            if o.error:
                status, observed = ERROR, o.error
            else:
                status = PASSED if o.success else FAILED
                observed = (
                    _text(o.observed) if o.observed is not None
                    else f"{o.unexpected_count} of {o.element_count} {observed_unit} unexpected"
                )
            out.append(CheckResult(self.suite, o.check.name, o.check.severity, status, observed,
                                   o.check.expected, batch=self.batch, field=o.check.field))
        return out


class DQContext:
    """A GX project: in memory (``root=None``) or file-backed with Data Docs under ``root``."""

    def __init__(self, root: Path | None = None) -> None:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        gx = _load_gx()
        self.root = root
        self._ctx: AbstractDataContext
        if root is None:
            self._ctx = gx.get_context(mode="ephemeral")
        else:
            root.mkdir(parents=True, exist_ok=True)
            self._ctx = gx.get_context(mode="file", project_root_dir=str(root))
        self._ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        self._batch_def = self._batch_definition()
        self._suites: dict[str, tuple[int, Any]] = {}
        self.validated = 0

    def _batch_definition(self) -> Any:
        from great_expectations.datasource.fluent import PandasDatasource

        sources = self._ctx.data_sources
        try:
            # Only _batch_definition adds this source, and always as a pandas one.
            source = cast(PandasDatasource, sources.get("posaudit"))
        except (KeyError, ValueError):
            source = sources.add_pandas("posaudit")
        try:
            asset = source.get_asset("batches")
        except LookupError:
            asset = source.add_dataframe_asset("batches")
        try:
            return asset.get_batch_definition("whole_frame")
        except (KeyError, LookupError):
            return asset.add_batch_definition_whole_dataframe("whole_frame")

    def _validation_definition(self, suite: str, checks: Sequence[Check]) -> Any:
        signature = hash(tuple(repr(c.expectation.configuration) for c in checks))
        cached = self._suites.get(suite)
        if cached and cached[0] == signature:
            return cached[1]
        gx = _load_gx()
        gx_suite = gx.ExpectationSuite(name=suite)
        for part, check in enumerate(checks):
            # A fresh copy: an expectation belongs to one suite.
            config = check.expectation.configuration
            expectation = type(check.expectation)(
                **config.kwargs,
                meta={"check": check.name, "part": part, "severity": check.severity},
            )
            gx_suite.add_expectation(expectation)
        gx_suite = self._ctx.suites.add_or_update(gx_suite)
        vd = self._ctx.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite, data=self._batch_def, suite=gx_suite)
        )
        self._suites[suite] = (signature, vd)
        return vd

    def validate(self, suite: str, checks: Sequence[Check], frame: pd.DataFrame, *,
                 batch: str, index_columns: Sequence[str] = ()) -> Validation:
        """Run ``checks`` as the GX suite ``suite`` on ``frame``; failing rows are reported by
        ``index_columns``."""
        if not checks:
            return Validation(suite, batch, [])
        vd = self._validation_definition(suite, checks)
        result_format: dict[str, Any] = {"result_format": "COMPLETE"}
        if index_columns:
            result_format["unexpected_index_column_names"] = list(index_columns)
        frame = frame.reset_index(drop=True)
        run = vd.run(batch_parameters={"dataframe": frame}, result_format=result_format)
        self.validated += 1
        outcomes = []
        for res in sorted(run.results, key=lambda r: int(r.expectation_config.meta["part"])):
            check = checks[int(res.expectation_config.meta["part"])]
            result = res.result or {}
            error = None
            info = res.exception_info or {}
            if info.get("raised_exception"):
                error = str(info.get("exception_message") or "the check could not run")[:300]
            rows = result.get("unexpected_index_list") or []
            outcomes.append(CheckOutcome(
                check=check,
                success=bool(res.success) and error is None,
                element_count=int(result.get("element_count") or len(frame)),
                unexpected_count=int(result.get("unexpected_count") or 0),
                observed=result.get("observed_value"),
                failing_rows=_first_rows(rows) if isinstance(rows, list) else [],
                error=error,
            ))
        return Validation(suite, batch, outcomes)

    def build_docs(self) -> Path | None:
        """Render the Data Docs site; its index page, or None for an in-memory context."""
        if self.root is None:
            return None
        self._ctx.build_data_docs()
        index = self.root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
        return index if index.exists() else None


def _first_rows(rows: list[Any]) -> list[dict[str, Any]]:
    """The first MAX_FAILING_ROWS failing rows in the order of their values: a frame computed
    in parallel comes in no fixed order, and the log should name the same rows every run."""
    plain = [_plain(r) for r in rows]
    plain.sort(key=lambda r: json.dumps(r, default=str, sort_keys=True, ensure_ascii=False))
    return plain[:MAX_FAILING_ROWS]


def _plain(row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        return {"index": row}
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}


def _text(value: Any) -> str:
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def worst(results: Iterable[CheckResult]) -> Severity | None:
    """The most severe failure among ``results``, or None when all passed."""
    failed = [r.severity for r in results if r.failed]
    if not failed:
        return None
    return CRITICAL if CRITICAL in failed else WARNING
