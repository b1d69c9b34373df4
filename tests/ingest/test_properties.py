"""Property tests: a mangled file parses or raises IngestError, and loads whole or not at all."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import cast

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posaudit.expectations.core import DQContext
from posaudit.ingest.cardsafe import CardKey
from posaudit.ingest.errors import IngestError
from posaudit.ingest.landing import detect
from posaudit.ingest.layouts import BY_NAME
from posaudit.ingest.source import SourceFile
from posaudit.pipeline.ingest_step import ingest_landing
from tests.helpers.raw_docs import xlsx, zipped
from tests.helpers.raw_settlement import (
    adyen_sdr,
    alipay_bill,
    bank_statement,
    cn_pos_statement,
    wechat_bill,
    wechat_bill_legacy,
)
from tests.helpers.raw_terminal import (
    ERROR_REPORT_HEADER,
    error_report,
    pos_journal_cn,
    pos_journal_v1,
    terminal_events,
)
from tests.helpers.raw_values import sensitive_in

KEY = CardKey(b"k" * 32)
# One GX project for every example: its suites are built once.
DQ = DQContext()

# layout -> (folder, encoding, valid bytes)
VALID: dict[str, tuple[str, str, bytes]] = {
    "pos_journal_v1": ("terminal", "utf-8", pos_journal_v1().data()),
    "pos_journal_cn": ("terminal", "gbk", pos_journal_cn().data()),
    "cn_pos_statement": ("settlement", "gbk", cn_pos_statement().data()),
    "wechat_bill": ("settlement", "utf-8", wechat_bill().data()),
    "wechat_bill_v24": ("settlement", "utf-8", wechat_bill_legacy().data()),
    "alipay_bill": ("settlement", "gbk", alipay_bill().data()),
    "adyen_sdr": ("settlement", "utf-8", adyen_sdr().data()),
    "bank_statement_cn": ("bank", "gbk", bank_statement().data()),
    "terminal_events": ("events", "utf-8", terminal_events().encode("utf-8")),
    "error_report": ("reports", "utf-8", error_report().data()),
    "alipay_bill_zip": ("settlement", "gbk", zipped("业务明细.csv", alipay_bill().data())),
    "error_report_xlsx": ("reports", "utf-8", xlsx(ERROR_REPORT_HEADER, error_report().rows)),
}
SIBLING = ("events", "sibling.jsonl", terminal_events().encode("utf-8"))

TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(",`\t\r\n\"#:：，（）.-+%*0123456789 ")),
        st.sampled_from(list("消费退货交易合计商家实收元笔张伟明")),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    max_size=12,
)

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def _header_index(lines: list[bytes]) -> int:
    """The header line: the first one with a separator that is not a '#' line."""
    for i, line in enumerate(lines):
        if b"," in line and not line.startswith(b"#"):
            return i
    return 0


@st.composite
def mangled(draw: st.DrawFn) -> tuple[str, str, bytes]:
    """A valid file of some layout with one kind of damage."""
    kind = draw(st.sampled_from(sorted(VALID)))
    folder, encoding, data = VALID[kind]
    lines = _lines(data)
    op = draw(st.sampled_from([
        "truncate", "delete_line", "duplicate_line", "swap_lines", "insert_bytes",
        "insert_text", "change_field", "drop_header_column",
    ]))
    if op == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif op == "delete_line":
        del lines[draw(st.integers(0, len(lines) - 1))]
        data = b"".join(lines)
    elif op == "duplicate_line":
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(draw(st.integers(0, len(lines))), lines[i])
        data = b"".join(lines)
    elif op == "swap_lines":
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
        data = b"".join(lines)
    elif op == "insert_bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]
    elif op == "insert_text":
        at = draw(st.integers(0, len(data)))
        chunk = draw(TEXT).encode(encoding, errors="ignore")
        data = data[:at] + chunk + data[at:]
    elif op == "change_field":
        i = draw(st.integers(0, len(lines) - 1))
        cells = lines[i].rstrip(b"\r\n").split(b",")
        j = draw(st.integers(0, len(cells) - 1))
        cells[j] = draw(TEXT).encode(encoding, errors="ignore")
        ending = lines[i][len(lines[i].rstrip(b"\r\n")):]
        lines[i] = b",".join(cells) + ending
        data = b"".join(lines)
    else:
        i = _header_index(lines)
        cells = lines[i].rstrip(b"\r\n").split(b",")
        del cells[draw(st.integers(0, len(cells) - 1))]
        ending = lines[i][len(lines[i].rstrip(b"\r\n")):]
        lines[i] = b",".join(cells) + ending
        data = b"".join(lines)
    return kind, folder, data


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mangled")


def _check_error(err: IngestError, data: bytes, name: str) -> None:
    assert err.file and err.file.startswith(name), err
    assert err.reason, err
    if err.line is not None and not data.startswith(b"PK"):  # a zip's lines are its member's
        physical = data.count(b"\n") + 1
        assert 1 <= err.line <= physical, f"line {err.line} outside 1..{physical}: {err}"
    assert not sensitive_in(str(err)), str(err)


@SETTINGS
@given(case=mangled())
def test_mangled_file_parses_or_raises_ingest_error(workdir, case):
    kind, folder, data = case
    path = workdir / "mangled.csv"
    path.write_bytes(data)
    name = f"{folder}/mangled.csv"
    try:
        src = SourceFile.open(path, name, folder)  # the bytes may now start like a zip
        found = detect(src)  # a workbook is opened to be recognised: it may be unreadable
    except IngestError as err:
        _check_error(err, data, name)
        return
    base = kind.removesuffix("_v24").removesuffix("_zip").removesuffix("_xlsx")
    layouts = [BY_NAME[base]]  # the parser it was, even if unrecognised
    if found is not None and found not in layouts:
        layouts.append(found)
    for layout in layouts:
        try:
            parsed = layout.parse(SourceFile.open(path, name, folder), KEY)
        except IngestError as err:
            _check_error(err, data, name)
        else:
            assert parsed.frame.height == parsed.rows_read or layout.name == "error_report"
            assert "line_no" in parsed.frame.columns
            physical = data.count(b"\n") + 1
            if parsed.frame.height and not data.startswith(b"PK"):
                # Series.min/max are typed for any column; line_no holds ints.
                assert cast(int, parsed.frame["line_no"].min()) >= 1
                assert cast(int, parsed.frame["line_no"].max()) <= physical
            # a stated total names the line it is on (a summary row, a footer, a payout line)
            for control in parsed.controls:
                assert control.field and control.label
                if not data.startswith(b"PK"):
                    assert 1 <= control.line_no <= physical, control


@settings(SETTINGS, max_examples=50)
@given(case=mangled())
def test_mangled_file_loads_whole_or_not_at_all(case):
    _, folder, data = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "landing"
        (root / folder).mkdir(parents=True)
        (root / SIBLING[0]).mkdir(parents=True, exist_ok=True)
        (root / SIBLING[0] / SIBLING[1]).write_bytes(SIBLING[2])
        (root / folder / "mangled.csv").write_bytes(data)
        con = duckdb.connect(str(Path(tmp) / "w.duckdb"))
        try:
            report = ingest_landing(root, con, KEY, dq=DQ)
            outcomes = {o.file_name: o for o in report.outcomes}
            sibling = outcomes[f"{SIBLING[0]}/{SIBLING[1]}"]
            assert sibling.status == "LOADED" and sibling.rows_loaded == 5
            name = f"{folder}/mangled.csv"
            outcome = outcomes[name]
            (file_id, status, layout, rows_loaded, rows_read, error_line) = con.execute(
                "SELECT file_id, status, layout, rows_loaded, rows_read, error_line "
                "FROM raw.file_manifest WHERE file_name = ?", [name]
            ).fetchall()[0]
            assert status == outcome.status
            tables = [BY_NAME[layout].table] if layout else [
                lay.table for lay in BY_NAME.values()
            ]
            stored = sum(
                con.execute(f"SELECT count(*) FROM raw.{t} WHERE file_id = ?",
                            [file_id]).fetchall()[0][0]
                for t in tables
            )
            if status == "LOADED":
                assert stored == rows_loaded == outcome.rows_loaded
                assert rows_loaded == rows_read or layout == "error_report"
            elif status == "QUARANTINED":
                assert stored == 0 and rows_loaded == 0
                assert outcome.error and name in outcome.error
                assert not sensitive_in(outcome.error)
                # unreadable, or refused by named incoming checks
                assert outcome.error_check and outcome.error_severity in ("critical", "warning")
                if error_line is not None and not data.startswith(b"PK"):
                    assert 1 <= error_line <= data.count(b"\n") + 1
            else:
                assert status == "DUPLICATE" and stored == 0
        finally:
            con.close()
