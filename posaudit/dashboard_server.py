"""Serving the dashboards: Streamlit in a process group of its own, listening on this machine
only unless told otherwise, and stopped together with ``posaudit dashboard``.

Ctrl-C and SIGTERM (a service manager's stop) are passed on to Streamlit, which gets
``STOP_SECONDS`` to shut down before its whole group is killed; on Linux the kernel also stops
it should ``posaudit dashboard`` itself be killed outright. Nothing is left on the port.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType

DEFAULT_ADDRESS = "127.0.0.1"
STOP_SECONDS = 10.0
FORWARDED = (signal.SIGINT, signal.SIGTERM)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

# How the dashboard decides whether every page needs a login (dashboards.access reads it).
LOGIN_ENV = "POSAUDIT_DASHBOARD_LOGIN"
LOGIN_MODES = ("auto", "required", "optional")


def login_mode(value: str | None) -> str | None:
    """A login setting checked before anything starts (None: not set)."""
    if value is None or not value.strip():
        return None
    mode = value.strip().lower()
    if mode not in LOGIN_MODES:
        raise ValueError(f"{LOGIN_ENV} must be one of {', '.join(LOGIN_MODES)}, not {value!r}")
    return mode


def streamlit_command(app: Path, port: int, address: str = DEFAULT_ADDRESS) -> list[str]:
    # Behind a reverse proxy every visitor arrives from localhost, which Streamlit's default
    # toolbar treats as the app's developer (cache clearing, rerun): offer viewers' items only.
    return [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
            "--server.address", address, "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"]


def serve(cmd: list[str], env: Mapping[str, str], stop_seconds: float = STOP_SECONDS) -> int:
    """Run ``cmd`` until it exits or a forwarded signal stops it; its exit code (a signal that
    ended it counts as 128 + the signal, as in a shell)."""
    proc = subprocess.Popen(cmd, env=dict(env), start_new_session=True,
                            preexec_fn=_stop_with(os.getpid()))
    stopping: list[float] = []  # when the first forwarded signal came

    def forward(signum: int, _frame: FrameType | None) -> None:
        stopping.append(time.monotonic())
        _signal_group(proc.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        while not _exited(proc.pid):
            if stopping and time.monotonic() - stopping[0] > stop_seconds:
                _signal_group(proc.pid, signal.SIGKILL)
            time.sleep(0.2)
    finally:
        if not _exited(proc.pid):  # the parent failed: leave nothing running
            _signal_group(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + stop_seconds
            while not _exited(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.2)
        # Until it is reaped, the exited leader keeps its group id from being reused: kill
        # whatever Streamlit itself started, then reap.
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    code = proc.returncode
    return 128 - code if code < 0 else code


def _exited(pid: int) -> bool:
    """Whether the child has exited, without reaping it."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(pgid, signum)


def _stop_with(parent: int) -> Callable[[], None] | None:
    """For the child, before it runs Streamlit: SIGTERM when ``parent`` dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return None

    def arm() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above ran
            os.kill(os.getpid(), signal.SIGTERM)

    return arm
