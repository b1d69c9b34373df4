"""When people pay: opening hours, intraday peaks by merchant kind, busier weekends and holidays.

Transactions are placed by drawing a minute from a per-store, per-day-type distribution (inverse
CDF over the 1,440 minutes of a day), then a second within it.
"""

from __future__ import annotations

import numpy as np

from posaudit.tools.generator.config import Window
from posaudit.tools.generator.world import World

# Last base transaction this many minutes before closing: voids, reversals and retries that
# follow it stay inside the business day and before the batch closes.
CLOSE_MARGIN_MIN = 15

_WEEKDAY_FACTOR = {
    "restaurant": (0.85, 0.85, 0.9, 0.95, 1.15, 1.35, 1.3, 1.4),
    "supermarket": (0.9, 0.9, 0.9, 0.95, 1.05, 1.3, 1.25, 1.35),
    "fashion": (0.7, 0.7, 0.75, 0.8, 1.0, 1.7, 1.6, 1.9),
    "coffee": (1.1, 1.1, 1.1, 1.1, 1.05, 0.8, 0.75, 0.8),
    "bakery": (0.95, 0.95, 0.95, 1.0, 1.1, 1.2, 1.15, 1.2),
}  # Monday..Sunday, then public holiday

# (base, [(weight, peak hour, width)]) for weekdays and for weekends / holidays.
_CURVES = {
    "restaurant": ((0.08, [(1.0, 12.25, 0.8), (1.1, 18.75, 1.0)]),
                   (0.12, [(1.2, 12.5, 1.0), (0.3, 15.5, 1.0), (1.3, 18.5, 1.2)])),
    "supermarket": ((0.2, [(0.5, 10.0, 1.5), (0.5, 12.5, 1.5), (1.0, 18.5, 1.5)]),
                    (0.3, [(0.8, 11.0, 2.0), (0.7, 15.0, 2.0), (0.9, 18.0, 1.5)])),
    "fashion": ((0.1, [(0.4, 14.0, 2.0), (1.0, 19.5, 1.5)]),
                (0.2, [(0.9, 15.0, 2.5), (1.0, 19.0, 1.5)])),
    "coffee": ((0.15, [(1.4, 8.5, 0.8), (0.6, 12.5, 1.0), (0.7, 15.0, 1.2)]),
               (0.3, [(0.7, 10.5, 1.5), (0.8, 15.0, 1.5)])),
    "bakery": ((0.2, [(0.9, 8.0, 1.0), (0.4, 12.0, 1.0), (1.0, 18.0, 1.2)]),
               (0.3, [(0.8, 10.0, 1.5), (0.7, 16.0, 2.0)])),
}


def is_holiday(window: Window, day: int) -> bool:
    d = window.date(day)
    return (d.month, d.day) in {(1, 1), (5, 1), (5, 2), (5, 3)} or (
        d.month == 10 and d.day <= 7)


def day_type(window: Window) -> np.ndarray:
    """0 weekday, 1 weekend or public holiday (the National Day week in October)."""
    return np.array([int(window.weekday(d) >= 5 or is_holiday(window, d))
                     for d in range(window.days)], dtype=np.int8)


def day_factor(kind: str, window: Window) -> np.ndarray:
    f = _WEEKDAY_FACTOR[kind]
    return np.array([f[7] if is_holiday(window, d) else f[window.weekday(d)]
                     for d in range(window.days)])


def _curve(kind: str, weekend: int) -> np.ndarray:
    base, bumps = _CURVES[kind][weekend]
    hours = (np.arange(1440) + 0.5) / 60
    w = np.full(1440, base)
    for weight, peak, width in bumps:
        w += weight * np.exp(-0.5 * ((hours - peak) / width) ** 2)
    return w


def store_cdfs(world: World) -> np.ndarray:
    """CDF over minutes, shape (stores, 2 day types, 1440)."""
    out = np.zeros((len(world.stores), 2, 1440))
    for s in world.stores:
        kind = world.merchants[s.merchant].spec.kind
        lo, hi = (1, 1440 - CLOSE_MARGIN_MIN - 1) if s.is_24h else (
            s.open_min + 5, s.close_min - CLOSE_MARGIN_MIN)
        mask = np.zeros(1440)
        mask[lo:hi] = 1.0
        for t in (0, 1):
            w = _curve(kind, t) * mask
            if s.is_24h:  # a 24-hour store still sleeps at night
                w[: 6 * 60] *= 0.25
            out[s.idx, t] = np.cumsum(w) / w.sum()
    return out


def sample_seconds(rng: np.random.Generator, cdfs: np.ndarray, store: np.ndarray,
                   dtype: np.ndarray) -> np.ndarray:
    """Second of day for each (store, day type) pair, drawn from that store's profile."""
    n = store.size
    out = np.empty(n, dtype=np.int64)
    key = store.astype(np.int64) * 2 + dtype
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    bounds = np.append(starts, n)
    u = rng.random(n)
    secs = rng.integers(0, 60, size=n)
    for k, a, b in zip(keys, bounds[:-1], bounds[1:], strict=True):
        idx = order[a:b]
        minutes = np.searchsorted(cdfs[k // 2, k % 2], u[idx], side="right")
        out[idx] = np.minimum(minutes, 1439) * 60 + secs[idx]
    return out


def sign_in_second(is_24h: bool, open_min: int) -> int:
    """A terminal signs in ten minutes before opening; a 24-hour store's just after midnight,
    when the new batch starts."""
    return 40 if is_24h else open_min * 60 - 600
