"""``Library``: the local library (imports, clips, jobs, settings, webhooks, edit states, API keys and
uploads) in one SQLite file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Self

from ..paths import data_dir
from .captions import CaptionRecords
from .clips import ClipRecords
from .database import Clock, Database, utc_now
from .edits import EditRecords
from .jobs import JobRecords
from .keys import KeyRecords
from .media import MediaRecords
from .schema import SCHEMA_VERSION, migrate, schema_version
from .settings import SettingRecords
from .uploads import UploadRecords
from .webhooks import WebhookRecords

DB_NAME = "library.db"
CLIPS_DIR = "clips"


class Library(MediaRecords, ClipRecords, JobRecords, SettingRecords, WebhookRecords, CaptionRecords,
              EditRecords, KeyRecords, UploadRecords):
    """The library in ``path`` (default: ``library.db`` in the data dir), migrated on open.

    ``clips_dir`` (default: ``clips/`` beside the file) is the folder whose clips expire.
    ``now`` returns the current time (an aware UTC datetime); tests pass a fake clock. One
    object may be shared by the threads of a process; each process opens its own.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, clips_dir: str | os.PathLike | None = None,
                 now: Clock | None = None):
        self.path = Path(path) if path is not None else data_dir() / DB_NAME
        self.clips_dir = Path(clips_dir) if clips_dir is not None else self.path.parent / CLIPS_DIR
        self.clips_dir.mkdir(parents=True, exist_ok=True)
        self._now = now or utc_now
        self._db = Database(self.path)
        try:
            migrate(self._db)
        except BaseException:
            self._db.close()
            raise

    @property
    def db(self):
        """The sqlite-utils Database (for inspection and tests; write through the methods)."""
        return self._db.db

    @property
    def schema_version(self) -> int:
        return schema_version(self._db)

    def transaction(self):
        """A context manager: the library calls made inside it (from this thread) commit together,
        or not at all (e.g. ending a job and queueing its webhook event)."""
        return self._db.write()

    def check_integrity(self) -> list[str]:
        """Problems SQLite finds in the file and its foreign keys; [] when it is sound."""
        problems = [r[0] for r in self._db.conn.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
        problems += [f"{r[0]} row {r[1]} points to a missing {r[2]}"
                     for r in self._db.conn.execute("PRAGMA foreign_key_check").fetchall()]
        return problems

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["CLIPS_DIR", "DB_NAME", "SCHEMA_VERSION", "Library"]
