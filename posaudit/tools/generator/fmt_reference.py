"""reference/: ``terminals.csv`` and ``fee_contracts.csv`` as docs/formats.md lays them out."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from posaudit.tools.generator.config import GenerateSummary
from posaudit.tools.generator.render import fen_text
from posaudit.tools.generator.world import World


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def write_reference(out: Path, world: World, summary: GenerateSummary) -> None:
    folder = out / "reference"
    folder.mkdir(parents=True, exist_ok=True)
    terminals = pl.DataFrame([{
        "terminal_id": t.terminal_id, "merchant_id": world.accounts[t.account].number,
        "store_id": world.stores[t.store].store_id, "store_name": world.stores[t.store].name,
        "region": world.stores[t.store].region, "acquirer": world.accounts[t.account].acquirer.code,
        "model": t.model, "firmware": t.firmware, "installed_on": t.installed_on.isoformat(),
    } for t in world.terminals])
    (folder / "terminals.csv").write_text(terminals.write_csv(), encoding="utf-8")
    contracts = pl.DataFrame([{
        "acquirer": c.acquirer, "merchant_id": c.merchant_id, "channel_group": c.group,
        "card_type": c.card_type, "rate": f"{c.rate_ppm / 1_000_000:.4f}",
        "fee_min": fen_text(c.fee_min) if c.fee_min is not None else None,
        "fee_cap": fen_text(c.fee_cap) if c.fee_cap is not None else None,
        "effective_from": c.effective_from.isoformat(),
        "effective_to": c.effective_to.isoformat() if c.effective_to else None,
        "settlement_rule": c.rule,
        "d0_min_amount": fen_text(c.d0_min) if c.d0_min is not None else None,
        "d0_window": f"{_clock(c.d0_window[0])}-{_clock(c.d0_window[1])}" if c.d0_window
        else None,
    } for c in world.contracts], schema_overrides={"fee_min": pl.String, "fee_cap": pl.String,
                                                    "effective_to": pl.String,
                                                    "d0_min_amount": pl.String,
                                                    "d0_window": pl.String})
    (folder / "fee_contracts.csv").write_text(contracts.write_csv(), encoding="utf-8")
    summary.add("terminals", 1, terminals.height)
    summary.add("fee_contracts", 1, contracts.height)
