"""Normal terminal activity, vectorised: purchases, declines, timeouts with their reversals and
retries, voids, partial refunds of earlier sales, pre-authorisations and their completions.

No exception is created here; :func:`dedupe_cards` removes the one accidental pattern that
random data can produce (the same card paying the same amount twice within half an hour).
"""

from __future__ import annotations

import numpy as np

from posaudit.tools.generator.cards import CardPool
from posaudit.tools.generator.config import DAY
from posaudit.tools.generator.rows import (
    APPROVED,
    FOLLOW,
    PREAUTH,
    PREAUTH_COMPLETE,
    REFUND,
    RETRY,
    REVERSAL,
    SALE,
    VOID,
    Rows,
)
from posaudit.tools.generator.timing import day_factor, day_type, sample_seconds
from posaudit.tools.generator.world import CARD_CHANNELS, QR_WECHAT, World

# Indices into RESP: 51 55 05 14 54 61 57 65 75 12 58 03.
_DECLINES = np.array([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17])
_DECLINE_P = np.array([30, 18, 14, 5, 7, 8, 4, 3, 4, 2, 2, 1], dtype=float)
_QR_DECLINES = np.array([6, 8, 11])  # 51 05 61
_QR_DECLINE_P = np.array([50, 30, 20], dtype=float)
_TIMEOUT_P = np.array([0.5, 0.1, 0.15, 0.1, 0.15])  # no response, 68, 91, 96, 98

CARD_TIMEOUT, CARD_DECLINE = 0.003, 0.035
QR_TIMEOUT, QR_DECLINE = 0.0025, 0.01
VOID_RATE, REFUND_RATE, PREAUTH_RATE = 0.007, 0.0035, 0.03
DUP_WINDOW = 1800  # seconds: three times the 10-minute rule, so injected repeats stay clear
OVERHEAD = 1.02  # follow-up lines per base line, roughly


def draw_amounts(rng: np.random.Generator, kind: str, sod: np.ndarray) -> np.ndarray:
    """Basket amounts in fen by merchant kind: coffee small and price-listed, fashion large."""
    n = sod.size
    if kind == "restaurant":
        yuan = rng.lognormal(np.log(150), 0.55, n) * np.where(sod > 16 * 3600, 1.3, 1.0)
        fen = np.maximum(yuan, 18) * 100
        whole = rng.random(n) < 0.7
        return np.where(whole, np.round(fen / 100) * 100, np.round(fen)).astype(np.int64)
    if kind == "supermarket":
        return np.round(np.maximum(rng.lognormal(np.log(58), 0.95, n), 2.0) * 100).astype(np.int64)
    if kind == "fashion":
        yuan = np.maximum(rng.lognormal(np.log(420), 0.6, n), 39)
        tag = (np.round(yuan / 10) * 10 - 1) * 100
        discounted = np.round(tag * rng.choice([0.7, 0.8, 0.85, 0.9], size=n))
        return np.where(rng.random(n) < 0.6, tag, discounted).astype(np.int64)
    if kind == "coffee":
        menu = np.array([12, 15, 18, 22, 26, 28, 30, 32, 35, 38]) * 100
        items = rng.integers(1, 4, size=n)
        total = sum(np.where(items > k, rng.choice(menu, size=n), 0) for k in range(3))
        member = rng.random(n) < 0.25  # member discount: odd fen amounts
        return np.where(member, np.round(total * 0.88), total).astype(np.int64)
    yuan = np.maximum(rng.lognormal(np.log(42), 0.6, n), 6.0)  # bakery: weighed goods
    return np.round(yuan * 100).astype(np.int64)


def close_seconds(world: World) -> np.ndarray:
    """Second of day each store closes its batch (a 24-hour store: one minute to midnight)."""
    return np.array([(s.close_min - 1) * 60 if s.is_24h else s.close_min * 60
                     for s in world.stores], dtype=np.int64)


def generate_journal(rng: np.random.Generator, world: World, pool: CardPool, cdfs: np.ndarray,
                     lines: int) -> Rows:
    window = world.window
    n_term, n_day = len(world.terminals), window.days
    kinds = [world.merchants[t.merchant].spec.kind for t in world.terminals]
    lam = world.term_array("weight")[:, None] * np.stack([day_factor(k, window) for k in kinds])
    lam = lam * rng.gamma(25.0, 1 / 25, size=lam.shape)
    counts = rng.multinomial(round(lines / OVERHEAD), (lam / lam.sum()).ravel())
    term = np.repeat(np.repeat(np.arange(n_term), n_day), counts).astype(np.int32)
    day = np.repeat(np.tile(np.arange(n_day), n_term), counts).astype(np.int32)
    n = term.size
    store = world.term_array("store")[term]
    merchant = world.term_array("merchant")[term]
    dtypes = day_type(window)
    sod = sample_seconds(rng, cdfs, store, dtypes[day])

    chan = np.empty(n, dtype=np.int8)
    amount = np.empty(n, dtype=np.int64)
    card = np.full(n, -1, dtype=np.int32)
    domestic = np.flatnonzero(~pool.foreign)
    foreign = np.flatnonzero(pool.foreign)
    for m, mer in enumerate(world.merchants):
        idx = np.flatnonzero(merchant == m)
        mix = np.array(mer.spec.channel_mix)
        chan[idx] = rng.choice(6, size=idx.size, p=mix / mix.sum())
        amount[idx] = draw_amounts(rng, mer.spec.kind, sod[idx])
        card_idx = idx[chan[idx] < QR_WECHAT]
        abroad = rng.random(card_idx.size) < mer.spec.foreign_share
        card[card_idx] = np.where(abroad, foreign[rng.integers(0, foreign.size, card_idx.size)],
                                  domestic[rng.integers(0, domestic.size, card_idx.size)])

    is_card = chan < QR_WECHAT
    u = rng.random(n)
    t_p = np.where(is_card, CARD_TIMEOUT, QR_TIMEOUT)
    d_p = np.where(is_card, CARD_DECLINE, QR_DECLINE)
    resp = np.zeros(n, dtype=np.int8)
    timeout = u < t_p
    resp[timeout] = rng.choice(np.arange(1, 6), size=int(timeout.sum()), p=_TIMEOUT_P)
    declined = (u >= t_p) & (u < t_p + d_p)
    card_decl = declined & is_card
    resp[card_decl] = rng.choice(_DECLINES, size=int(card_decl.sum()),
                                 p=_DECLINE_P / _DECLINE_P.sum())
    qr_decl = declined & ~is_card
    resp[qr_decl] = rng.choice(_QR_DECLINES, size=int(qr_decl.sum()),
                               p=_QR_DECLINE_P / _QR_DECLINE_P.sum())

    n_ops = np.array([len(s.operators) for s in world.stores])
    op = np.floor(rng.random(n) * n_ops[store]).astype(np.int16)
    kind = np.full(n, SALE, dtype=np.int8)
    restaurant = np.array([m.spec.kind == "restaurant" for m in world.merchants])[merchant]
    pre = restaurant & is_card & (resp == APPROVED) & (rng.random(n) < PREAUTH_RATE)
    kind[pre] = PREAUTH
    bill = amount.copy()
    amount = np.where(pre, np.ceil(amount * 1.2 / 10_000) * 10_000, amount).astype(np.int64)

    base = Rows.new(n, uid=np.arange(n), term=term, day=day, ts=day.astype(np.int64) * DAY + sod,
                    kind=kind, chan=chan, card=card, amount=amount, resp=resp, op=op)
    close = close_seconds(world)[store] + day.astype(np.int64) * DAY
    parts = [base]
    next_uid = n

    def follow(src: np.ndarray, kind: int, dt: np.ndarray, origin: int = FOLLOW,
               **over: np.ndarray) -> Rows:
        nonlocal next_uid
        r = base.take(src)
        r.cols["uid"] = np.arange(next_uid, next_uid + src.size)
        next_uid += src.size
        r.cols["ts"] = r["ts"] + dt
        r.cols["kind"][:] = kind
        r.cols["resp"][:] = APPROVED
        r.cols["origin"][:] = origin
        r.cols["parent"] = base["uid"][src] if origin == FOLLOW else np.full(src.size, -1)
        for k, v in over.items():
            r.cols[k] = v.astype(r.cols[k].dtype)
        return r

    t_idx = np.flatnonzero(timeout)
    parts.append(follow(t_idx, REVERSAL, rng.integers(10, 46, t_idx.size)))
    again = t_idx[rng.random(t_idx.size) < 0.6]
    parts.append(follow(again, SALE, rng.integers(70, 241, again.size), RETRY))
    d_idx = np.flatnonzero(declined)
    d_idx = d_idx[rng.random(d_idx.size) < 0.45]
    takes_wechat = np.array([m.spec.channel_mix[QR_WECHAT] > 0 for m in world.merchants])
    wallet = takes_wechat[merchant[d_idx]] & (rng.random(d_idx.size) < 0.5)
    new_card = np.where(wallet, -1, domestic[rng.integers(0, domestic.size, d_idx.size)])
    new_chan = np.where(wallet, QR_WECHAT, rng.choice(np.array(CARD_CHANNELS), d_idx.size))
    parts.append(follow(d_idx, SALE, rng.integers(30, 151, d_idx.size), RETRY,
                        card=new_card, chan=new_chan))

    p_idx = np.flatnonzero(pre & (rng.random(n) < 0.92))
    done = np.minimum(base["ts"][p_idx] + rng.integers(1800, 9001, p_idx.size),
                      close[p_idx] - 120)
    ok = done > base["ts"][p_idx] + 60
    p_idx, done = p_idx[ok], done[ok]
    parts.append(follow(p_idx, PREAUTH_COMPLETE, done - base["ts"][p_idx], amount=bill[p_idx]))

    rows = Rows.concat(parts)
    approved_sale = (rows["kind"] == SALE) & (rows["resp"] == APPROVED)
    v_idx = np.flatnonzero(approved_sale & (rows["chan"] < QR_WECHAT)
                           & (rng.random(len(rows)) < VOID_RATE))
    voids = _children(rows, v_idx, VOID, rng.integers(20, 601, v_idx.size), next_uid)
    next_uid += v_idx.size
    voided = np.zeros(len(rows), dtype=bool)
    voided[v_idx] = True
    r_idx = np.flatnonzero(approved_sale & ~voided & (rows["day"] <= n_day - 2)
                           & (rows["amount"] >= 200) & (rng.random(len(rows)) < REFUND_RATE))
    refunds = refund_rows(rng, world, cdfs, rows, r_idx, next_uid)
    return Rows.concat([rows, voids, refunds])


def _children(rows: Rows, src: np.ndarray, kind: int, dt: np.ndarray, uid0: int) -> Rows:
    r = rows.take(src)
    r.cols["uid"] = np.arange(uid0, uid0 + src.size)
    r.cols["parent"] = rows["uid"][src]
    r.cols["ts"] = r["ts"] + dt
    r.cols["kind"][:] = kind
    r.cols["resp"][:] = APPROVED
    r.cols["origin"][:] = FOLLOW
    return r


def refund_rows(rng: np.random.Generator, world: World, cdfs: np.ndarray, rows: Rows,
                src: np.ndarray, uid0: int) -> Rows:
    """Partial refunds of ``src`` sales at the same terminal on a later business day."""
    n_day = world.window.days
    r = _children(rows, src, REFUND, np.zeros(src.size, dtype=np.int64), uid0)
    day = np.minimum(rows["day"][src] + rng.integers(1, 9, src.size), n_day - 1)
    store = world.term_array("store")[rows["term"][src]]
    sod = sample_seconds(rng, cdfs, store, day_type(world.window)[day])
    r.cols["day"] = day.astype(np.int32)
    r.cols["ts"] = day.astype(np.int64) * DAY + sod
    frac = rng.uniform(0.15, 0.9, src.size)
    r.cols["amount"] = np.clip(np.floor(rows["amount"][src] * frac), 1,
                               rows["amount"][src] - 1).astype(np.int64)
    n_ops = np.array([len(s.operators) for s in world.stores])
    r.cols["op"] = np.floor(rng.random(src.size) * n_ops[store]).astype(np.int16)
    return r


def voided_mask(rows: Rows) -> np.ndarray:
    """Lines that an approved VOID (or a REVERSAL) cancels."""
    pos = rows.pos_of_uid()
    kids = np.flatnonzero(((rows["kind"] == VOID) & (rows["resp"] == APPROVED))
                          | (rows["kind"] == REVERSAL))
    out = np.zeros(len(rows), dtype=bool)
    out[pos[rows["parent"][kids]]] = True
    return out


def inherit_cards(rows: Rows) -> None:
    """Voids, reversals, refunds and completions carry their original's card and channel."""
    kids = np.flatnonzero(rows["parent"] >= 0)
    parents = rows.pos_of_uid()[rows["parent"][kids]]
    rows.cols["card"][kids] = rows["card"][parents]
    rows.cols["chan"][kids] = rows["chan"][parents]


def dedupe_cards(rng: np.random.Generator, world: World, pool: CardPool, rows: Rows) -> int:
    """Give a fresh card to any approved sale that repeats an earlier approved sale's card
    (as a masked log shows it), amount and merchant within 30 minutes. Returns how many."""
    merchant_of = world.term_array("merchant")
    domestic = np.flatnonzero(~pool.foreign)
    changed = 0
    for _ in range(50):
        cand = np.flatnonzero((rows["kind"] == SALE) & (rows["resp"] == APPROVED)
                              & (rows["card"] >= 0) & ~voided_mask(rows))
        m = merchant_of[rows["term"][cand]]
        mk = pool.mask_key[rows["card"][cand]]
        amt = rows["amount"][cand]
        ts = rows["ts"][cand]
        order = np.lexsort((ts, amt, mk, m))
        m, mk, amt, ts, cand = m[order], mk[order], amt[order], ts[order], cand[order]
        clash = ((m[1:] == m[:-1]) & (mk[1:] == mk[:-1]) & (amt[1:] == amt[:-1])
                 & (ts[1:] - ts[:-1] <= DUP_WINDOW))
        bad = cand[1:][clash]
        if bad.size == 0:
            inherit_cards(rows)
            return changed
        rows.cols["card"][bad] = domestic[rng.integers(0, domestic.size, bad.size)]
        changed += int(bad.size)
        inherit_cards(rows)
    raise AssertionError("could not separate repeated card payments")
