"""The warehouse folder: a build database that only the refresh writes, and published
read-only snapshots that every reader opens.

```
W/
  build.duckdb            written by refresh only (ingest, then dbt)
  snapshots/<id>.duckdb   published copies; readers open these read-only
  CURRENT                 the id of the published snapshot (replaced atomically)
  runs/<run id>.json      one record per refresh
  dbt/                    dbt's target and logs for this warehouse
  dq/gx/                  Great Expectations project: suites, validation results, Data Docs
W.card-key                demo card key: beside the warehouse, never inside (see ingest.cardsafe)
```
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

DEFAULT_KEEP = 5


class NoSnapshotError(RuntimeError):
    pass


@dataclass(frozen=True)
class Warehouse:
    root: Path

    @classmethod
    def at(cls, path: str | Path) -> Warehouse:
        return cls(Path(path).expanduser().resolve())

    @property
    def build_db(self) -> Path:
        return self.root / "build.duckdb"

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
    def current_pointer(self) -> Path:
        return self.root / "CURRENT"

    def ensure(self) -> None:
        for d in (self.root, self.snapshots_dir, self.runs_dir, self.dbt_dir, self.dq_dir):
            d.mkdir(parents=True, exist_ok=True)

    def current_snapshot(self) -> Path:
        """The published snapshot readers should open."""
        try:
            snap_id = self.current_pointer.read_text().strip()
        except FileNotFoundError:
            raise NoSnapshotError(
                f"{self.root} has no published snapshot yet: run `posaudit refresh` first"
            ) from None
        path = self.snapshots_dir / f"{snap_id}.duckdb"
        if not path.exists():
            raise NoSnapshotError(f"CURRENT names snapshot {snap_id}, which is missing")
        return path

    def snapshots(self) -> list[Path]:
        return sorted(self.snapshots_dir.glob("*.duckdb"))

    def publish(self, snapshot_id: str, keep: int = DEFAULT_KEEP) -> Path:
        """Copy the build database to a new snapshot, then switch CURRENT to it atomically.

        Readers that have the old snapshot open keep it; the next open sees the new one.
        """
        target = self.snapshots_dir / f"{snapshot_id}.duckdb"
        tmp = target.with_suffix(".partial")
        shutil.copyfile(self.build_db, tmp)
        _fsync(tmp)
        os.replace(tmp, target)
        pointer_tmp = self.current_pointer.with_suffix(".tmp")
        pointer_tmp.write_text(snapshot_id + "\n")
        _fsync(pointer_tmp)
        os.replace(pointer_tmp, self.current_pointer)
        self._prune(keep, protect=target)
        return target

    def _prune(self, keep: int, protect: Path) -> None:
        snaps = self.snapshots()
        for old in snaps[: max(0, len(snaps) - keep)]:
            if old != protect:
                old.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
