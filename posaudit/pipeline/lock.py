"""One writer per warehouse: an exclusive ``flock`` on ``W/refresh.lock``.

The kernel drops the lock when its holder dies, however it dies, so a lock can never outlive
its process. The holder writes who it is into the file (pid, host, user, command, run, step,
start time): a second writer names it when it gives up, and the next holder finds the text a
dead one left behind (the file is emptied on a normal release) and reports it as stale.

The file itself is never deleted: a writer that opened it just before it was unlinked would
lock an orphaned inode while a third one locked a new file.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) the lock."""

    pid: int
    host: str
    user: str
    command: str
    started_at: str
    run_id: str | None = None
    step: str | None = None

    @classmethod
    def me(cls, command: str, run_id: str | None) -> Holder:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers)
            user = str(os.getuid())
        return cls(pid=os.getpid(), host=socket.gethostname(), user=user, command=command,
                   started_at=datetime.now().isoformat(timespec="seconds"), run_id=run_id)

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})
        except (ValueError, TypeError):
            return None

    def describe(self) -> str:
        run = f", run {self.run_id}" if self.run_id else ""
        step = f", step {self.step}" if self.step else ""
        return (f"`posaudit {self.command}` (pid {self.pid} on {self.host}, user {self.user}, "
                f"started {self.started_at}{run}{step})")


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse lock."""

    def __init__(self, path: Path, holder: Holder | None) -> None:
        self.path = path
        self.holder = holder
        who = holder.describe() if holder else "another process (it has not said who yet)"
        super().__init__(f"{path.parent} is locked by {who}: this run did nothing; "
                         "try again once it has finished")


@dataclass
class Stale:
    """What a holder that died with the lock left in the file (``holder`` None: unreadable)."""

    holder: Holder | None

    def describe(self) -> str:
        who = self.holder.describe() if self.holder else "an unreadable holder record"
        return f"stale lock cleared: {who} is no longer running"


class WarehouseLock:
    """``with WarehouseLock.acquire(path, "refresh", run_id) as lock:`` — raises
    WarehouseBusyError at once, never waits."""

    def __init__(self, path: Path, fd: int, holder: Holder, stale: Stale | None) -> None:
        self.path = path
        self.holder = holder
        self.stale = stale
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, path: Path, command: str, run_id: str | None = None) -> WarehouseLock:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = _read(fd)
            os.close(fd)
            raise WarehouseBusyError(path, Holder.parse(text)) from None
        except BaseException:
            os.close(fd)
            raise
        left = _read(fd).strip()
        stale = Stale(Holder.parse(left)) if left else None
        lock = cls(path, fd, Holder.me(command, run_id), stale)
        lock._write()
        return lock

    def at_step(self, step: str) -> None:
        """Say which step the holder is in (shown to a second writer, kept if it dies)."""
        self.holder = replace(self.holder, step=step)
        self._write()

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # an empty file means "released normally"
        finally:
            os.close(fd)  # closing drops the flock

    def _write(self) -> None:
        assert self._fd is not None
        data = json.dumps(asdict(self.holder)).encode()
        # Write, then cut: the file never reads as empty (released) while it is held.
        os.pwrite(self._fd, data, 0)
        os.ftruncate(self._fd, len(data))
        os.fsync(self._fd)

    def __enter__(self) -> WarehouseLock:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def _read(fd: int) -> str:
    return os.pread(fd, 64 * 1024, 0).decode("utf-8", errors="replace")
