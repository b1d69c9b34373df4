"""The one error type ingest raises for bad input: it names the file, the line and the field."""

from __future__ import annotations

from posaudit.ingest.cardsafe import scrub


class IngestError(Exception):
    """A file cannot be loaded. ``line`` is 1-based and physical (as an editor shows it)."""

    def __init__(self, file: str, line: int | None, field: str | None, reason: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        # Every message is scrubbed: a card number must never reach a log or the manifest.
        self.reason = scrub(reason)
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[IngestError], tuple[str, int | None, str | None, str]]:
        # Sent back whole from ingest's parsing processes.
        return (IngestError, (self.file, self.line, self.field, self.reason))

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.reason}"
