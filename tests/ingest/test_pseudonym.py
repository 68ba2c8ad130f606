"""Pseudonyms that hold: elev_id = HMAC-SHA256(key, personnummer) with a secret key per huvudman.

The attack the key defends against: the personnummer space is small (a birth date and 1 000
födelsenummer, a tenth of them with a valid check digit), so a fixed-salt hash is reversed by
hashing every candidate. Without the key, the same enumeration finds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pytest

from pipeline.errors import ConfigError, PrivacyLeakError
from pipeline.ingest import pseudonym
from pipeline.ingest.pseudonym import KEY_ENV, key_path, load_or_create_key
from pipeline.ingest.sis import read_sis
from pipeline.ingest.sources import ReadContext
from pipeline.paths import REPO_ROOT
from pipeline.publishing.leak import Leak, assert_no_leaks
from tests.bad_inputs.project import luhn_digit, pnr

ELEVER = (
    "Läsår;Personnummer;Förnamn;Efternamn;Skolenhetskod;Skolform;Årskurs;Kön;Nyanländ;Föräldrars utbildning\n"
    "2023/24;{p};Testa;Exempelsson;11140003;GR;9;Flicka;Nej;Gymnasial\n"
)
PNR = pnr("20080115", "981")  # fictitious (födelsenummer 9xx)


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    """A fresh key file location for one test (the module caches keys per path)."""
    path = tmp_path / "nycklar" / "0114.key"
    monkeypatch.setenv(KEY_ENV, str(path))
    monkeypatch.setattr(pseudonym, "_CACHE", {})
    return path


def _elev_id(tmp_path: Path, ctx: ReadContext, name: str = "e.csv") -> str:
    f = tmp_path / name
    f.write_text(ELEVER.format(p=PNR), encoding="utf-8")
    return str(read_sis(f, ctx, "elever")["elever"]["elev_id"].iloc[0])


def test_key_is_created_once_with_mode_600(key_file, tmp_path, capsys):
    assert not key_file.exists()
    first = _elev_id(tmp_path, ReadContext(kommunkod="0114"))
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = bytes.fromhex(key_file.read_text().strip())
    assert len(key) == 32
    # the id is HMAC-SHA256(key, 12-digit personnummer), first 16 hex digits
    pnr12 = PNR.replace("-", "")
    assert first == hmac.new(key, pnr12.encode(), hashlib.sha256).hexdigest()[:16]
    err = capsys.readouterr().err
    assert str(key_file) in err and key.hex() not in err  # the path is said, the key never
    # the same key gives the same id on the next run (read back, not recreated)
    pseudonym._CACHE.clear()
    assert _elev_id(tmp_path, ReadContext(kommunkod="0114"), "e2.csv") == first
    assert bytes.fromhex(key_file.read_text().strip()) == key


def test_different_keys_give_different_ids(tmp_path):
    a = _elev_id(tmp_path, ReadContext(nyckel=b"\x00" * 32))
    b = _elev_id(tmp_path, ReadContext(nyckel=b"\x01" * 32))
    assert a != b
    assert _elev_id(tmp_path, ReadContext(nyckel=b"\x00" * 32), "again.csv") == a


def test_default_location_is_per_huvudman_outside_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert key_path("0114") == tmp_path / "cfg" / "kvalitetsrapport" / "0114.key"
    assert key_path("0180") != key_path("0114")


def test_key_inside_the_repository_is_refused(monkeypatch):
    monkeypatch.setenv(KEY_ENV, str(REPO_ROOT / "reports" / "nyckel.key"))
    monkeypatch.setattr(pseudonym, "_CACHE", {})
    with pytest.raises(ConfigError, match="outside the repository") as exc:
        load_or_create_key("0114")
    assert exc.value.exit_code == 2
    assert not (REPO_ROOT / "reports" / "nyckel.key").exists()


def test_key_readable_by_others_is_refused(key_file):
    key_file.parent.mkdir(parents=True)
    key_file.write_text("ab" * 32 + "\n")
    os.chmod(key_file, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_key("0114")


def test_damaged_key_is_refused_without_showing_it(key_file):
    key_file.parent.mkdir(parents=True)
    key_file.write_text("not-a-key-secret-text\n")
    os.chmod(key_file, 0o600)
    with pytest.raises(ConfigError, match="not a pseudonym key") as exc:
        load_or_create_key("0114")
    assert "secret-text" not in str(exc.value)


def _candidates(date8: str) -> list[str]:
    """Every valid 12-digit personnummer born on ``date8``: 1 000 födelsenummer, check digit by Luhn."""
    return [f"{date8}{n:03d}{luhn_digit(date8[2:] + f'{n:03d}')}" for n in range(1000)]


def test_ids_cannot_be_recomputed_from_the_personnummer_space_without_the_key(key_file, tmp_path):
    target = _elev_id(tmp_path, ReadContext(kommunkod="0114"))
    space = _candidates("20080115")
    assert PNR.replace("-", "") in space
    guesses = {
        "old fixed salt": lambda p: hashlib.sha256(("kvalitet" + p).encode()).hexdigest()[:16],
        "plain sha256": lambda p: hashlib.sha256(p.encode()).hexdigest()[:16],
        "hmac, empty key": lambda p: hmac.new(b"", p.encode(), hashlib.sha256).hexdigest()[:16],
        "hmac, kommunkod as key": lambda p: hmac.new(b"0114", p.encode(), hashlib.sha256).hexdigest()[:16],
    }
    for what, fn in guesses.items():
        assert not [p for p in space if fn(p) == target], f"re-identified with {what}"
    # with the key the same enumeration finds the pupil: the test would notice an unkeyed id
    key = bytes.fromhex(key_file.read_text().strip())
    hits = [p for p in space if hmac.new(key, p.encode(), hashlib.sha256).hexdigest()[:16] == target]
    assert hits == [PNR.replace("-", "")]


def test_leak_refusal_masks_a_personnummer_found_as_an_id(tmp_path):
    leaks = [
        Leak(tmp_path / "a.html", "line 3", "elev_id", "20080115-9815"),
        Leak(tmp_path / "b.csv", "line 9", "elev_id", "0801159815"),
        Leak(tmp_path / "c.html", "line 1", "personnummer", "200801159815"),
    ]
    with pytest.raises(PrivacyLeakError) as exc:
        assert_no_leaks(leaks)
    msg = str(exc.value)
    assert "9815" not in msg
    assert "'20080115-****'" in msg and "'080115****'" in msg and "'20080115****'" in msg
