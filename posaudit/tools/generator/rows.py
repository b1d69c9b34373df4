"""The in-memory journal: one numpy array per column, one element per terminal journal line.

Everything is an integer code until a file is written. ``uid`` is a row's stable identity;
follow-up lines (void, reversal, refund, completion) point at their original through ``parent``.
Settlement overrides (``force``, ``s_amount``, ``fee_ovr``, ``late``) and ``visible`` carry the
injected exceptions to the settlement side without touching the journal values.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

SALE, VOID, REFUND, REVERSAL, PREAUTH, PREAUTH_COMPLETE = range(6)
KINDS = ("SALE", "VOID", "REFUND", "REVERSAL", "PREAUTH", "PREAUTH_COMPLETE")
KINDS_CN = ("消费", "撤销", "退货", "冲正", "预授权", "预授权完成")

# Response codes by index: 0 approved; 1-5 timeouts (no response, 68, 91, 96, 98); declines.
RESP = ("00", "", "68", "91", "96", "98", "51", "55", "05", "14", "54", "61", "57", "65", "75",
        "12", "58", "03")
APPROVED = 0
NO_RESPONSE = 1
TIMEOUTS = (1, 2, 3, 4, 5)

# Where a line came from.
BASE, RETRY, FOLLOW, INJECTED = range(4)
# Settlement overrides.
FORCE_NONE, FORCE_SETTLE, FORCE_SKIP = range(3)

COLUMNS: dict[str, tuple[type, int]] = {
    "uid": (np.int64, -1),
    "term": (np.int32, 0),
    "day": (np.int32, 0),
    "ts": (np.int64, 0),  # seconds since the window's first midnight, local time
    "kind": (np.int8, SALE),
    "chan": (np.int8, 0),
    "card": (np.int32, -1),
    "amount": (np.int64, 0),  # fen, positive
    "resp": (np.int8, APPROVED),
    "parent": (np.int64, -1),  # uid of the original
    "op": (np.int16, 0),
    "origin": (np.int8, BASE),
    "force": (np.int8, FORCE_NONE),
    "s_amount": (np.int64, -1),  # settled amount when it differs from the journal's
    "fee_ovr": (np.int64, -1),  # settled fee when it differs from the contract's
    "rate_ovr": (np.int64, -1),  # the rate a wrong fee was computed at (ppm), for display
    "late": (np.int8, 0),  # days settled after the promised date
    "visible": (np.bool_, True),  # False: the terminal lost this line (not in the journal)
    "orphan_rrn": (np.int64, -1),  # orig_rrn of a refund whose original is not in the data
}


class Rows:
    def __init__(self, cols: dict[str, np.ndarray]) -> None:
        self.cols = cols

    @classmethod
    def new(cls, n: int, **values: np.ndarray | int) -> Rows:
        cols: dict[str, np.ndarray] = {}
        for name, (dtype, default) in COLUMNS.items():
            v = values.get(name, default)
            cols[name] = np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)}")
        return cls(cols)

    @classmethod
    def concat(cls, parts: Iterable[Rows]) -> Rows:
        parts = list(parts)
        return cls({c: np.concatenate([p.cols[c] for p in parts]) for c in COLUMNS})

    def __len__(self) -> int:
        return int(self.cols["uid"].size)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def take(self, idx: np.ndarray) -> Rows:
        return Rows({c: v[idx] for c, v in self.cols.items()})

    def pos_of_uid(self) -> np.ndarray:
        """Array mapping uid -> row position (-1 when absent)."""
        uid = self.cols["uid"]
        out = np.full(int(uid.max()) + 1 if uid.size else 0, -1, dtype=np.int64)
        out[uid] = np.arange(uid.size)
        return out
