"""The dbt project's shape, read from the manifest a real build wrote: layers ref only downward,
every model's key is tested, every published column is described, the exposures are the
dashboard pages, and the windowed models are declared once, in their config."""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

from posaudit.pipeline import build_window
from posaudit.pipeline.dbt_runner import run_dbt
from posaudit.pipeline.refresh import _failed_node
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built
from tests.helpers.paths import ROOT

# What each layer (the first folder under models/) may ref, besides seeds.
MAY_REF = {
    "staging": set(),
    "intermediate": {"staging", "intermediate"},
    "marts": {"staging", "intermediate", "marts"},
}


@pytest.fixture(scope="module")
def manifest(built: Built) -> dict[str, Any]:
    return json.loads((built.warehouse / "dbt" / "target" / "manifest.json").read_text())


def _models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every model but the old names of renamed marts (checked on their own below)."""
    return {uid: n for uid, n in manifest["nodes"].items()
            if n["resource_type"] == "model" and not _renamed_to(n)}


def _renamed_to(node: dict[str, Any]) -> str | None:
    return (node.get("config", {}).get("meta") or {}).get("renamed_to")


def _layer(node: dict[str, Any]) -> str:
    return Path(node["original_file_path"]).parts[1]


def upward_refs(manifest: dict[str, Any]) -> list[str]:
    """'model (layer) -> parent (layer)' for every ref a model's layer may not make."""
    models = _models(manifest)
    found = []
    for node in models.values():
        layer = _layer(node)
        for parent in node["depends_on"]["nodes"]:
            if parent in models and _layer(models[parent]) not in MAY_REF[layer]:
                found.append(f"{node['name']} ({layer}) -> {models[parent]['name']} "
                             f"({_layer(models[parent])})")
    return sorted(found)


def test_layers_ref_only_downward(manifest: dict[str, Any]) -> None:
    assert set(_layer(n) for n in _models(manifest).values()) == set(MAY_REF)
    assert upward_refs(manifest) == []
    staging = [n for n in _models(manifest).values() if _layer(n) == "staging"]
    assert staging and all(n["sources"] for n in staging)


def test_an_upward_ref_is_found(manifest: dict[str, Any]) -> None:
    """The check above can fail: an intermediate model reading a mart is reported."""
    models = _models(manifest)
    mart = next(uid for uid, n in models.items() if n["name"] == "fct_exceptions")
    inter = next(n for n in models.values() if _layer(n) == "intermediate")
    inter["depends_on"]["nodes"].append(mart)
    assert upward_refs(manifest) == [f"{inter['name']} (intermediate) -> fct_exceptions (marts)"]


def test_every_model_has_a_key_tested_unique_and_not_null(manifest: dict[str, Any]) -> None:
    """A key column tested unique and not_null, or a unique expression over columns that are
    each tested not_null (a composite key such as merchant_id || '|' || batch_number)."""
    models = _models(manifest)
    unique: dict[str, list[str]] = defaultdict(list)
    not_null: dict[str, set[str]] = defaultdict(set)
    for node in manifest["nodes"].values():
        test = node.get("test_metadata") or {}
        name, model = test.get("name"), node.get("attached_node")
        kwargs = test.get("kwargs") or {}
        if model in models and name == "columns_valid":  # a model's column checks, one scan
            unique[model].extend(kwargs.get("unique") or [])
            not_null[model].update(kwargs.get("not_null") or [])
            continue
        # A model-level test names its column (or expression) only in its arguments.
        column = node.get("column_name") or kwargs.get("column_name")
        if model in models and column and name == "unique":
            unique[model].append(column)
        elif model in models and column and name == "not_null":
            not_null[model].add(column)

    def keyed(uid: str) -> bool:
        columns = set(models[uid]["columns"])
        for expression in unique[uid]:
            parts = set(re.findall(r"[a-z_]+", expression)) & (columns | {expression})
            if parts and parts <= not_null[uid]:
                return True
        return False

    assert sorted(n["name"] for uid, n in models.items() if not keyed(uid)) == []


def test_every_published_column_is_described(manifest: dict[str, Any], built: Built) -> None:
    documented = {n["alias"]: {c: v.get("description") for c, v in n["columns"].items()}
                  for n in _models(manifest).values() if n["schema"] == "main"}
    snapshot = Warehouse.at(built.warehouse).current_snapshot()
    with duckdb.connect(str(snapshot), read_only=True) as con:
        published = con.execute("select table_name, column_name from information_schema.columns "
                                "where table_schema = 'main'").fetchall()
    undescribed = sorted(f"{t}.{c}" for t, c in published
                         if t in documented and not documented[t].get(c))
    assert undescribed == []
    assert {t for t, _ in published} >= set(documented)


def test_a_renamed_mart_keeps_its_old_name_as_a_view_of_the_new(
        manifest: dict[str, Any], built: Built) -> None:
    """The marts are a contract: an old name stays, a view of exactly the renamed mart."""
    renamed = {n["name"]: (_renamed_to(n), n) for n in manifest["nodes"].values()
               if n["resource_type"] == "model" and _renamed_to(n)}
    assert set(renamed) == {"alerts", "dq_check_results", "file_manifest", "refresh_runs"}
    names = {n["name"]: uid for uid, n in _models(manifest).items()}
    snapshot = Warehouse.at(built.warehouse).current_snapshot()
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for old, (new, node) in renamed.items():
            assert node["config"]["materialized"] == "view", old
            assert node["depends_on"]["nodes"] == [names[new]], old
            assert "deprecated" in node["description"].lower() and new in node["description"]
            for a, b in ((old, new), (new, old)):
                assert con.execute(f"select count(*) from (select * from main.{a} "
                                   f"except all select * from main.{b})").fetchone() == (0,)


def test_exposures_are_the_dashboard_pages(manifest: dict[str, Any]) -> None:
    pages = sorted(f"views/{p.name}" for p in (ROOT / "dashboards" / "views").glob("*.py")
                   if not p.name.startswith("_"))
    exposures = manifest["exposures"].values()
    assert sorted(e["config"]["meta"]["page"] for e in exposures) == pages
    assert {e["maturity"] for e in exposures} <= {"low", "medium", "high"}
    assert not [e["name"] for e in exposures if "status" in e["config"]["meta"]]


def test_windowed_models_are_declared_in_their_config(manifest: dict[str, Any],
                                                      built: Built) -> None:
    tables = build_window.windowed_tables(built.warehouse / "dbt" / "target" / "manifest.json")
    assert tables == ["intermediate.int_settlement_routes_daily",
                      "intermediate.int_transactions_matched",
                      "intermediate.int_transactions_paired", "main.fct_settlement_lines",
                      "main.fct_transactions"]
    # Each has the project's pre-hook, which deletes the window's rows only for them.
    for node in _models(manifest).values():
        assert any("delete_build_window" in h["sql"] for h in node["config"]["pre-hook"])


def test_folded_column_checks_fail_and_say_which(built: Built, tmp_path: Path) -> None:
    """A model's not_null, unique and accepted_values checks run as one test
    (columns_valid): on a copy of a built database where each of them is broken, the test
    fails through dbt, and the refresh's message names each broken check and column."""
    copy = Warehouse.at(tmp_path / "warehouse")
    copy.root.mkdir()
    shutil.copyfile(Warehouse.at(built.warehouse).build_db, copy.build_db)
    with duckdb.connect(str(copy.build_db)) as con:
        con.execute("insert into main.fct_transactions select * from main.fct_transactions "
                    "order by journal_line_id desc limit 2 offset 5")
        con.execute("update main.fct_transactions set merchant_id = null "
                    "where journal_line_id in (select journal_line_id from main.fct_transactions "
                    "order by 1 limit 3)")
        con.execute("update main.fct_transactions set txn_type = 'BOGUS' "
                    "where journal_line_id = (select max(journal_line_id) "
                    "from main.fct_transactions)")
    outcome = run_dbt(copy, ["test", "--select", "columns_valid_fct_transactions"], quiet=True)
    assert not outcome.success
    [failed] = outcome.failures
    said = _failed_node(copy, failed)
    assert said.startswith("columns_valid_fct_transactions (")
    for check in ("not_null merchant_id: 3 row(s)", "unique journal_line_id: 2 row(s)",
                  "accepted_values txn_type: 1 row(s)"):
        assert check in said, said
    # The untouched checks of the same test pass on the same data.
    assert "channel" not in said


def test_folded_column_checks_pass_on_the_built_warehouse(built: Built, tmp_path: Path) -> None:
    copy = Warehouse.at(tmp_path / "warehouse")
    copy.root.mkdir()
    shutil.copyfile(Warehouse.at(built.warehouse).build_db, copy.build_db)
    outcome = run_dbt(copy, ["test", "--select", "columns_valid_fct_transactions"], quiet=True)
    assert outcome.success, outcome.failures
    assert [n["status"] for n in outcome.nodes if n["resource_type"] == "test"] == ["pass"]
