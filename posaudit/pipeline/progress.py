"""What a long command shows while it works.

On a terminal: log lines scroll and one status line at the bottom is redrawn in place (a bar
when the step knows its total, a counter when it does not). Anywhere else (cron, systemd, a
pipe): plain lines, each with a timestamp, and a step's progress at most every few seconds.

A ``Console`` is a ``Callable[[str], None]``, so it goes wherever a ``progress`` callback does;
``as_console`` turns any such callback into one (plain lines, no timestamps: the callback's
owner decides how lines look).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TextIO

MODE_ENV = "POSAUDIT_PROGRESS"  # auto (default), bar or plain
BAR_WIDTH = 24
REDRAW_SECONDS = 0.1


def _discard(_message: str) -> None:
    return None


class Console:
    """Log lines plus at most one live step."""

    def __init__(self, sink: Callable[[str], None], *, tty: TextIO | None = None,
                 stamp: bool = False, every: float = 5.0) -> None:
        self._sink = sink
        self._tty = tty
        self._stamp = stamp
        self._every = every  # plain mode: seconds between a step's progress lines
        self._lock = threading.RLock()
        self._status = ""
        self._step: Step | None = None

    @classmethod
    def for_stream(cls, stream: TextIO | None = None, mode: str | None = None) -> Console:
        stream = stream or sys.stdout
        mode = (mode or os.environ.get(MODE_ENV) or "auto").lower()
        bars = mode == "bar" or (mode == "auto" and stream.isatty())

        def write(line: str) -> None:
            stream.write(line + "\n")
            stream.flush()

        return cls(write, tty=stream if bars else None, stamp=not bars)

    @property
    def live(self) -> bool:
        """True when a status line is redrawn (a terminal)."""
        return self._tty is not None

    def __call__(self, message: str) -> None:
        with self._lock:
            for line in message.splitlines() or [""]:
                self._clear()
                self._sink(self._stamped(line))
            self._draw(force=True)

    def step(self, name: str, total: int | None = None, *, unit: str = "",
             quiet: bool = False) -> Step:
        """A unit of work with a bar (``total`` known) or a counter. ``quiet``: in plain mode,
        report progress every few seconds instead of one line per item."""
        with self._lock:
            self._step = Step(self, name, total, unit, quiet)
            self._draw(force=True)
            return self._step

    # --- drawing ---------------------------------------------------------------------------

    def _stamped(self, line: str) -> str:
        return f"{datetime.now():%Y-%m-%d %H:%M:%S} {line}" if self._stamp else line

    def _clear(self) -> None:
        if self._tty is not None and self._status:
            self._tty.write("\r\x1b[K")
            self._status = ""

    def _draw(self, *, force: bool = False) -> None:
        step = self._step
        if self._tty is None or step is None:
            return
        now = time.monotonic()
        if not force and now - step.drawn_at < REDRAW_SECONDS:
            return
        step.drawn_at = now
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self._status = step.render()[:width]
        self._tty.write("\r\x1b[K" + self._status)
        self._tty.flush()

    def _finish(self, step: Step, summary: str) -> None:
        with self._lock:
            if self._step is step:
                self._step = None
            self._clear()
            self._sink(self._stamped(summary))


class Step:
    """Progress of one step; ``step(message)`` counts one item and shows the message."""

    def __init__(self, console: Console, name: str, total: int | None, unit: str,
                 quiet: bool) -> None:
        self.console = console
        self.name = name
        self.total = total
        self.unit = unit
        self.quiet = quiet
        self.done = 0
        self.note = ""
        self.started = time.monotonic()
        self.drawn_at = 0.0
        self._said_at = self.started
        self._closed = False

    def __call__(self, message: str) -> None:
        self.advance(message)

    def advance(self, note: str = "", n: int = 1, *, total: int | None = None) -> None:
        c = self.console
        with c._lock:
            self.done += n
            if total is not None:
                self.total = total
            if note:
                self.note = note
            if c.live:
                c._draw()
            elif not self.quiet and note:
                c._sink(c._stamped(f"{self.name}: {note}"))
            elif time.monotonic() - self._said_at >= c._every:
                self._said_at = time.monotonic()
                c._sink(c._stamped(f"{self.name}: {self.counted()}"))

    def log(self, message: str) -> None:
        """A line that stays (a warning, a failure), whatever the mode."""
        self.console(f"{self.name}: {message}")

    def counted(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.total:
            return f"{self.done}/{self.total}{unit} ({100 * self.done // self.total}%)"
        return f"{self.done}{unit}"

    def render(self) -> str:
        elapsed = _clock(time.monotonic() - self.started)
        if self.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * self.done // self.total)
            bar = "█" * filled + "░" * (BAR_WIDTH - filled)
            return f"{self.name:<10} {bar} {self.counted()} {elapsed}  {self.note}"
        return f"{self.name:<10} {self.counted()} {elapsed}  {self.note}"

    def close(self, summary: str | None = None) -> None:
        if self._closed:
            return
        self._closed = True
        seconds = time.monotonic() - self.started
        text = summary or (f"{self.counted()} in {seconds:.1f}s" if self.done and self.unit
                           else f"done in {seconds:.1f}s")
        self.console._finish(self, f"{self.name}: {text}")

    def __enter__(self) -> Step:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close("stopped" if exc_type is not None else None)


def as_console(progress: Callable[[str], None] | None) -> Console:
    if isinstance(progress, Console):
        return progress
    return Console(progress or _discard)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


@contextmanager
def following(path: Path, on_line: Callable[[str], None], *,
              interval: float = 0.25) -> Iterator[None]:
    """Hand every line appended to ``path`` while the block runs to ``on_line`` (a thread
    polls the file; what is there when the block starts is skipped)."""
    try:
        start = path.stat().st_size
    except FileNotFoundError:
        start = 0
    stop = threading.Event()

    def poll() -> None:
        offset, rest = start, b""
        while True:
            finished = stop.is_set()
            try:
                size = path.stat().st_size
                if size < offset:  # rotated
                    offset, rest = 0, b""
                with path.open("rb") as f:
                    f.seek(offset)
                    chunk = f.read()
                offset += len(chunk)
            except FileNotFoundError:
                chunk = b""
            *lines, rest = (rest + chunk).split(b"\n")
            for line in lines:
                on_line(line.decode("utf-8", errors="replace"))
            if finished:
                return
            stop.wait(interval)

    thread = threading.Thread(target=poll, name="follow-log", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
