"""The built wheel as a user gets it: one top-level package, the dbt project inside it, the
license as an SPDX expression with its file (PEP 639), and a demo that runs from an unrelated
folder on a non-editable install."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A wheel built from the committed files only, with the build log."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp / "dist"), str(source)],
        capture_output=True, text=True, timeout=600,
    )
    output = built.stdout + built.stderr
    assert built.returncode == 0, output[-3000:]
    return next((tmp / "dist").glob("posaudit-*.whl")), output


def _read(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(next(n for n in archive.namelist() if n.endswith(suffix))).decode()


def test_the_wheel_declares_its_license_without_a_warning(wheel: tuple[Path, str]) -> None:
    path, output = wheel
    assert "project.license" not in output and "deprecated" not in output.lower(), output
    metadata = _read(path, ".dist-info/METADATA")
    assert "License-Expression: Apache-2.0" in metadata
    assert "License-File: LICENSE" in metadata


def test_the_wheel_installs_only_posaudit_and_carries_the_dbt_project(
        wheel: tuple[Path, str]) -> None:
    path, _ = wheel
    assert _read(path, ".dist-info/top_level.txt").split() == ["posaudit"]
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"posaudit"}, tops
    for expected in ("posaudit/project/dbt_project.yml", "posaudit/project/profiles.yml",
                     "posaudit/project/dq.yml", "posaudit/project/alerts.yml",
                     "posaudit/project/cases.yml",
                     "posaudit/project/models/marts/core/fct_exceptions.sql",
                     "posaudit/project/seeds/iso8583_response_codes.csv",
                     "posaudit/project/macros/surrogate_key.sql",
                     "posaudit/ingest/layouts/pos_journal.py",
                     "posaudit/expectations/gate.py",
                     "posaudit/dashboards/app.py", "posaudit/dashboards/views/overview.py",
                     "posaudit/dashboards/locales/en.yml", "posaudit/dashboards/locales/zh.yml",
                     "posaudit/dashboards/locales/glossary.yml"):
        assert expected in names, expected
    # Every model of the checkout ships.
    models = {p.relative_to(ROOT).as_posix() for p in (ROOT / "models").rglob("*.sql")}
    assert {f"posaudit/project/{m}" for m in models} <= names


@pytest.mark.slow
def test_a_non_editable_install_runs_the_demo_from_another_folder(
        wheel: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = wheel
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The dependencies come from this environment's site-packages, read as a plain path: its
    # .pth files (the editable install of the checkout among them) are not processed.
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "--no-deps", "--quiet", str(path)], check=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("POSAUDIT_") and k != "PYTHONPATH"}
    python = str(venv / "bin" / "python")

    where = subprocess.run([python, "-c", "import posaudit.ingest, posaudit.resources as r; "
                            "print(posaudit.ingest.__file__); print(r.project_dir())"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert str(ROOT) not in where.stdout and str(site) in where.stdout, where.stdout
    bare = subprocess.run([python, "-c", "import ingest"], cwd=elsewhere, env=env,
                          capture_output=True, text=True)
    assert bare.returncode != 0, "a bare 'ingest' module is importable"

    posaudit = str(venv / "bin" / "posaudit")
    landing, warehouse = elsewhere / "landing", elsewhere / "warehouse"
    run = subprocess.run([posaudit, "generate", "--out", str(landing), "--seed", "3",
                          "--days", "7", "--terminals", "11", "--transactions", "2000",
                          "--per-type", "2"], cwd=elsewhere, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    run = subprocess.run([posaudit, "refresh", "--landing", str(landing), "--warehouse",
                          str(warehouse)], cwd=elsewhere, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode in (0, 1), (run.stdout[-3000:], run.stderr[-3000:])
    assert not (site / "posaudit" / "project" / "target").exists()
    assert (warehouse / "current").exists() or any(warehouse.glob("snapshots/*"))

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = subprocess.Popen([posaudit, "dashboard", "--warehouse", str(warehouse), "--port",
                               str(port)], cwd=elsewhere, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as health:
                    if health.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, server.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "the dashboard did not start in 120 s"
            time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
            assert page.status == 200
    finally:
        server.terminate()
        server.wait(timeout=60)
