"""The warehouse folder: a build database that only a writer holding the lock changes, and
published read-only snapshots that every reader opens.

```
W/
  build.duckdb              written by refresh and ingest only (ingest, then dbt)
  raw/<table>/<file>.parquet  the raw layer as Parquet, a file per landing file (ingest.raw_files)
  spark/                    Spark's sources, tables and frozen runs (pipeline.spark_engine)
  build.compacted.json      its size when last written fresh (when to compact it again)
  snapshots/<id>.duckdb     published copies; readers open these read-only
  snapshots/<id>.json       the run record of the refresh that published it
  CURRENT                   the id of the published snapshot (replaced atomically)
  current.duckdb            symlink to snapshots/<CURRENT>.duckdb (replaced atomically)
  publications.log          one JSON line per publish, rollback or rebuild, oldest first
  refresh.lock              flock'ed by the one writer; names it (posaudit.pipeline.lock)
  runs/<run id>.json        one record per refresh
  dbt/                      dbt's target and logs for this warehouse
  dq/gx/                    Great Expectations project: suites, validation results, Data Docs
W.card-key                  demo card key: beside the warehouse, never inside (ingest.cardsafe)
```

Every file here is written whole or not at all (a temporary name, fsync, ``os.replace``), so a
writer killed at any moment leaves the published snapshot and its pointers intact; what it
leaves half-done (``*.partial``, ``*.tmp``) is swept by the next writer.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_KEEP = 5
KEEP_ENV = "POSAUDIT_KEEP_SNAPSHOTS"
SNAPSHOT_SUFFIX = ".duckdb"
PARTIAL = ".partial"
TMP = ".tmp"

PUBLISH, ROLLBACK, REBUILD = "publish", "rollback", "rebuild"
# A refresh compacts the build database before publishing when this share of its blocks is
# free, or when it grew by this share since it was last written fresh (deleted rows and
# half-empty row groups are waste that free blocks do not show; DECISIONLOG.md has figures).
COMPACT_FREE_SHARE = 0.2
COMPACT_GROWTH = 0.3


class NoSnapshotError(RuntimeError):
    pass


def keep_from(value: str | int | None) -> int:
    """How many snapshots to keep: ``value``, else $POSAUDIT_KEEP_SNAPSHOTS, else 5."""
    raw = value if value is not None else os.environ.get(KEEP_ENV) or DEFAULT_KEEP
    try:
        keep = int(raw)
    except ValueError:
        raise ValueError(f"keep must be a whole number of snapshots, not {raw!r}") from None
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    return keep


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    path: Path
    size_bytes: int
    created_at: str
    current: bool
    record: dict[str, Any] | None

    @property
    def outcome(self) -> str | None:
        return self.record.get("outcome") if self.record else None

    @property
    def facts(self) -> dict[str, Any]:
        return (self.record or {}).get("facts") or {}


@dataclass(frozen=True)
class Publication:
    path: Path
    previous: str | None
    pruned: list[str]


@dataclass(frozen=True)
class Compaction:
    bytes_before: int
    bytes_after: int
    free_share: float  # of the blocks, before
    growth: float  # since it was last written fresh

    def describe(self) -> str:
        return (f"build database compacted: {self.bytes_before / 2**20:.1f} MB -> "
                f"{self.bytes_after / 2**20:.1f} MB ({self.free_share:.0%} of its blocks were "
                f"free; it had grown {self.growth:.0%} since it was last written fresh)")


@dataclass(frozen=True)
class Warehouse:
    root: Path

    @classmethod
    def at(cls, path: str | Path) -> Warehouse:
        return cls(Path(path).expanduser().resolve())

    # --- layout ------------------------------------------------------------------------------

    @property
    def build_db(self) -> Path:
        return self.root / "build.duckdb"

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    def snapshot_data_dirs(self) -> list[str]:
        """The folders a published snapshot's views read files from: the frozen Parquet of
        runs built on Spark (posaudit.pipeline.spark_engine), with a trailing slash."""
        return [f"{self.root.resolve() / 'spark' / 'runs'}/"]

    @property
    def snapshots_dir(self) -> Path:
        return self.root / "snapshots"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def dbt_dir(self) -> Path:
        return self.root / "dbt"

    @property
    def dq_dir(self) -> Path:
        return self.root / "dq"

    @property
    def data_docs_index(self) -> Path:
        return self.dq_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"

    @property
    def compacted_record(self) -> Path:
        """The build database's size when it was last written fresh (compaction's baseline)."""
        return self.root / "build.compacted.json"

    @property
    def current_pointer(self) -> Path:
        return self.root / "CURRENT"

    @property
    def current_link(self) -> Path:
        """A stable path for clients that keep one: a symlink to the current snapshot."""
        return self.root / "current.duckdb"

    @property
    def publications_log(self) -> Path:
        return self.root / "publications.log"

    @property
    def lock_path(self) -> Path:
        return self.root / "refresh.lock"

    def snapshot_path(self, snapshot_id: str) -> Path:
        return self.snapshots_dir / f"{snapshot_id}{SNAPSHOT_SUFFIX}"

    def snapshot_record_path(self, snapshot_id: str) -> Path:
        return self.snapshots_dir / f"{snapshot_id}.json"

    def run_record_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.json"

    def ensure(self) -> None:
        for d in (self.root, self.snapshots_dir, self.runs_dir, self.dbt_dir, self.dq_dir):
            d.mkdir(parents=True, exist_ok=True)

    # --- reading -----------------------------------------------------------------------------

    def current_id(self) -> str | None:
        try:
            return self.current_pointer.read_text().strip() or None
        except FileNotFoundError:
            return None

    def current_snapshot(self) -> Path:
        """The published snapshot readers should open."""
        for _ in range(3):
            snap_id = self.current_id()
            if snap_id is None:
                raise NoSnapshotError(
                    f"{self.root} has no published snapshot yet: run `posaudit refresh` first"
                )
            path = self.snapshot_path(snap_id)
            if path.exists():
                return path
            if self.current_id() == snap_id:
                break
            # A publish switched CURRENT and pruned the one we had read: read it again.
        raise NoSnapshotError(f"CURRENT names snapshot {snap_id}, which is missing")

    def snapshots(self) -> list[Path]:
        """Snapshot files, oldest first."""
        found = [p for p in self.snapshots_dir.glob(f"*{SNAPSHOT_SUFFIX}") if p.is_file()]
        return sorted(found, key=_age_key)

    def snapshot_ids(self) -> list[str]:
        return [p.name.removesuffix(SNAPSHOT_SUFFIX) for p in self.snapshots()]

    def list_snapshots(self) -> list[SnapshotInfo]:
        current = self.current_id()
        out = []
        for path in self.snapshots():
            snap_id = path.name.removesuffix(SNAPSHOT_SUFFIX)
            record = (read_json(self.snapshot_record_path(snap_id))
                      or read_json(self.run_record_path(snap_id)))
            try:
                stat = path.stat()
            except FileNotFoundError:  # pruned while we looked
                continue
            created = ((record or {}).get("published_at")
                       or datetime.fromtimestamp(stat.st_mtime).isoformat(timespec="seconds"))
            out.append(SnapshotInfo(snap_id, path, stat.st_size, created, snap_id == current,
                                    record))
        return out

    def previous_of(self, snapshot_id: str | None) -> str | None:
        """The newest snapshot older than ``snapshot_id``: where a rollback goes by default."""
        ids = self.snapshot_ids()
        if snapshot_id not in ids:
            return None
        at = ids.index(snapshot_id)
        return ids[at - 1] if at > 0 else None

    def publications(self) -> list[dict[str, Any]]:
        """The publications log; a line cut short by a crash is skipped."""
        try:
            text = self.publications_log.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in text.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def pending_rebuild(self) -> str | None:
        """The snapshot the build database must go back to before it is built on again: the
        current one, when readers were rolled back to a snapshot other than the one the build
        database last continued from (its last publish or rebuild). None otherwise, and for a
        warehouse that has no publications log yet."""
        built = next((e.get("snapshot_id") for e in reversed(self.publications())
                      if e.get("action") in (PUBLISH, REBUILD)), None)
        current = self.current_id()
        if built is None or current is None or current == built:
            return None
        return current

    # --- writing (callers hold the warehouse lock) ------------------------------------------

    def publish(self, snapshot_id: str, *, keep: int = DEFAULT_KEEP,
                record: dict[str, Any] | None = None,
                verify: Callable[[Path], None] | None = None) -> Publication:
        """Copy the build database to a new snapshot, then switch CURRENT to it atomically.

        ``verify`` checks the finished copy before it gets its final name. Readers that have
        the old snapshot open keep it; the next open sees the new one.
        """
        target = self.snapshot_path(snapshot_id)
        partial = target.with_name(target.name + PARTIAL)
        shutil.copyfile(self.build_db, partial)
        _fsync(partial)
        if verify is not None:
            verify(partial)
        os.replace(partial, target)
        _fsync_dir(self.snapshots_dir)
        if record is not None:
            write_json(self.snapshot_record_path(snapshot_id), record)
        previous = self.current_id()
        self._point_to(snapshot_id)
        self._log(PUBLISH, snapshot_id, previous=previous)
        return Publication(target, previous, self.prune(keep))

    def rollback(self, to: str | None = None,
                 verify: Callable[[Path], None] | None = None) -> tuple[str, str]:
        """Publish an earlier snapshot again (default: the one before the current one).
        Returns (from, to)."""
        current = self.current_id()
        if current is None:
            raise NoSnapshotError(f"{self.root} has no published snapshot to roll back from")
        target = to or self.previous_of(current)
        if target is None:
            raise NoSnapshotError(f"no snapshot older than {current} is kept: nothing to "
                                  "roll back to (see `posaudit snapshots`)")
        path = self.snapshot_path(target)
        if not path.exists():
            raise NoSnapshotError(f"snapshot {target} does not exist (see `posaudit snapshots`)")
        if target == current:
            raise ValueError(f"snapshot {target} is already the current one")
        if verify is not None:
            verify(path)
        self._point_to(target)
        self._log(ROLLBACK, target, previous=current)
        return current, target

    def restore_build(self, snapshot_id: str) -> None:
        """Make the build database a copy of a snapshot (it continues from there)."""
        source = self.snapshot_path(snapshot_id)
        if not source.exists():
            raise NoSnapshotError(f"snapshot {snapshot_id} does not exist")
        partial = self.build_db.with_name(self.build_db.name + PARTIAL)
        shutil.copyfile(source, partial)
        _fsync(partial)
        # The old database's write-ahead log must never be replayed onto the copy.
        self.build_db.with_name(self.build_db.name + ".wal").unlink(missing_ok=True)
        os.replace(partial, self.build_db)
        _fsync_dir(self.root)
        self.compacted_record.unlink(missing_ok=True)  # the copy is the next baseline
        self._log(REBUILD, snapshot_id, previous=None)

    def compact_build(self, min_free_share: float = COMPACT_FREE_SHARE,
                      max_growth: float = COMPACT_GROWTH, *,
                      config: dict[str, str] | None = None) -> Compaction | None:
        """Rewrite the build database into a fresh file, and put it in place atomically, when
        more than ``min_free_share`` of its blocks are free or it grew by more than
        ``max_growth`` since it was last written fresh. DuckDB reuses the blocks that replaced
        tables leave but never gives them back, nor the room of deleted rows, and every
        snapshot is a byte copy of the build database. None: not needed (or no build database
        yet). The caller holds the lock and no other connection to the file is open."""
        import duckdb

        if not self.build_db.exists():
            return None
        before = self.build_db.stat().st_size
        fresh = (read_json(self.compacted_record) or {}).get("bytes")
        if not isinstance(fresh, int):  # the first time: this size is the baseline
            write_json(self.compacted_record, {"bytes": before})
            fresh = before
        partial = self.build_db.with_name(self.build_db.name + PARTIAL)
        partial.unlink(missing_ok=True)
        with duckdb.connect(str(self.build_db), config=dict(config or {})) as con:
            name, _size, _block, total, _used, free, *_ = con.execute(
                "pragma database_size").fetchall()[0]
            share = free / total if total else 0.0
            if share <= min_free_share and before <= fresh * (1 + max_growth):
                return None
            target = str(partial).replace("'", "''")
            con.execute(f"attach '{target}' as compacted")
            con.execute(f'copy from database "{name}" to compacted')
            con.execute("detach compacted")
        _fsync(partial)
        # Closed cleanly, the old file has nothing in its write-ahead log; none may outlive it.
        self.build_db.with_name(self.build_db.name + ".wal").unlink(missing_ok=True)
        os.replace(partial, self.build_db)
        _fsync_dir(self.root)
        after = self.build_db.stat().st_size
        write_json(self.compacted_record, {"bytes": after})
        return Compaction(before, after, share, before / fresh - 1)

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` snapshots; the current one and the one a rollback
        would go to are always kept. The record beside a snapshot goes with it."""
        ids = self.snapshot_ids()
        current = self.current_id()
        kept = set(ids[-keep:]) | {current, self.previous_of(current)}
        removed = [i for i in ids if i not in kept]
        for snap_id in removed:
            self.discard_snapshot(snap_id)
        return removed

    def discard_snapshot(self, snapshot_id: str) -> None:
        if snapshot_id == self.current_id():
            raise ValueError(f"snapshot {snapshot_id} is current: it cannot be removed")
        # The database first: a record left alone is swept, a database without one is not.
        self.snapshot_path(snapshot_id).unlink(missing_ok=True)
        self.snapshot_record_path(snapshot_id).unlink(missing_ok=True)

    def repair_pointers(self) -> bool:
        """Make current.duckdb agree with CURRENT (a writer may have died between the two)."""
        current = self.current_id()
        if current is None:
            return False
        want = Path("snapshots") / f"{current}{SNAPSHOT_SUFFIX}"
        try:
            if Path(os.readlink(self.current_link)) == want:
                return False
        except (FileNotFoundError, OSError):
            pass
        self._link_to(current)
        return True

    def sweep_leftovers(self) -> list[Path]:
        """Remove what an interrupted writer left half-written."""
        found = [*self.snapshots_dir.glob(f"*{PARTIAL}"), *self.snapshots_dir.glob(f"*{TMP}"),
                 *self.runs_dir.glob(f"*{TMP}"),
                 self.build_db.with_name(self.build_db.name + PARTIAL),
                 self.current_pointer.with_name(self.current_pointer.name + TMP),
                 self.compacted_record.with_name(self.compacted_record.name + TMP),
                 self.current_link.with_name(self.current_link.name + TMP)]
        # A record whose snapshot is gone (pruned or discarded by a writer that then died).
        found += [p for p in self.snapshots_dir.glob("*.json")
                  if not self.snapshot_path(p.stem).exists()]
        removed = []
        for path in found:
            if path.exists() or path.is_symlink():
                path.unlink()
                removed.append(path)
        return removed

    def log_publication(self, action: str, snapshot_id: str, *, previous: str | None,
                        note: str | None = None) -> None:
        self._log(action, snapshot_id, previous=previous, note=note)

    def _point_to(self, snapshot_id: str) -> None:
        write_text(self.current_pointer, snapshot_id + "\n")
        self._link_to(snapshot_id)

    def _link_to(self, snapshot_id: str) -> None:
        tmp = self.current_link.with_name(self.current_link.name + TMP)
        tmp.unlink(missing_ok=True)
        # Relative, so that the warehouse folder can be moved or mounted elsewhere.
        os.symlink(Path("snapshots") / f"{snapshot_id}{SNAPSHOT_SUFFIX}", tmp)
        os.replace(tmp, self.current_link)
        _fsync_dir(self.root)

    def _log(self, action: str, snapshot_id: str, *, previous: str | None,
             note: str | None = None) -> None:
        entry: dict[str, Any] = {
            "at": datetime.now().isoformat(timespec="milliseconds"), "action": action,
            "snapshot_id": snapshot_id, "previous": previous,
            "user": _user(), "host": socket.gethostname(), "pid": os.getpid(),
        }
        if note:
            entry["note"] = note
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        # One write of one short line in append mode: whole or (after a crash) cut, never mixed.
        fd = os.open(self.publications_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


# --- whole-file writes -----------------------------------------------------------------------


def write_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: a temporary file, fsync, then rename over it."""
    tmp = path.with_name(path.name + TMP)
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_json(path: Path, data: object) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str))


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _age_key(path: Path) -> tuple[str, int]:
    # Ids start with the run's start time to the second; the file's age breaks ties.
    try:
        return path.name[:15], path.stat().st_mtime_ns
    except FileNotFoundError:  # pruned while we looked
        return path.name[:15], 0


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
