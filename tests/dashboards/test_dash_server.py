"""`posaudit dashboard` as real processes: it listens on 127.0.0.1 unless told otherwise, hands
the login setting to the app, and Ctrl-C or SIGTERM stop Streamlit with it — nothing is left
listening; a Streamlit that will not stop is killed, and one whose parent is killed outright
stops too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from posaudit import dashboard_server
from posaudit.cli import build_parser
from tests.helpers.cli import Built, run_cli
from tests.helpers.paths import ROOT
from tests.helpers.serving import children, dashboard, listening, running

pytestmark = pytest.mark.slow

# A stand-in for Streamlit that ignores the polite signals (or not, with "polite").
STUBBORN = """
import os, pathlib, signal, sys, time
if sys.argv[2] != "polite":
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))
time.sleep(300)
"""
SERVE = """
import os, sys
from posaudit.dashboard_server import serve
sys.exit(serve([sys.executable, "-c", sys.argv[1], sys.argv[2], sys.argv[3]], os.environ,
               stop_seconds=1))
"""


def wait_for(condition: Callable[[], object], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_address_is_this_machine_unless_told_otherwise() -> None:
    parse = build_parser().parse_args
    assert parse(["dashboard", "--warehouse", "W"]).address == "127.0.0.1"
    assert parse(["dashboard", "--warehouse", "W", "--address", "0.0.0.0"]).address == "0.0.0.0"
    cmd = dashboard_server.streamlit_command(Path("app.py"), 8600, "0.0.0.0")
    assert cmd[cmd.index("--server.address") + 1] == "0.0.0.0"
    assert dashboard_server.login_mode(" Required ") == "required"
    assert dashboard_server.login_mode("") is None


def test_an_unknown_login_setting_is_a_usage_error(built: Built) -> None:
    result = run_cli("dashboard", "--warehouse", str(built.warehouse),
                     env={dashboard_server.LOGIN_ENV: "sometimes"})
    assert result.returncode == 3
    assert "POSAUDIT_DASHBOARD_LOGIN must be one of auto, required, optional, not " \
           "'sometimes'" in result.stderr


def test_an_unknown_time_zone_is_a_usage_error_before_anything_starts(tmp_path: Path) -> None:
    # No warehouse either: the zone is checked first.
    result = run_cli("dashboard", "--warehouse", str(tmp_path / "none"), "--timezone",
                     "Mars/Olympus")
    assert result.returncode == 3
    assert "--timezone (or $POSAUDIT_TIMEZONE): unknown time zone 'Mars/Olympus'" in \
        result.stderr
    result = run_cli("dashboard", "--warehouse", str(tmp_path / "none"),
                     env={"POSAUDIT_TIMEZONE": "Nowhere"})
    assert result.returncode == 3 and "unknown time zone 'Nowhere'" in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_streamlit_and_frees_the_port(built: Built, tmp_path: Path,
                                                     sig: signal.Signals) -> None:
    with dashboard(built.warehouse, tmp_path / "dashboard.log", "--login", "optional",
                   "--timezone", "Europe/Berlin") as (proc, url):
        port = int(url.rsplit(":", 1)[1])
        assert listening(port) == {"127.0.0.1"}  # bound to this machine only
        streamlit, = children(proc.pid)
        environ = Path(f"/proc/{streamlit}/environ").read_bytes().split(b"\0")
        assert b"POSAUDIT_DASHBOARD_LOGIN=optional" in environ
        assert b"POSAUDIT_TIMEZONE=Europe/Berlin" in environ
        proc.send_signal(sig)  # to posaudit only, as a service manager or Ctrl-C would
        assert proc.wait(timeout=30) == 0
        assert not listening(port)
        assert not running(streamlit)


def test_a_streamlit_that_ignores_the_signal_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", SERVE, STUBBORN, str(pid_file),
                               "stubborn"], cwd=ROOT)
    try:
        assert wait_for(lambda: pid_file.exists() and pid_file.read_text().strip())
        child = int(pid_file.read_text())
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=30) == 128 + signal.SIGKILL
        assert not running(child)
    finally:
        parent.kill()


def test_streamlit_stops_when_posaudit_is_killed_outright(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", SERVE, STUBBORN, str(pid_file),
                               "polite"], cwd=ROOT)
    assert wait_for(lambda: pid_file.exists() and pid_file.read_text().strip())
    child = int(pid_file.read_text())
    parent.kill()
    parent.wait()
    try:
        assert wait_for(lambda: not running(child)), "the server outlived posaudit"
    finally:
        if running(child):
            os.kill(child, signal.SIGKILL)
