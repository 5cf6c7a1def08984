"""User settings: every one declared here, once, with its type, default and rule.

Values are stored as JSON in the ``settings`` table; a key never set reads as its default, so
changing a default in a new version reaches everyone who never chose otherwise. A front end
may pass a value as typed text (``"12"``): it is parsed by the declared type.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InvalidRequest
from ..formats import CUT_MODES
from .database import Database, iso
from .rows import SettingValue

GB = 1000**3  # the API's "5 GB" (its part sizes, by contrast, say MiB)


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    type: type  # float, int or str
    default: object  # or a callable, for defaults that depend on the machine
    description: str
    low: float | None = None  # inclusive bounds for numbers
    high: float | None = None
    choices: tuple[str, ...] = ()

    def default_value(self):
        return self.default() if callable(self.default) else self.default

    def coerce(self, value):
        """``value`` as this setting's type, or InvalidRequest naming the key."""
        v = self._parse(value)
        too_low = self.low is not None and v < self.low
        too_high = self.high is not None and v > self.high
        if self.type in (int, float) and (too_low or too_high):
            raise InvalidRequest(f"setting {self.key} must be from {_num(self.low)} to "
                                 f"{_num(self.high)}, not {_num(v)}", field=self.key)
        if self.choices and v not in self.choices:
            raise InvalidRequest(f"setting {self.key} must be one of {', '.join(self.choices)}, "
                                 f"not {v!r}", field=self.key)
        return v

    def _parse(self, value):
        wrong = InvalidRequest(f"setting {self.key} must be {_TYPE_WORDS[self.type]}, not {value!r}",
                               field=self.key)
        if isinstance(value, bool):
            raise wrong
        if self.type is str:
            if not isinstance(value, str) or len(value) > 4096 or "\x00" in value:
                raise wrong
            return value
        if isinstance(value, str):
            try:
                value = int(value.strip()) if self.type is int else float(value.strip())
            except ValueError:
                raise wrong from None
        if self.type is int:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if not isinstance(value, int):
                raise wrong
            return value
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise wrong
        return float(value)


_TYPE_WORDS = {float: "a number", int: "a whole number", str: "text"}


def _num(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _default_workers() -> int:
    return min(2, os.cpu_count() or 1)


def _home() -> str:
    return os.path.expanduser("~")


SETTINGS: dict[str, Setting] = {s.key: s for s in (
    Setting("clip_ttl_hours", float, 24.0,
            "hours a clip in the library folder is kept before it expires, unless pinned",
            low=0.01, high=24 * 365 * 10),
    Setting("workers", int, _default_workers, "how many jobs run at the same time", low=1, high=64),
    Setting("whisper_model_path", str, "", "a faster-whisper model folder for transcripts and captions"),
    Setting("default_export_folder", str, "", "where Export saves clips when no folder is given"),
    Setting("default_cut_mode", str, "precise", "how clips are cut when a request does not say",
            choices=CUT_MODES),
    Setting("max_upload_bytes", int, 5 * GB, "the largest file that can be imported, in bytes",
            low=1, high=2**62),
    Setting("max_duration_seconds", float, 3 * 3600.0, "the longest source that can be imported, in seconds",
            low=1.0, high=10 * 365 * 86400.0),
    Setting("api_local_folders", str, _home,
            f"folders (separated by {os.pathsep!r}) whose files the local API's POST /v1/upload/local may import "
            "in place"),
)}


def setting(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise InvalidRequest(f"there is no setting {key!r} (settings: {', '.join(SETTINGS)})",
                             field=key) from None


class SettingRecords:
    """The settings methods of :class:`~engine.library.Library`."""

    _db: Database
    _now: Callable

    def get_setting(self, key: str):
        s = setting(key)
        raw = self._db.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return _stored(s, raw)

    def set_setting(self, key: str, value) -> SettingValue:
        s = setting(key)
        v = s.coerce(value)
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, json.dumps(v), iso(self._now())))
        return _value(s, v)

    def reset_setting(self, key: str) -> SettingValue:
        s = setting(key)
        with self._db.write() as conn:
            conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        return _value(s, s.default_value())

    def list_settings(self) -> list[SettingValue]:
        stored = {r["key"]: r["value"] for r in self._db.rows("SELECT key, value FROM settings")}
        return [_value(s, _stored(s, stored.get(k))) for k, s in SETTINGS.items()]

    def settings(self) -> dict:
        """Every setting's current value, read at once."""
        return {v.key: v.value for v in self.list_settings()}


def _stored(s: Setting, raw: str | None):
    if raw is None:
        return s.default_value()
    try:
        return s.coerce(json.loads(raw))
    except (ValueError, InvalidRequest):  # written by another version, or by hand: use the default
        return s.default_value()


def _value(s: Setting, v) -> SettingValue:
    return SettingValue(s.key, v, s.default_value(), s.type.__name__, s.description)
