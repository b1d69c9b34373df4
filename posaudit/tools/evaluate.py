"""``posaudit evaluate``: detected exceptions against the generator's truth (labels.csv).

A label and an exception pair when the types agree and the strongest key the label carries
agrees: terminal + batch + trace, else the order number, else the rrn, else merchant number +
business date (deposit-level types). Per type: precision, recall, root-cause agreement on the
pairs, and exposure totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl

from posaudit.pipeline.warehouse import Warehouse
from posaudit.sql import query

PRECISION_BAR = 0.99
RECALL_BAR = 0.99
ROOT_CAUSE_BAR = 0.95
EXPOSURE_TOLERANCE = 0.005
_KEYS = ("terminal_id", "batch_no", "trace_no", "order_no", "rrn", "merchant_id")


@dataclass(frozen=True)
class TypeScore:
    exception_type: str
    labels: int
    detected: int
    matched: int
    precision: float
    recall: float
    root_cause_agreement: float
    label_exposure: Decimal
    detected_exposure: Decimal

    @property
    def exposure_error(self) -> float:
        if self.label_exposure == 0:
            return 0.0 if self.detected_exposure == 0 else 1.0
        return float(abs(self.detected_exposure - self.label_exposure) / self.label_exposure)

    @property
    def passes(self) -> bool:
        return (self.precision >= PRECISION_BAR and self.recall >= RECALL_BAR
                and self.root_cause_agreement >= ROOT_CAUSE_BAR
                and self.exposure_error <= EXPOSURE_TOLERANCE)


def _match_key(frame: pl.DataFrame) -> pl.DataFrame:
    """The strongest key each row carries, as one string."""
    def s(c: str) -> pl.Expr:
        return pl.col(c).cast(pl.String).fill_null("")

    return frame.with_columns(
        pl.when((s("terminal_id") != "") & (s("trace_no") != ""))
        .then(pl.concat_str([pl.lit("T:"), s("terminal_id"), pl.lit("/"), s("batch_no"),
                             pl.lit("/"), s("trace_no")]))
        .when(s("order_no") != "").then(pl.concat_str([pl.lit("O:"), s("order_no")]))
        .when(s("rrn") != "").then(pl.concat_str([pl.lit("R:"), s("rrn")]))
        .otherwise(pl.concat_str([pl.lit("M:"), s("merchant_id"), pl.lit("@"),
                                  s("business_date")]))
        .alias("match_key")
    )


def load_labels(path: Path) -> pl.DataFrame:
    labels = pl.read_csv(path, infer_schema=False)
    missing = {"exception_type", "business_date", "exposure_amount", "root_cause"} - set(
        labels.columns)
    if missing:
        raise ValueError(f"{path}: labels lack column(s) {', '.join(sorted(missing))}")
    for key in _KEYS:
        if key not in labels.columns:
            labels = labels.with_columns(pl.lit(None, dtype=pl.String).alias(key))
    return _match_key(labels)


def evaluate(warehouse: Warehouse, labels_path: Path, *,
             exclude_recovered: bool = False) -> list[TypeScore]:
    """Score fct_exceptions against labels. ``exclude_recovered`` leaves out exceptions that
    later data fully recovered (for label sets that list only items still owed)."""
    labels = load_labels(labels_path)
    where = "where status <> 'RECOVERED'" if exclude_recovered else ""
    detected = _match_key(query(warehouse, (
        "select exception_type, terminal_id, batch_no, trace_no, order_no, rrn, merchant_id, "
        "cast(business_date as varchar) as business_date, exposure_amount, root_cause "
        f"from fct_exceptions {where}"
    )))
    scores = []
    for etype in sorted(set(labels["exception_type"]) | set(detected["exception_type"])):
        lab = labels.filter(pl.col("exception_type") == etype).unique("match_key")
        det = detected.filter(pl.col("exception_type") == etype)
        pairs = lab.join(det.unique("match_key"), on="match_key", suffix="_detected")
        matched = pairs.height
        agree = pairs.filter(pl.col("root_cause") == pl.col("root_cause_detected")).height
        label_exposure = sum((Decimal(v or "0") for v in lab["exposure_amount"]), Decimal(0))
        detected_exposure = sum((Decimal(str(v)) for v in det["exposure_amount"] if v is not None),
                                Decimal(0))
        scores.append(TypeScore(
            exception_type=etype,
            labels=lab.height,
            detected=det.height,
            matched=matched,
            precision=det.filter(pl.col("match_key").is_in(lab["match_key"])).height
            / det.height if det.height else (1.0 if lab.height == 0 else 0.0),
            recall=matched / lab.height if lab.height else 1.0,
            root_cause_agreement=agree / matched if matched else (1.0 if lab.height == 0 else 0.0),
            label_exposure=label_exposure,
            detected_exposure=detected_exposure,
        ))
    return scores


def render(scores: list[TypeScore]) -> str:
    head = (f"{'exception_type':<24}{'labels':>7}{'found':>7}{'match':>7}{'prec':>8}{'recall':>8}"
            f"{'cause':>8}{'exposure(label)':>17}{'exposure(found)':>17}  ok")
    rows = [head, "-" * len(head)]
    for s in scores:
        rows.append(
            f"{s.exception_type:<24}{s.labels:>7}{s.detected:>7}{s.matched:>7}"
            f"{s.precision:>8.3f}{s.recall:>8.3f}{s.root_cause_agreement:>8.3f}"
            f"{s.label_exposure:>17}{s.detected_exposure:>17}  {'yes' if s.passes else 'NO'}"
        )
    return "\n".join(rows)
