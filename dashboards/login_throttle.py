"""Failed dashboard logins, counted per user name and per client, with a growing lock.

The counts live in ``W/logins.sqlite`` beside the warehouse, so that every session, browser
tab and dashboard process serving the warehouse shares them, and a restart forgets nothing.
A key (``user:<name>`` or ``client:<address>``) that collects ``failures`` wrong passwords with
no quiet ``window`` between them is locked for ``first_delay`` seconds, and every further
failure doubles the lock up to ``max_delay``. Attempts made while locked are refused without
checking the password and do not count. A key forgets its failures after ``window`` seconds
with neither a failure nor a lock.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "logins.sqlite"
SCHEMA = """create table if not exists login_failures (
    key text primary key, failures integer not null, last_at real not null,
    locked_until real not null)"""


@dataclass(frozen=True)
class Policy:
    failures: int = 5
    window: float = 15 * 60.0
    first_delay: float = 60.0
    max_delay: float = 60 * 60.0

    def lock(self, failures: int) -> float:
        """Seconds a key is locked for after its ``failures``-th failure."""
        if failures < self.failures:
            return 0.0
        return min(self.first_delay * 2.0 ** (failures - self.failures), self.max_delay)


# One person mistyping: five tries. A client address may be an office behind one NAT, so it
# gets more before everyone there waits.
PER_USER = Policy()
PER_CLIENT = Policy(failures=20)


def throttle_path(warehouse: str | Path) -> Path:
    return Path(warehouse).expanduser().resolve() / FILE_NAME


def user_key(name: str) -> str:
    return f"user:{name.strip().lower()}"


def client_key(client: str) -> str:
    return f"client:{client}"


class LoginThrottle:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock

    def locked_until(self, keys: Iterable[str]) -> float | None:
        """When the latest lock on any of ``keys`` ends, if one is in force now."""
        wanted = list(keys)
        if not wanted or not self.path.exists():
            return None
        now = self.clock()
        with self._connect() as con:
            marks = ",".join("?" * len(wanted))
            row = con.execute(f"select max(locked_until) from login_failures "
                              f"where key in ({marks})", wanted).fetchone()
        until = row[0] if row else None
        return float(until) if until is not None and until > now else None

    def failed(self, policies: Mapping[str, Policy]) -> float | None:
        """Count a wrong password against each key (with its policy); when that locks one,
        return when the latest lock ends."""
        now = self.clock()
        with self._connect() as con:
            con.execute("begin immediate")
            for key, policy in policies.items():
                row = con.execute("select failures, last_at, locked_until from login_failures "
                                  "where key = ?", [key]).fetchone()
                failures = 0
                if row is not None and now - max(row[1], row[2]) <= policy.window:
                    failures = int(row[0])
                failures += 1
                lock = policy.lock(failures)
                con.execute("insert or replace into login_failures values (?, ?, ?, ?)",
                            [key, failures, now, now + lock if lock else 0.0])
            # Keys quiet for longer than any window say nothing any more.
            longest = max((p.window + p.max_delay for p in policies.values()), default=0.0)
            con.execute("delete from login_failures where max(last_at, locked_until) < ?",
                        [now - longest])
            con.execute("commit")
        return self.locked_until(policies)

    def forget(self, key: str) -> None:
        if not self.path.exists():
            return
        with self._connect() as con:
            con.execute("delete from login_failures where key = ?", [key])

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit, and a wait rather than an error while another session writes.
        with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as con:
            con.execute(SCHEMA)
            yield con
