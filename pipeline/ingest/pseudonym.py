"""Pseudonyms for pupils: a keyed hash (HMAC-SHA256) with a secret per huvudman.

``elev_id = HMAC-SHA256(key, personnummer12)[:16 hex]``. Without the key, nobody can recompute an
``elev_id`` from the personnummer space (a personnummer has only about 40 bits of entropy, so an
unkeyed or fixed-salt hash is reversed by trying them all); with the key, the same personnummer
gives the same id every year, so pupil-linked trends hold across läsår.

The key is 32 random bytes, created on the first run that reads personnummer, stored as hex in

    $XDG_CONFIG_HOME/kvalitetsrapport/<kommunkod>.key     (default ~/.config/kvalitetsrapport/)

with mode 0600, outside the repository and outside ``reports/`` (a path inside the repository is
refused). ``KVALITET_NYCKEL_FIL=/path/to/file`` names another file (tests, CI, a shared secure
folder). The key is never logged or written anywhere else; the ingest cache stores only a
fingerprint (an HMAC of a fixed text), from which the key cannot be recovered.

Back it up with the huvudman's other secrets. If it is lost, a new key is created and every
``elev_id`` changes: nothing published changes (ids are never published), but pupil-linked
indicators across years (e.g. value added, trends per pupil) only line up again once every year
is re-ingested from its raw exports with the new key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import sys
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.paths import REPO_ROOT

#: Environment variable that names the key file (overrides the per-huvudman default).
KEY_ENV = "KVALITET_NYCKEL_FIL"
_KEY_BYTES = 32


def key_path(kommunkod: str | None) -> Path:
    """The key file for the huvudman with ``kommunkod`` (``KVALITET_NYCKEL_FIL`` when set)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "kvalitetsrapport"
    return base / f"{kommunkod or 'huvudman'}.key"


def _inside_repository(path: Path) -> bool:
    try:
        path.resolve().relative_to(REPO_ROOT.resolve())
    except ValueError:
        return False
    return True


def _read_key(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path}: the pseudonym key is readable by other users (mode {stat.S_IMODE(mode):o}, "
            f"expected 600); restrict it with `chmod 600 {path}` and run again."
        )
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != _KEY_BYTES:
        raise ConfigError(
            f"{path}: not a pseudonym key (expected {_KEY_BYTES * 2} hex digits on one line, found "
            f"{len(text)} characters). Restore the file from your backup; or, if it is lost, remove it "
            "so a new key is created (every elev_id then changes: re-ingest every year from raw)."
        )
    return key


def _create_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read_key(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    print(
        f"Created a new pseudonym key in {path} (mode 600). Back it up: without it, next year's "
        "pupil ids cannot be linked to this year's (see README, 'Pseudonyms').",
        file=sys.stderr,
    )
    return key


_CACHE: dict[Path, bytes] = {}


def load_or_create_key(kommunkod: str | None) -> bytes:
    """The huvudman's pseudonym key, created (mode 0600) on first use.

    Raises
    ------
    ConfigError
        The key file is inside the repository, readable by others, or not a key.
    """
    path = key_path(kommunkod)
    if _inside_repository(path):
        raise ConfigError(
            f"{KEY_ENV}={path}: the pseudonym key must be kept outside the repository (and outside "
            "reports/), or anyone with the code and the outputs could re-identify pupils; point it at "
            "a file in your home folder, e.g. ~/.config/kvalitetsrapport/<kommunkod>.key."
        )
    path = path.resolve()
    if path not in _CACHE:
        _CACHE[path] = _read_key(path) if path.exists() else _create_key(path)
    return _CACHE[path]


def pseudonymise(personnummer12: str, key: bytes) -> str:
    """``HMAC-SHA256(key, personnummer12)`` as 16 hex digits (a normalised, 12-digit personnummer)."""
    return hmac.new(key, personnummer12.encode("ascii"), hashlib.sha256).hexdigest()[:16]


def respondent_pseudonym(respondent_id: str, key: bytes) -> str:
    """A survey respondent's id, keyed the same way (in its own domain, ``enkat:``)."""
    return hmac.new(key, ("enkat:" + respondent_id).encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def fingerprint(key: bytes) -> str:
    """A fingerprint of the key for cache keys: changes with the key, does not reveal it."""
    return hmac.new(key, b"kvalitetsrapport-nyckel-fingeravtryck", hashlib.sha256).hexdigest()[:16]
