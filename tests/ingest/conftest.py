"""Fixtures for the ingest tests: a card key, a DuckDB file, a landing zone, parse helpers.

The file builders and leak scanners live in ``tests/helpers/raw_*.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from posaudit.ingest.cardsafe import CardKey
from posaudit.ingest.errors import IngestError
from posaudit.ingest.landing import detect
from posaudit.ingest.layouts import BY_NAME, Parsed
from tests.helpers.parsing import Loaded, open_source
from tests.helpers.raw_docs import Doc, LandingZone
from tests.helpers.raw_values import sensitive_in


@pytest.fixture
def card_key() -> CardKey:
    return CardKey(b"k" * 32)


@pytest.fixture
def parse_file(tmp_path: Path, card_key: CardKey) -> Callable[..., Loaded]:
    """Recognise a file from its content (any name) and parse it, as ingest does."""

    def run(data: bytes | str | Doc, name: str = "file.csv", folder: str = "settlement",
            expect: str | None = None) -> Loaded:
        if isinstance(data, Doc):
            data = data.data()
        elif isinstance(data, str):
            data = data.encode("utf-8")
        src = open_source(tmp_path, name, data, folder)
        layout = detect(src)
        if layout is None:
            raise AssertionError(f"{name}: no layout recognised")
        if expect is not None:
            assert layout.name == expect
        parsed = layout.parse(src, card_key)
        assert isinstance(parsed, Parsed)
        return Loaded(layout.name, parsed)

    return run


@pytest.fixture
def parse_as(tmp_path: Path, card_key: CardKey) -> Callable[..., Parsed]:
    """Parse with a given layout, skipping detection (a file whose markers are damaged)."""

    def run(layout: str, data: bytes | Doc, name: str = "file.csv",
            folder: str = "settlement") -> Parsed:
        if isinstance(data, Doc):
            data = data.data()
        return BY_NAME[layout].parse(open_source(tmp_path, name, data, folder), card_key)

    return run


@pytest.fixture
def parse_error(parse_file: Callable[..., Loaded]) -> Callable[..., IngestError]:
    """Parse and return the IngestError; fail if the file loads or anything else is raised."""

    def run(data: bytes | str | Doc, name: str = "file.csv", folder: str = "settlement",
            expect: str | None = None) -> IngestError:
        with pytest.raises(IngestError) as info:
            parse_file(data, name, folder, expect)
        err = info.value
        assert err.file, "an IngestError must name its file"
        assert err.reason, "an IngestError must say why"
        assert not sensitive_in(str(err)), f"sensitive data in the message: {err}"
        return err

    return run


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def landing(tmp_path: Path) -> LandingZone:
    return LandingZone(tmp_path / "landing")
