"""Terminal numbering: batch, trace (voucher), retrieval reference and approval codes.

Lines are put in terminal and time order first. A terminal's batch number goes up by one each
business day (the batch closes at the daily settlement); its trace number goes up by one per
line and wraps after 999999; the host gives every answered line an RRN of the form
Y DDD h nnnnnnn (year digit, day of year, host digit, sequence by time), or with host-assigned
identifiers a plain 12-digit number (:mod:`posaudit.tools.generator.host_ids`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from posaudit.tools.generator.host_ids import HostIds
from posaudit.tools.generator.rows import (
    APPROVED,
    NO_RESPONSE,
    PREAUTH_COMPLETE,
    REFUND,
    REVERSAL,
    VOID,
    Rows,
)
from posaudit.tools.generator.world import World


def rrn_number(d: date, digit: int, seq: int) -> int:
    return (d.year % 10) * 10**11 + d.timetuple().tm_yday * 10**8 + digit * 10**7 + seq


@dataclass
class Keys:
    batch: np.ndarray  # int32
    trace: np.ndarray  # int32
    rrn: np.ndarray  # int64: the host's reference (what the acquirer reports)
    journal_rrn: np.ndarray  # int64, -1 where the terminal got no response
    auth: np.ndarray  # int32, -1 unless approved
    orig_trace: np.ndarray  # int32, -1 unless VOID / REVERSAL
    orig_rrn: np.ndarray  # int64, -1 unless REFUND / PREAUTH_COMPLETE (and some VOIDs)
    batch_base: np.ndarray  # per terminal: the batch number of business day 0


def sort_rows(rows: Rows) -> Rows:
    return rows.take(np.lexsort((rows["uid"], rows["ts"], rows["term"])))


def assign_keys(rng: np.random.Generator, world: World, rows: Rows, account: np.ndarray) -> Keys:
    """``rows`` must be sorted by terminal and time; ``account`` is each line's settlement
    account (its host)."""
    n = len(rows)
    term = rows["term"]
    n_term = len(world.terminals)
    batch_base = rng.integers(1, 900_000 - world.window.days, size=n_term)
    trace_base = rng.integers(1, 999_999, size=n_term)
    batch = (batch_base[term] + rows["day"]).astype(np.int32)
    first = np.searchsorted(term, np.arange(n_term))
    k = np.arange(n) - first[term]
    trace = ((trace_base[term] + k - 1) % 999_999 + 1).astype(np.int32)

    digit = np.array([a.acquirer.rrn_digit for a in world.accounts], dtype=np.int64)[account]
    day = rows["day"].astype(np.int64)
    order = np.lexsort((rows["uid"], rows["ts"], day, digit))
    group = digit[order] * 10_000 + day[order]
    starts = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    offset = rng.integers(100_000, 900_000, size=10 * 10_000)
    seq = np.empty(n, dtype=np.int64)
    seq[order] = rank + offset[group % offset.size]
    if seq.max(initial=0) >= 10**7:
        raise ValueError("more than 9 million lines per host and day: RRNs would overflow")
    ydd = np.array([(world.window.date(d).year % 10) * 10**11
                    + world.window.date(d).timetuple().tm_yday * 10**8
                    for d in range(world.window.days)], dtype=np.int64)
    rrn = ydd[day] + digit * 10**7 + seq
    orphan_rrn = rows["orphan_rrn"]
    if world.host is not None:
        rrn, orphan_rrn = _host_rrns(world.host, rows["uid"], orphan_rrn)

    resp = rows["resp"]
    kind = rows["kind"]
    journal_rrn = np.where(resp == NO_RESPONSE, -1, rrn)
    auth = np.where((resp == APPROVED) & (kind != REVERSAL),
                    rng.integers(0, 1_000_000, size=n), -1).astype(np.int32)

    pos = rows.pos_of_uid()
    parent = rows["parent"]
    has_parent = parent >= 0
    ppos = np.where(has_parent, pos[np.maximum(parent, 0)], 0)
    orig_trace = np.where(has_parent & ((kind == VOID) | (kind == REVERSAL)), trace[ppos], -1)
    refers = has_parent & ((kind == REFUND) | (kind == PREAUTH_COMPLETE))
    # Some terminals also log the original's RRN on a void.
    void_rrn = np.array([m.spec.code in ("YSF", "GLB") for m in world.merchants])[
        world.term_array("merchant")[term]]
    refers |= has_parent & (kind == VOID) & void_rrn
    orig_rrn = np.where(refers, journal_rrn[ppos], -1)
    orig_rrn = np.where(orphan_rrn >= 0, orphan_rrn, orig_rrn)
    return Keys(batch, trace, rrn, journal_rrn, auth, orig_trace.astype(np.int32), orig_rrn,
                batch_base)


def _host_rrns(host: HostIds, uid: np.ndarray, orphan_rrn: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Host-assigned RRNs of the lines, and of the originals of refunds not in the data."""
    at = np.flatnonzero(orphan_rrn >= 0)
    lines, others = host.rrns(uid, at.size)
    orphan_rrn = orphan_rrn.copy()
    orphan_rrn[at] = others
    return lines, orphan_rrn
