"""A landing file as ingest sees it: its bytes (unzipped), its decoded text, where it came from."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from posaudit.ingest.errors import IngestError

ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class SourceFile:
    """``name`` is the path relative to the landing zone (posix), as the manifest records it."""

    name: str
    folder: str
    data: bytes
    member: str | None = None  # the file inside a zip, when the landing file is a zip
    is_xlsx: bool = False

    @classmethod
    def open(cls, path: Path, name: str, folder: str) -> SourceFile:
        return cls.from_bytes(path.read_bytes(), name, folder)

    @classmethod
    def from_bytes(cls, data: bytes, name: str, folder: str) -> SourceFile:
        """A landing file from its bytes: a zip is opened and its single member read."""
        if not data.startswith(ZIP_MAGIC):
            return cls(name=name, folder=folder, data=data)
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = [m for m in archive.infolist() if not m.is_dir()]
            names = {m.filename for m in members}
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                return cls(name=name, folder=folder, data=data, is_xlsx=True)
            if len(members) != 1:
                raise IngestError(
                    name, None, None, f"zip holds {len(members)} files; expected exactly one"
                )
            inner = archive.read(members[0])
        except IngestError:
            raise
        except Exception as exc:  # zipfile raises many types for a broken archive
            raise IngestError(name, None, None, f"unreadable zip archive: {exc}") from None
        return cls(name=name, folder=folder, data=inner, member=members[0].filename)

    @property
    def display_name(self) -> str:
        return f"{self.name}!{self.member}" if self.member else self.name

    @cached_property
    def encoding(self) -> str:
        """utf-8 (BOM or not) when the bytes are valid UTF-8, else GB18030 (a superset of GBK)."""
        try:
            self.data.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError as exc:
            utf8_error = exc
        try:
            # Valid UTF-8 up to a character cut off at the very end: a truncated UTF-8 file,
            # which GB18030 would sometimes read as garbage instead of rejecting.
            if utf8_error.reason == "unexpected end of data":
                raise utf8_error
            self.data.decode("gb18030")
            return "gbk"
        except UnicodeDecodeError as exc:
            # The decoder that got further is the file's encoding: name the line it broke on.
            start = max(exc.start, utf8_error.start)
            line = self.data.count(b"\n", 0, start) + 1
            raise IngestError(
                self.display_name,
                line,
                None,
                f"bytes are neither UTF-8 nor GBK at offset {start} "
                "(truncated or corrupt file)",
            ) from None

    @cached_property
    def text(self) -> str:
        codec = "utf-8-sig" if self.encoding == "utf-8" else "gb18030"
        return self.data.decode(codec)

    def head(self, limit: int = 8192) -> str:
        """The first characters of the text, for layout detection (never raises)."""
        chunk = self.data[:limit]
        for codec in ("utf-8-sig", "gb18030"):
            try:
                return chunk.decode(codec)
            except UnicodeDecodeError as exc:
                if exc.start > len(chunk) - 4:  # cut in the middle of a character
                    return chunk[: exc.start].decode(codec, errors="ignore")
        return chunk.decode("utf-8", errors="replace")
