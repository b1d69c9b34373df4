"""Where the files posaudit ships with are: the dbt project (models, macros, seeds, data tests,
profiles), the default dq.yml and alerts.yml, and the dashboards' entry script.

An installed wheel carries the dbt project as ``posaudit/project``; an editable install from a
checkout reads the checkout itself, so a change to a model needs no reinstall.
POSAUDIT_PROJECT_DIR points at another copy of the project (a customised one, say).
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

PROJECT_ENV = "POSAUDIT_PROJECT_DIR"
_MARKER = "dbt_project.yml"


def project_dir() -> Path:
    """The dbt project this installation runs."""
    env = os.environ.get(PROJECT_ENV)
    if env:
        root = Path(env)
        if not (root / _MARKER).is_file():
            raise FileNotFoundError(f"{PROJECT_ENV}={env}: no {_MARKER} there")
        return root
    for root in (Path(str(files("posaudit") / "project")), _checkout()):
        if (root / _MARKER).is_file():
            return root
    raise FileNotFoundError(
        f"no dbt project found: the installed package has no posaudit/project and "
        f"{_checkout()} is not a checkout; reinstall posaudit or set {PROJECT_ENV}"
    )


def policy_file(path: Path | None, env: str, name: str) -> Path | None:
    """Which policy file (``dq.yml``, ``alerts.yml``) to read: ``path``, else the file $``env``
    names, else the one the project ships; None when there is none (built-in defaults)."""
    if path is not None:
        return path
    if os.environ.get(env):
        return Path(os.environ[env])
    try:
        candidate = project_dir() / name
    except FileNotFoundError:
        return None
    return candidate if candidate.is_file() else None


def read_policy(path: Path | None, env: str, name: str, what: str) -> tuple[Any, Path] | None:
    """The parsed YAML of the policy file ``policy_file`` picks, with its path; None when there
    is none. A file that cannot be read or parsed is an error naming it (``what``: "alerts
    config")."""
    chosen = policy_file(path, env, name)
    if chosen is None:
        return None
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{what} {chosen}: {exc}") from None
    return data or {}, chosen


def dashboard_app() -> Path:
    """The Streamlit entry script (it only routes to the pages)."""
    return Path(str(files("posaudit.dashboards") / "app.py"))


def _checkout() -> Path:
    # posaudit/ sits at the top of a checkout, beside dbt_project.yml.
    return Path(__file__).resolve().parents[1]
