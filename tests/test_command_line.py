"""The command line's conventions: usage errors exit 3 (argparse's own included), --warehouse
and --landing fall back to POSAUDIT_WAREHOUSE and POSAUDIT_LANDING, help is plain text, and
ingest prints one line per layout (per-file lines only with --verbose)."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import pytest

from posaudit.cli import build_parser, main
from tests.helpers.cli import Built, run_cli

USAGE_ERRORS = [
    ["snapshots"],                                          # --warehouse missing
    ["refresh", "--landing", "L"],                          # --warehouse missing
    ["ingest", "--warehouse", "W"],                         # --landing missing
    ["generate", "--out", "x", "--seed", "abc"],            # a bad value
    ["sql", "--warehouse", "W", "--max-rows", "many", "select 1"],
    ["rollback", "--warehouse", "W", "--no-such-option"],   # an unknown argument
    ["no-such-command"],
    [],                                                     # no command at all
    ["cases", "list"],                                      # --warehouse missing
    ["cases", "act", "--warehouse", "W", "C1", "comment"],  # --actor missing
    ["cases", "users", "add", "--warehouse", "W", "ann", "--role", "king"],
    ["cases"],                                              # no cases subcommand
]


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("POSAUDIT_WAREHOUSE", "POSAUDIT_LANDING"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("argv", USAGE_ERRORS, ids=lambda a: " ".join(a) or "(none)")
def test_every_usage_error_exits_3(argv: list[str], no_env: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 3
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "lists_exit_codes"), [
    (["--help"], True),
    (["refresh", "--help"], True),
    (["cases", "act", "--help"], False),
], ids=["--help", "refresh --help", "cases act --help"])
def test_help_still_exits_0(argv: list[str], lists_exit_codes: bool,
                            capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 0
    assert ("exit codes:" in capsys.readouterr().out) == lists_exit_codes


@pytest.mark.parametrize(("argv", "message"), [
    (["snapshots"], "--warehouse or POSAUDIT_WAREHOUSE is required"),
    (["cases", "list"], "--warehouse or POSAUDIT_WAREHOUSE is required"),
    (["ingest", "--warehouse", "W"], "--landing or POSAUDIT_LANDING is required"),
], ids=["snapshots", "cases list", "ingest"])
def test_the_console_script_exits_3_and_names_the_variable(
        argv: list[str], message: str, no_env: pytest.MonkeyPatch) -> None:
    done = run_cli(*argv)
    assert done.returncode == 3
    assert message in done.stderr


def test_the_warehouse_comes_from_the_environment(built: Built, tmp_path: Path) -> None:
    warehouse = tmp_path / "wh"
    shutil.copytree(built.warehouse, warehouse, symlinks=True)
    env = {"POSAUDIT_WAREHOUSE": str(warehouse)}
    listed = run_cli("snapshots", "--current-path", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip().startswith(str(warehouse / "snapshots"))
    cases = run_cli("cases", "list", "--json", env=env)
    assert cases.returncode == 0, cases.stderr
    # The option still wins over the environment.
    other = run_cli("snapshots", "--warehouse", str(tmp_path / "empty"), env=env)
    assert other.returncode == 0 and "has no snapshots yet" in other.stdout


def _all_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += _all_parsers(child)
    return found


def test_help_is_plain_text() -> None:
    parsers = _all_parsers(build_parser())
    assert len(parsers) > 15  # every subcommand, the cases ones included
    markup = re.compile(r"`|:(func|class|meth|mod|ref):|\*\*")
    for parser in parsers:
        text = parser.format_help()
        assert not markup.search(text), f"{parser.prog}:\n{text}"
        assert parser.description, f"{parser.prog} has no description"


def test_ingest_prints_one_line_per_layout_and_files_only_when_verbose(
        generated_landing: Path, tmp_path: Path) -> None:
    env = {"POSAUDIT_LANDING": str(generated_landing), "POSAUDIT_PROGRESS": "plain"}
    quiet = run_cli("ingest", "--warehouse", str(tmp_path / "a"), env=env)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert not re.search(r"\b(LOADED|DUPLICATE)\s+\S+/", quiet.stdout), quiet.stdout[-2000:]
    layouts = re.findall(r"^\S+ \S+ {3}(\w+) +(\d+) file\(s\) +[\d,]+ rows  (\d+) quarantined$",
                         quiet.stdout, re.MULTILINE)
    assert {name for name, _, _ in layouts} >= {"pos_journal_v1", "wechat_bill", "terminals"}
    assert "ingest " in quiet.stdout and "loaded " in quiet.stdout  # the summary
    assert len(quiet.stdout.splitlines()) < 30, quiet.stdout

    verbose = run_cli("ingest", "--warehouse", str(tmp_path / "b"), "--verbose", env=env)
    assert verbose.returncode == 0, verbose.stderr[-2000:]
    files = re.findall(r"ingest: LOADED +\S+", verbose.stdout)
    assert len(files) == sum(int(n) for name, n, _ in layouts) - 1  # one is a DUPLICATE
