"""Rendering integer codes as file text, vectorised with polars expressions."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from posaudit.tools.generator.config import Window


def money(col: str | pl.Expr, places: int = 2) -> pl.Expr:
    """Fen as decimal yuan text: 12345 -> "123.45", -5 -> "-0.05" (five places: "0.12000")."""
    e = pl.col(col) if isinstance(col, str) else col
    a = e.abs()
    text = pl.concat_str(
        (a // 100).cast(pl.String), pl.lit("."),
        (a % 100).cast(pl.String).str.zfill(2), pl.lit("0" * (places - 2)))
    return pl.when(e < 0).then(pl.lit("-") + text).otherwise(text)


def fen_text(fen: int, places: int = 2) -> str:
    sign = "-" if fen < 0 else ""
    a = abs(int(fen))
    return f"{sign}{a // 100}.{a % 100:02d}" + "0" * (places - 2)


def zpad(col: str | pl.Expr, width: int) -> pl.Expr:
    """Zero-padded number; null where the value is negative (our "none")."""
    e = pl.col(col) if isinstance(col, str) else col
    return pl.when(e >= 0).then(e.cast(pl.String).str.zfill(width)).otherwise(None)


def stamp(col: str | pl.Expr, window: Window, fmt: str = "%Y-%m-%d %H:%M:%S") -> pl.Expr:
    """Window seconds as local time text."""
    e = pl.col(col) if isinstance(col, str) else col
    origin = (window.start - date(1970, 1, 1)).days * 86_400  # naive local clock, no zone
    return pl.from_epoch(e + origin, time_unit="s").dt.strftime(fmt)


def frame(**cols: np.ndarray | list[object] | pl.Series) -> pl.DataFrame:
    return pl.DataFrame({k: (v if isinstance(v, pl.Series) else pl.Series(k, v))
                         for k, v in cols.items()})
