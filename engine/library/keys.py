"""API keys of the local API, and the secret its signed URLs are made with.

A key (``sk_local_`` and 48 hex digits) is shown once, when it is made; the library keeps only its
SHA-256 (a key is 192 random bits, so a plain hash cannot be searched back), the first characters
to tell keys apart, a name and when it was made and last used. At most 10 keys, names of at most
100 characters (the FastClip API's limits).

The signing secret (32 random bytes, made on first use and kept in the library) signs the
upload and download URLs the local API hands out, so a ``PUT`` to an upload URL or a ``<video>``
tag on a download URL needs no key, as a presigned URL needs none.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InvalidRequest, NotFound
from .database import Database, iso, parse_iso

KEY_PREFIX = "sk_local_"
MAX_KEYS = 10
MAX_KEY_NAME = 100
SHOWN_CHARS = len(KEY_PREFIX) + 6  # what a key list shows of each key
TOUCH_EVERY_S = 60  # last_used_at is written at most this often per key


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    name: str
    prefix: str  # the key's first characters, to tell keys apart
    created_at: str
    last_used_at: str | None

    @classmethod
    def from_row(cls, r: dict) -> ApiKey:
        return cls(r["key_id"], r["name"], r["prefix"], r["created_at"], r["last_used_at"])

    def to_dict(self) -> dict:
        return {"key_id": self.key_id, "name": self.name, "prefix": self.prefix, "created_at": self.created_at,
                "last_used_at": self.last_used_at}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def check_key_name(name) -> str:
    if not isinstance(name, str):
        raise InvalidRequest("a key's name must be text", field="name")
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > MAX_KEY_NAME:
        raise InvalidRequest(f"a key's name must be 1 to {MAX_KEY_NAME} characters", field="name")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for c in name):
        raise InvalidRequest("a key's name must be one line of printable text", field="name")
    return name


class KeyRecords:
    """The API key methods of :class:`~engine.library.Library`."""

    _db: Database
    _now: Callable

    def create_api_key(self, name: str) -> tuple[ApiKey, str]:
        """Make a key called ``name``; returns its record and the key itself (shown only now)."""
        name = check_key_name(name)
        key = KEY_PREFIX + secrets.token_hex(24)
        key_id = f"key_{secrets.token_hex(6)}"
        with self._db.write() as conn:
            if conn.execute("SELECT count(*) FROM api_keys").fetchone()[0] >= MAX_KEYS:
                raise InvalidRequest(f"at most {MAX_KEYS} API keys can exist; delete one first", field="name")
            conn.execute("INSERT INTO api_keys (key_id, name, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)",
                         (key_id, name, key_hash(key), key[:SHOWN_CHARS], iso(self._now())))
        return self.get_api_key(key_id), key

    def get_api_key(self, key_id: str) -> ApiKey:
        row = self._db.row("SELECT * FROM api_keys WHERE key_id = ?", (key_id,))
        if row is None:
            raise NotFound(f"no API key {key_id}", field="key_id")
        return ApiKey.from_row(row)

    def list_api_keys(self) -> list[ApiKey]:
        """Every key, oldest first (never the keys themselves: they are not kept)."""
        return [ApiKey.from_row(r) for r in self._db.rows("SELECT * FROM api_keys ORDER BY created_at, rowid")]

    def delete_api_key(self, key_id: str) -> ApiKey:
        with self._db.write() as conn:
            key = self.get_api_key(key_id)
            conn.execute("DELETE FROM api_keys WHERE key_id = ?", (key_id,))
        return key

    def check_api_key(self, key) -> ApiKey | None:
        """The key's record if ``key`` is a key of this library, else None; notes when it was used
        (at most once a minute, so that checking stays a read)."""
        if not isinstance(key, str) or not key.startswith(KEY_PREFIX) or len(key) > 200:
            return None
        row = self._db.row("SELECT * FROM api_keys WHERE key_hash = ?", (key_hash(key),))
        if row is None:
            return None
        found = ApiKey.from_row(row)
        now = self._now()
        last = found.last_used_at
        if last is None or (now - parse_iso(last)).total_seconds() >= TOUCH_EVERY_S:
            try:
                with self._db.write() as conn:
                    conn.execute("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", (iso(now), found.key_id))
            except Exception:  # noqa: BLE001 - a busy library must not refuse a good key
                pass
        return found

    def api_signing_secret(self) -> bytes:
        """The secret the local API signs its upload and download URLs with (made on first use)."""
        row = self._db.row("SELECT secret FROM api_secrets WHERE name = 'url_signing'")
        if row is None:
            with self._db.write() as conn:
                try:
                    conn.execute("INSERT INTO api_secrets (name, secret, created_at) VALUES ('url_signing', ?, ?)",
                                 (secrets.token_hex(32), iso(self._now())))
                except sqlite3.IntegrityError:  # made meanwhile by another process
                    pass
            row = self._db.row("SELECT secret FROM api_secrets WHERE name = 'url_signing'")
        return bytes.fromhex(row["secret"])

