"""The library file itself: where it lives, WAL, foreign keys, migrations, settings, integrity.

Also the fixtures the other test_library_* modules import: a library in a fresh FASTCLIP_HOME
(tmp_path), a clock the test moves, and small files that pass the signature check.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.cut.request import MODES
from engine.errors import Conflict, InvalidRequest, ProcessingFailed
from engine.library import SCHEMA_VERSION, SETTINGS, Library, iso, parse_iso, schema
from engine.paths import data_dir

ROOT = Path(__file__).resolve().parents[3]
ISO_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # what an MP4 starts with


class FakeClock:
    """``now`` for the library: 2026-04-19T10:00:00Z until a test moves it."""

    def __init__(self, start=datetime(2026, 4, 19, 10, 0, 0, tzinfo=UTC)):
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **delta) -> datetime:
        self.t += timedelta(**delta)
        return self.t


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("FASTCLIP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def lib(home, clock):
    with Library(now=clock) as library:
        yield library


def make_file(folder: Path, name: str, size: int = 200_000, head: bytes = ISO_HEAD, seed: int = 1) -> Path:
    """A file whose signature says MP4, with ``size`` bytes of content that differ by ``seed``."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_bytes(head + random.Random(seed).randbytes(max(0, size - len(head))))
    return p


# -- where and how it is stored -------------------------------------------------------------------


def test_the_file_is_library_db_in_the_data_dir_in_wal_mode(lib, home):
    assert lib.path == home / "library.db" == data_dir() / "library.db"
    assert lib.path.is_file()
    assert lib.clips_dir == home / "clips" and lib.clips_dir.is_dir()
    with sqlite3.connect(lib.path) as other:  # as any other process sees the file
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert lib.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert set(lib.db.table_names()) >= {"media", "clips", "jobs", "settings", "webhooks", "deliveries"}
    assert lib.check_integrity() == []
    assert lib.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_listing_indexes_exist(lib):
    assert {"created_at"} == set(next(i.columns for i in lib.db["clips"].indexes if i.name == "clips_created"))
    assert ["source_file_id", "created_at"] == next(
        i.columns for i in lib.db["clips"].indexes if i.name == "clips_source_created")
    plan = " ".join(r[3] for r in lib.db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM clips WHERE source_file_id = ? AND status = 'available' "
        "ORDER BY created_at DESC, rowid DESC LIMIT 20", ("x",)).fetchall())
    assert "clips_source_created" in plan and "TEMP B-TREE" not in plan


def test_a_library_path_can_be_given(tmp_path, clock):
    with Library(tmp_path / "elsewhere" / "my.db", now=clock) as library:
        assert library.path.is_file()
        assert library.clips_dir == tmp_path / "elsewhere" / "clips"


def test_reopening_keeps_the_data_and_does_not_migrate_again(home, clock):
    with Library(now=clock) as a:
        a.set_setting("workers", 3)
    with Library(now=clock) as b:
        assert b.get_setting("workers") == 3
        assert b.schema_version == SCHEMA_VERSION


def test_migrations_run_in_order_once_each_and_bump_user_version(tmp_path, clock, monkeypatch):
    ran = []

    def add_notes(conn):
        ran.append("notes")
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")

    def add_column(conn):
        ran.append("column")
        conn.execute("ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")

    path = tmp_path / "lib.db"
    Library(path, now=clock).close()
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + (add_notes, add_column))
    monkeypatch.setattr(schema.migrate, "__defaults__", (schema.MIGRATIONS,))
    with Library(path, now=clock) as library:
        assert library.schema_version == SCHEMA_VERSION + 2
        assert "pinned" in library.db["notes"].columns_dict
    with Library(path, now=clock):
        pass
    assert ran == ["notes", "column"]


def test_a_failing_migration_leaves_the_file_at_the_previous_version(tmp_path, clock, monkeypatch):
    def broken(conn):
        conn.execute("CREATE TABLE half (id INTEGER)")
        raise RuntimeError("boom")

    path = tmp_path / "lib.db"
    Library(path, now=clock).close()
    monkeypatch.setattr(schema.migrate, "__defaults__", (schema.MIGRATIONS + (broken,),))
    with pytest.raises(RuntimeError):
        Library(path, now=clock)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchone() is None


def test_a_library_from_a_newer_version_is_refused(tmp_path, clock):
    path = tmp_path / "lib.db"
    Library(path, now=clock).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(Conflict, match="newer FastClip"):
        Library(path, now=clock)


def test_the_library_never_loads_pyav_or_qt():
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import engine.library; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('av', 'PySide6', 'mpv')))")
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- settings --------------------------------------------------------------------------------------


def test_settings_have_declared_defaults(lib):
    values = lib.settings()
    assert values == {
        "clip_ttl_hours": 24.0,
        "workers": min(2, os.cpu_count() or 1),
        "whisper_model_path": "",
        "default_export_folder": "",
        "default_cut_mode": "precise",
        "max_upload_bytes": 5_000_000_000,
        "max_duration_seconds": 10800.0,
        "api_local_folders": os.path.expanduser("~"),
    }
    assert [s.key for s in lib.list_settings()] == list(SETTINGS)
    assert all(s.is_default for s in lib.list_settings())
    assert set(SETTINGS["default_cut_mode"].choices) == set(MODES)


def test_settings_are_typed_and_persist(lib, home, clock):
    assert lib.set_setting("clip_ttl_hours", 12).value == 12.0
    assert isinstance(lib.get_setting("clip_ttl_hours"), float)
    assert lib.set_setting("workers", "4").value == 4  # typed text from a front end
    assert lib.set_setting("default_cut_mode", "keyframe").value == "keyframe"
    assert lib.set_setting("whisper_model_path", "/models/small").value == "/models/small"
    with Library(now=clock) as again:
        assert again.get_setting("workers") == 4
        assert not next(s for s in again.list_settings() if s.key == "workers").is_default
    assert lib.reset_setting("workers").value == lib.get_setting("workers") == min(2, os.cpu_count() or 1)


@pytest.mark.parametrize("key, value", [
    ("clip_ttl_hours", "soon"),
    ("clip_ttl_hours", 0),
    ("clip_ttl_hours", float("nan")),
    ("clip_ttl_hours", True),
    ("workers", 2.5),
    ("workers", 0),
    ("workers", "two"),
    ("default_cut_mode", "fast"),
    ("default_export_folder", 3),
    ("max_upload_bytes", -1),
    ("max_duration_seconds", "forever"),
])
def test_a_bad_setting_value_names_the_key(lib, key, value):
    with pytest.raises(InvalidRequest) as e:
        lib.set_setting(key, value)
    assert e.value.field == key and key in e.value.message
    assert lib.get_setting(key) == SETTINGS[key].default_value()


def test_an_unknown_setting_is_invalid(lib):
    for call in (lambda: lib.get_setting("colour"), lambda: lib.set_setting("colour", "red"),
                 lambda: lib.reset_setting("colour")):
        with pytest.raises(InvalidRequest, match="colour") as e:
            call()
        assert e.value.field == "colour"


def test_a_stored_value_this_version_cannot_read_falls_back_to_the_default(lib):
    lib.db.execute("INSERT INTO settings (key, value, updated_at) VALUES ('workers', '\"lots\"', 'x')")
    assert lib.get_setting("workers") == SETTINGS["workers"].default_value()


# -- failures of the file itself are engine errors ---------------------------------------------------------


def test_a_file_that_is_not_a_library_is_a_clear_error(tmp_path, clock):
    bad = tmp_path / "library.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ProcessingFailed, match="cannot open the library"):
        Library(bad, now=clock)


def test_a_library_held_by_another_process_for_too_long_is_a_clear_error(tmp_path, clock, monkeypatch):
    from engine.library import database

    path = tmp_path / "library.db"
    Library(path, now=clock).close()
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Library(path, now=clock) as library:
            with pytest.raises(ProcessingFailed, match="busy"):
                library.set_setting("workers", 1)
            assert library.get_setting("workers") == SETTINGS["workers"].default_value()  # reads still work
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_writes_nest_as_savepoints(lib):
    with lib._db.write():
        lib.set_setting("workers", 3)
        with pytest.raises(InvalidRequest), lib._db.write() as conn:
            conn.execute("INSERT INTO settings (key, value, updated_at) VALUES ('x', '1', 'now')")
            raise InvalidRequest("undo the inner part only")
    assert lib.get_setting("workers") == 3
    assert lib.db.execute("SELECT count(*) FROM settings WHERE key = 'x'").fetchone()[0] == 0


def test_times_at_the_edges_are_iso_8601_utc():
    t = datetime(2026, 4, 19, 12, 30, 5, 999_999, tzinfo=timezone(timedelta(hours=2)))
    assert iso(t) == "2026-04-19T10:30:05Z"
    assert iso(datetime(2026, 4, 19, 10, 30, 5)) == "2026-04-19T10:30:05Z"  # naive means UTC
    assert parse_iso("2026-04-19T10:30:05Z") == datetime(2026, 4, 19, 10, 30, 5, tzinfo=UTC)
