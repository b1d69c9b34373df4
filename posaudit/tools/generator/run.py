"""``generate``: build the world, the journal, the injected exceptions, the settlement and the
bank side, then write the landing zone, labels.csv and decoys.csv.

Every stage draws from its own random stream derived from the seed, so the same seed gives a
byte-identical landing zone and a change to one stage does not reshuffle the others.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from posaudit.tools.generator import bank, fmt_bank
from posaudit.tools.generator.cards import build_pool
from posaudit.tools.generator.config import GenerateConfig, GenerateSummary, Window
from posaudit.tools.generator.context import Context
from posaudit.tools.generator.events import build_events, write_events
from posaudit.tools.generator.fmt_adyen import write_adyen
from posaudit.tools.generator.fmt_cn_pos import write_statements
from posaudit.tools.generator.fmt_journal import write_journals
from posaudit.tools.generator.fmt_reference import write_reference
from posaudit.tools.generator.fmt_wallet import write_bills
from posaudit.tools.generator.host_world import with_host_ids
from posaudit.tools.generator.inject import inject
from posaudit.tools.generator.journal import dedupe_cards, generate_journal
from posaudit.tools.generator.keys import assign_keys, sort_rows
from posaudit.tools.generator.labels import decoy_rows, label_rows, write_labels
from posaudit.tools.generator.reports import write_reports
from posaudit.tools.generator.routing import route
from posaudit.tools.generator.settlement import settle
from posaudit.tools.generator.timing import store_cdfs
from posaudit.tools.generator.world import build_world

OWNED = ("terminal", "settlement", "bank", "events", "reports", "reference")


def _stream(seed: int, stage: int) -> np.random.Generator:
    return np.random.default_rng([seed, stage])


def _clear(out: Path) -> None:
    """Remove what a previous run wrote (and only that), so a rerun leaves no stale file."""
    for name in OWNED:
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    for name in ("labels.csv", "decoys.csv"):
        (out / name).unlink(missing_ok=True)


def generate(config: GenerateConfig, progress: Callable[[str], None] | None = None
             ) -> GenerateSummary:
    started = time.perf_counter()
    config.validate()

    def say(message: str) -> None:
        if progress:
            progress(f"generate [{time.perf_counter() - started:6.1f}s] {message}")

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    seed = config.seed
    window = Window(config.start, config.days)
    world = build_world(_stream(seed, 1), window, config.terminals)
    if config.id_style == "host":
        world = with_host_ids(world, seed)
    say(f"world: {len(world.merchants)} merchants, {len(world.stores)} stores, "
        f"{len(world.terminals)} terminals, {len(world.accounts)} settlement accounts")
    pool = build_pool(_stream(seed, 2), max(3000, config.transactions // 3))
    cdfs = store_cdfs(world)
    rows = generate_journal(_stream(seed, 3), world, pool, cdfs, config.transactions)
    changed = dedupe_cards(_stream(seed, 4), world, pool, rows)
    say(f"journal: {len(rows):,} lines ({changed:,} cards swapped to avoid look-alike repeats)")
    routing = route(world, pool, rows)
    injector = inject(_stream(seed, 5), world, pool, cdfs, rows, routing, config.per_type)
    specs, decoys, plan = injector.labels, injector.decoys, injector.plan
    rows = sort_rows(injector.result())
    del injector  # it holds the unsorted journal: free it before the big steps
    routing = route(world, pool, rows)
    keys = assign_keys(_stream(seed, 6), world, rows, routing.account)
    settlement = settle(world, rows, routing)
    say(f"injected {len(specs)} exceptions and {len(decoys)} decoys; "
        f"{settlement.lines.height:,} settlement lines")
    pay = bank.payouts(_stream(seed, 7), world, settlement)
    pay, deposits = bank.inject_deposits(_stream(seed, 8), world, pay, config.per_type)
    ctx = Context(world, pool, rows, keys, routing, settlement)

    summary = GenerateSummary()
    write_journals(out, ctx, summary)
    journals = summary.files.get("pos_journal_v1", 0) + summary.files.get("pos_journal_cn", 0)
    say(f"terminal journals: {journals} files")
    write_statements(out, ctx, summary)
    write_bills(out, ctx, summary)
    write_adyen(out, ctx, summary)
    say("settlement files written")
    fmt_bank.write_statements(out, world, bank.statement_rows(_stream(seed, 9), world, pay),
                              summary)
    events = build_events(_stream(seed, 10), world, rows, keys, plan)
    files, lines = write_events(out, world, events)
    summary.add("terminal_events", files, lines)
    say(f"bank statements and {lines:,} terminal events written")
    write_reference(out, world, summary)
    labels = label_rows(ctx, specs, deposits)
    write_reports(out, world, labels, summary)
    write_labels(out, labels, decoy_rows(ctx, decoys), summary)
    summary.seconds = time.perf_counter() - started
    say(f"done: {sum(summary.labels.values())} labels, {sum(summary.decoys.values())} decoys")
    return summary
