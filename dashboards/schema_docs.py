"""The marts' documentation for the SQL page: from dbt's manifest of this warehouse, else from
the yml files of models/marts. The int_ models there are building blocks kept outside the
published schema, not marts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from posaudit.resources import project_dir

BUILDING_BLOCK = "int_"


@dataclass(frozen=True)
class Model:
    name: str
    description: str
    columns: tuple[tuple[str, str], ...]


def marts(dbt_dir: Path) -> list[Model]:
    found = from_manifest(dbt_dir / "target" / "manifest.json")
    return found if found else from_yml(project_dir() / "models" / "marts")


def from_manifest(path: Path) -> list[Model]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        if not str(node.get("original_file_path", "")).startswith("models/marts/") \
                or str(node.get("name", "")).startswith(BUILDING_BLOCK):
            continue
        columns = tuple((c, str(v.get("description") or "").strip())
                        for c, v in (node.get("columns") or {}).items())
        out.append(Model(node["name"], str(node.get("description") or "").strip(), columns))
    return sorted(out, key=lambda m: m.name)


def from_yml(folder: Path) -> list[Model]:
    out = []
    for path in sorted(folder.rglob("_*__models.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models") or []:
            if model["name"].startswith(BUILDING_BLOCK):
                continue
            columns = tuple((c["name"], str(c.get("description") or "").strip())
                            for c in model.get("columns") or [])
            out.append(Model(model["name"], str(model.get("description") or "").strip(),
                             columns))
    return sorted(out, key=lambda m: m.name)
