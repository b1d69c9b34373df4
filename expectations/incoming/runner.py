"""One window: one Great Expectations validation per layout and suite for all its files, and
which file failed which check on which line."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import ERROR, FAILED, PASSED, Check, CheckResult, DQContext
from posaudit.expectations.incoming.messages import DESCRIBE, FileFailure
from posaudit.expectations.incoming.prepare import Prepared
from posaudit.expectations.incoming.rules import LOADS_ANYWAY, rules_for
from posaudit.expectations.incoming.suites import control_checks, gx_columns, row_checks
from posaudit.ingest.checks import WindowFile
from posaudit.ingest.layouts.base import Layout

ROW_INDEX = ["file_idx", "line_no"]
CONTROL_INDEX = ["file_idx", "line_no", "ctl"]
# Failing lines named per file in a check's detail.
_LINES_SHOWN = 5


@dataclass
class WindowChecks:
    results: list[CheckResult] = field(default_factory=list)
    # By window position: failures that quarantine the file, and those reported while it loads.
    failures: dict[int, list[FileFailure]] = field(default_factory=dict)
    notes: dict[int, list[FileFailure]] = field(default_factory=dict)
    seconds: float = 0.0


def validate_window(files: Sequence[WindowFile[Prepared]], dq: DQContext, config: DQConfig, *,
                    window: int) -> WindowChecks:
    """Validate every file of an ingest window: one GX run per layout and suite."""
    started = time.perf_counter()
    out = WindowChecks()
    by_layout: dict[str, list[int]] = defaultdict(list)
    for i, file in enumerate(files):
        by_layout[file.layout.name].append(i)
    for positions in by_layout.values():
        layout = files[positions[0]].layout
        batch = f"window {window} · {layout.name} · {len(positions)} files"
        for suite, checks, part, index in (
            (f"incoming.{layout.name}", row_checks(layout, config), "rows", ROW_INDEX),
            (f"incoming.{layout.name}.controls", control_checks(layout, config), "controls",
             CONTROL_INDEX),
        ):
            frame = _stack([getattr(files[i].prepared, part).with_columns(
                pl.lit(i, dtype=pl.Int32).alias("file_idx")) for i in positions])
            if part == "controls":
                frame = frame.with_row_index("ctl")
            batch_run = _BatchRun(suite, batch, layout, list(checks), frame, index, positions)
            batch_run.run(dq)
            out.results.extend(batch_run.summary())
            for i, failures in batch_run.file_failures().items():
                for f in failures:
                    kept = out.notes if f.check in LOADS_ANYWAY else out.failures
                    kept.setdefault(i, []).append(f)
                out.results.extend(
                    CheckResult(suite, f.check, f.severity, FAILED, f.observed, f.expected,
                                batch=batch, file_name=files[i].name, line_no=f.line_no,
                                field=f.field, detail=f.detail)
                    for f in failures
                )
    out.seconds = time.perf_counter() - started
    return out


def _stack(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """One layout's files as one frame, without copying (pandas gets its own copy anyway).
    A file whose columns differ (a parser that drifted) is aligned by name."""
    try:
        return pl.concat(frames, how="vertical", rechunk=False)
    except (pl.exceptions.SchemaError, pl.exceptions.ShapeError):
        return pl.concat(frames, how="diagonal_relaxed", rechunk=False)


@dataclass
class _BatchRun:
    """One suite on one layout's files of a window, and what failed where."""

    suite: str
    batch: str
    layout: Layout
    checks: list[Check]
    frame: pl.DataFrame
    index: list[str]
    positions: list[int]
    # per check name: failing (file_idx, row key) pairs, counts, errors
    failing: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    unexpected: Counter[str] = field(default_factory=Counter)
    errors: dict[str, str] = field(default_factory=dict)
    # Files whose failing rows GX listed only in part, per check.
    partial: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    @property
    def _row_key(self) -> str:
        return "ctl" if "ctl" in self.index else "line_no"

    def run(self, dq: DQContext) -> None:
        """Validate; when a check lists only the first of many failing rows, validate the
        files not yet named again until every failing file is known."""
        columns = gx_columns(self.checks, self.index)
        # Keys go to pandas as 64-bit hashes (null stays null): pandas finds repeats among
        # integers many times faster than among strings. A repeat GX reports is confirmed on
        # the values themselves (:meth:`_confirm_repeats`), so a hash collision refuses nothing.
        keys = [k for k in rules_for(self.layout).keys if k in columns]
        todo = self.frame
        first = True
        while True:
            gx_frame = todo.select(columns).with_columns(
                pl.when(pl.col(k).is_not_null()).then(pl.col(k).hash()).alias(k) for k in keys
            ).to_pandas()
            validation = dq.validate(self.suite, self.checks, gx_frame, batch=self.batch,
                                     index_columns=self.index)
            cut_short: set[int] = set()
            for outcome in validation.outcomes:
                name = outcome.check.name
                found = self.failing.setdefault(name, set())
                if outcome.error:
                    self.errors[name] = outcome.error
                    continue
                if first:
                    self.unexpected[name] += outcome.unexpected_count
                rows = {(int(r["file_idx"]), int(r[self._row_key]))
                        for r in outcome.failing_rows if "file_idx" in r}
                found |= rows
                if outcome.unexpected_count > len(outcome.failing_rows):
                    cut_short |= {f for f, _ in rows}
                    self.partial[name] |= {f for f, _ in rows}
            first = False
            if not cut_short:
                break
            todo = todo.filter(~pl.col("file_idx").is_in(list(cut_short)))
            if todo.is_empty():
                break
        self._confirm_repeats()

    def _confirm_repeats(self) -> None:
        """Keep only the reported repeats whose key values are equal, not just their hashes."""
        found = self.failing.get("keys_unique")
        if not found:
            return
        rules = rules_for(self.layout)
        keys = ["file_idx", *rules.keys]
        files = self.frame.filter(pl.col("file_idx").is_in(list({f for f, _ in found})))
        if rules.unique_where_set:
            files = files.filter(pl.col(rules.unique_where_set).is_not_null())
        repeated = files.filter(pl.struct(keys).is_duplicated())
        real = set(repeated.select("file_idx", "line_no").iter_rows())
        self.unexpected["keys_unique"] -= len(found - real)
        self.failing["keys_unique"] = found & real

    def summary(self) -> list[CheckResult]:
        """One result per check for the whole batch."""
        out = []
        unit = "rows" if self._row_key == "line_no" else "columns and totals"
        for name in dict.fromkeys(c.name for c in self.checks):
            checks = [c for c in self.checks if c.name == name]
            expected = "; ".join(dict.fromkeys(c.expected for c in checks))
            failed_files = {f for f, _ in self.failing.get(name, set())}
            if name in self.errors:
                status, observed = ERROR, self.errors[name]
            elif failed_files:
                status = FAILED
                observed = (f"{self.unexpected[name]} of {self.frame.height} {unit} failed, in "
                            f"{len(failed_files)} of {len(self.positions)} files")
            else:
                status = PASSED
                observed = f"0 of {self.frame.height} {unit} failed"
            out.append(CheckResult(self.suite, name, checks[0].severity, status, observed,
                                   expected, batch=self.batch,
                                   field=checks[0].field if len(checks) == 1 else None))
        return out

    def file_failures(self) -> dict[int, list[FileFailure]]:
        out: dict[int, list[FileFailure]] = {}
        for name, found in self.failing.items():
            if not found:
                continue
            check = next(c for c in self.checks if c.name == name)
            per_file: dict[int, list[int]] = defaultdict(list)
            for f, key in sorted(found):
                per_file[f].append(key)
            for f, keys in per_file.items():
                out.setdefault(f, []).append(self._describe(check, f, keys))
        return out

    def _lookup(self, file_idx: int, keys: Sequence[int]) -> pl.DataFrame:
        return self.frame.filter(
            (pl.col("file_idx") == file_idx) & pl.col(self._row_key).is_in(list(keys))
        ).sort(self._row_key)

    def _describe(self, check: Check, file_idx: int, keys: list[int]) -> FileFailure:
        rows = self._lookup(file_idx, keys)
        describe = DESCRIBE[check.name]
        line, field_name, observed, detail = describe(self.layout, self.checks, rows)
        partial = file_idx in self.partial.get(check.name, ())
        if self._row_key == "line_no" and check.name != "keys_unique" and (
                len(keys) > 1 or partial):
            shown = ", ".join(str(k) for k in keys[:_LINES_SHOWN])
            more = f" and {len(keys) - _LINES_SHOWN} more" if len(keys) > _LINES_SHOWN else ""
            count = f"at least {len(keys)}" if partial else str(len(keys))
            detail += f" ({count} failing lines: {shown}{more})"
        expected = "; ".join(dict.fromkeys(c.expected for c in self.checks
                                           if c.name == check.name))
        return FileFailure(check.name, check.severity, line, field_name, observed, expected,
                           detail)
