"""Card tokens, masks and the personal-data scanners."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import polars as pl
import pytest

from posaudit.ingest.cardsafe import (
    KEY_ENV,
    KEY_FILE_ENV,
    CardKey,
    load_card_key,
    protect_card_column,
    scrub,
)
from posaudit.privacy import find_card_numbers, find_id_numbers, id_number_valid

PAN = "6228480402564890018"  # synthetic, Luhn-valid


@pytest.mark.parametrize("key", [b"k" * 16, b"x" * 32, b"long" * 40])
def test_token_is_hmac_sha256(key: bytes) -> None:
    expected = hmac.new(key, PAN.encode(), hashlib.sha256).hexdigest()
    assert CardKey(key).token(PAN) == expected


def test_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        CardKey(b"short")


def test_key_repr_hides_the_key() -> None:
    assert "k" * 16 not in repr(CardKey(b"k" * 16))


def test_protect_card_column_tokens_masks_and_bad_values() -> None:
    values = pl.Series([PAN, "622848******1234", None, "not-a-card", "4111 1111 1111 1111",
                        "6228480402**0018", "62284804025648****"])
    token, mask, bad = protect_card_column(values, CardKey(b"k" * 32))
    assert token[0] == CardKey(b"k" * 32).token(PAN) and token[1] is None
    assert mask.to_list()[:3] == ["622848*********0018", "622848******1234", None]
    assert mask[4] == "411111******1111"
    assert mask[6] == "622848" + "*" * 12  # over-shown digits cut back to six, length kept
    assert bad.to_list() == [False, False, False, True, False, False, False]


def test_scrub_masks_every_long_digit_run() -> None:
    text = scrub(f"line 3: card {PAN} failed")
    assert PAN not in text and "622848" in text


def test_demo_key_is_created_beside_the_warehouse(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    warehouse = tmp_path / "wh"
    first = load_card_key(warehouse)
    key_file = tmp_path / "wh.card-key"
    assert key_file.exists() and not warehouse.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert load_card_key(warehouse).token(PAN) == first.token(PAN)


def test_key_from_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "an-operator-managed-secret")
    assert load_card_key(tmp_path / "wh").token(PAN) == CardKey(
        b"an-operator-managed-secret").token(PAN)
    assert not (tmp_path / "wh.card-key").exists()
    monkeypatch.delenv(KEY_ENV)
    key_file = tmp_path / "vault.key"
    key_file.write_text("a-key-from-a-file-0123\n")
    monkeypatch.setenv(KEY_FILE_ENV, os.fspath(key_file))
    assert load_card_key(None).token(PAN) == CardKey(b"a-key-from-a-file-0123").token(PAN)


def test_scanners_find_cards_and_id_numbers_only() -> None:
    assert id_number_valid("11010519491231002X")
    assert not id_number_valid("110105194912310021")
    text = f"pan {PAN}, mask 622848******1234, id 11010519491231002X, rrn 000000000001, " \
           "merchant 822100053990001"
    assert find_card_numbers(text) == [PAN]
    assert find_id_numbers(text) == ["11010519491231002X"]
