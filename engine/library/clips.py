"""Clips: every output the app made, and the clips folder's expiry.

A clip whose file lives in the library's clips folder (``in_library``) expires
``clip_ttl_hours`` after it was made unless pinned; the sweep deletes its file and marks it
expired. A clip exported to a place the user chose is the user's: it never expires and the app
never deletes its file (deleting such a clip forgets it). ``in_library`` is decided from the
path, not taken from the caller, so a user's file can never be queued for deletion.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

from ..atomic import atomic_output
from ..errors import Conflict, Gone, InvalidRequest, NotFound, ProcessingFailed
from ..formats import canonical_format
from .database import Database, check_page, iso, iso_after
from .rows import BulkDeleted, Clip

MAX_TITLE = 200
MAX_BULK_DELETE = 50


def new_clip_id() -> str:
    return str(uuid.uuid4())


def check_title(title) -> str:
    if not isinstance(title, str) or not title.strip():
        raise InvalidRequest("a clip title must be some text", field="title")
    title = title.strip()
    if len(title) > MAX_TITLE:
        raise InvalidRequest(f"a clip title can be at most {MAX_TITLE} characters (this one has {len(title)})",
                             field="title")
    return title


class ClipRecords:
    """The clip methods of :class:`~engine.library.Library`."""

    _db: Database
    _now: Callable
    clips_dir: Path
    get_setting: Callable
    queue_event: Callable  # WebhookRecords

    def add_clip(self, *, path: str | os.PathLike, format: str, duration: float | Fraction,
                 source_file_id: str, job_id: str | None = None, quality: str = "",
                 aspect_ratio: str = "", captioned: bool = False, pinned: bool = False,
                 title: str | None = None) -> Clip:
        """Record a finished output file. ``source_file_id`` must name an import (every source,
        even a clip being captioned again, is imported first)."""
        with self._db.write() as conn:
            clip_id = self._insert_clip(conn, path=path, format=format, duration=duration,
                                        source_file_id=source_file_id, job_id=job_id, quality=quality,
                                        aspect_ratio=aspect_ratio, captioned=captioned, pinned=pinned,
                                        title=title)
        return self._clip(clip_id)

    def add_clip_from_result(self, result, *, source_file_id: str, job_id: str | None = None,
                             captioned: bool = False, title: str | None = None) -> Clip:
        """Record an ``engine.cut.export.ClipResult``."""
        return self.add_clip(**clip_fields(result), source_file_id=source_file_id, job_id=job_id,
                             captioned=captioned, title=title)

    def get_clip(self, clip_id: str) -> Clip:
        """The clip; NotFound if there is none or it has expired (as the API answers 404 for an
        expired clip; 410 is an expired upload's)."""
        return self._live(self._clip(clip_id))

    def clip_for_path(self, path: str | os.PathLike) -> Clip | None:
        """The available clip whose file is ``path``, if any (the job runner checks a planned
        output name with it)."""
        row = self._db.row("SELECT * FROM clips WHERE path = ? AND status = 'available' ORDER BY rowid DESC LIMIT 1",
                           (str(Path(path).expanduser().resolve()),))
        return Clip.from_row(row) if row else None

    def job_clips(self, job_id: str) -> list[Clip]:
        """The available clips a job made, oldest first (an auto-clip job makes several; a retried
        one finds those its earlier attempts made)."""
        rows = self._db.rows("SELECT * FROM clips WHERE job_id = ? AND status = 'available' ORDER BY created_at, rowid",
                             (job_id,))
        return [Clip.from_row(r) for r in rows]

    def list_clips(self, source: str | None = None, offset: int = 0, limit: int = 20, *,
                   include_expired: bool = False) -> list[Clip]:
        """Clips newest first, of one import (``source`` is its file_id) or of all."""
        check_page(offset, limit)
        where, params = self._clip_filter(source, include_expired)
        rows = self._db.rows(f"SELECT * FROM clips {where} ORDER BY created_at DESC, rowid DESC "
                             "LIMIT ? OFFSET ?", (*params, limit, offset))
        return [Clip.from_row(r) for r in rows]

    def count_clips(self, source: str | None = None, *, include_expired: bool = False) -> int:
        where, params = self._clip_filter(source, include_expired)
        return self._db.scalar(f"SELECT count(*) FROM clips {where}", params)

    def rename_clip(self, clip_id: str, title: str) -> Clip:
        title = check_title(title)
        with self._db.write() as conn:
            self.get_clip(clip_id)
            conn.execute("UPDATE clips SET title = ? WHERE clip_id = ?", (title, clip_id))
        return self._clip(clip_id)

    def pin_clip(self, clip_id: str) -> Clip:
        """Keep the clip until it is unpinned or deleted."""
        with self._db.write() as conn:
            self.get_clip(clip_id)
            conn.execute("UPDATE clips SET pinned = 1, expires_at = NULL WHERE clip_id = ?", (clip_id,))
        return self._clip(clip_id)

    def unpin_clip(self, clip_id: str) -> Clip:
        """Let a library clip expire again, ``clip_ttl_hours`` from now (not from when it was
        made: unpinning an old clip must not make it vanish at the next sweep)."""
        with self._db.write() as conn:
            clip = self.get_clip(clip_id)
            expires = iso_after(self._now(), self.get_setting("clip_ttl_hours")) if clip.in_library else None
            conn.execute("UPDATE clips SET pinned = 0, expires_at = ? WHERE clip_id = ?", (expires, clip_id))
        return self._clip(clip_id)

    def delete_clip(self, clip_id: str) -> Clip:
        """Forget the clip and delete its file if it is in the library folder (never a user's file)."""
        with self._db.write() as conn:
            clip = self._clip(clip_id)
            self._delete_clip_row(conn, clip)
        self.remove_deleted_files()
        return clip

    def export_clip_copy(self, clip_id: str, out: str | os.PathLike) -> Path:
        """Copy the clip's file to ``out`` (a file, or a folder to put it in under its own name),
        written atomically. The copy is the user's: not recorded, never expired. Raises NotFound,
        Gone (expired, or its file moved or deleted), InvalidRequest (it would overwrite the clip
        itself) or ProcessingFailed (it cannot be written)."""
        import shutil  # (here: 17 ms that every other command of the CLI would pay)

        clip = self.get_clip(clip_id)
        src = Path(clip.path)
        if not src.is_file():
            raise Gone(f"the file of clip {clip.title} was moved or deleted ({clip.path})", field="clip_id")
        dest = Path(out).expanduser()
        if dest.is_dir() or str(out).endswith(("/", os.sep)):
            dest = dest / clip.file_name
        if dest.exists() and dest.resolve() == src.resolve():
            raise InvalidRequest("the copy would overwrite the clip itself", field="out")
        try:
            with atomic_output(dest) as tmp:
                shutil.copyfile(src, tmp)
        except OSError as e:
            raise ProcessingFailed(f"could not write {dest}: {e.strerror or e}") from None
        return dest

    def bulk_delete_clips(self, clip_ids: Iterable[str]) -> BulkDeleted:
        """Delete up to 50 clips at once; ids that are not in the library are reported, not errors."""
        if isinstance(clip_ids, str):
            raise InvalidRequest("give a list of clip ids", field="ids")
        ids = list(dict.fromkeys(clip_ids))
        if not ids:
            raise InvalidRequest("give at least one clip id to delete", field="ids")
        if len(ids) > MAX_BULK_DELETE:
            raise InvalidRequest(f"at most {MAX_BULK_DELETE} clips can be deleted at once ({len(ids)} given)",
                                 field="ids")
        deleted, missing = [], []
        with self._db.write() as conn:
            for clip_id in ids:
                row = self._db.row("SELECT * FROM clips WHERE clip_id = ?", (clip_id,))
                if row is None:
                    missing.append(clip_id)
                    continue
                self._delete_clip_row(conn, Clip.from_row(row))
                deleted.append(clip_id)
        self.remove_deleted_files()
        return BulkDeleted(tuple(deleted), tuple(missing))

    def sweep_expired(self, now=None) -> list[Clip]:
        """Expire every unpinned library clip past its time: delete its file, mark it expired.

        Each one's ``clip.expired`` webhook event is queued in the same transaction. Returns the
        clips expired by this sweep (once each, even with two processes sweeping).
        """
        at = iso(now if now is not None else self._now())
        with self._db.write() as conn:
            rows = self._db.rows(
                "SELECT * FROM clips WHERE expires_at IS NOT NULL AND expires_at <= ? "
                "AND status = 'available' AND pinned = 0 AND in_library = 1", (at,))
            for r in rows:
                conn.execute("UPDATE clips SET status = 'expired' WHERE clip_id = ?", (r["clip_id"],))
                self._queue_file_deletion(conn, r["path"], at)
                self.queue_event("clip.expired", self._clip(r["clip_id"]).to_dict())
        self.remove_deleted_files()
        return [self._clip(r["clip_id"]) for r in rows]

    def remove_deleted_files(self) -> int:
        """Delete the queued files of retired library clips; return how many are still queued
        (a file a player holds open on Windows waits for the next sweep)."""
        with self._db.write() as conn:
            for (path,) in conn.execute("SELECT path FROM file_deletions").fetchall():
                in_use = conn.execute("SELECT 1 FROM clips WHERE path = ? AND status = 'available'",
                                      (path,)).fetchone()
                if not in_use and self._in_clips_dir(Path(path)):
                    try:
                        Path(path).unlink()
                    except FileNotFoundError:
                        pass
                    except OSError:
                        continue
                conn.execute("DELETE FROM file_deletions WHERE path = ?", (path,))
            return conn.execute("SELECT count(*) FROM file_deletions").fetchone()[0]

    # -- inside a transaction -------------------------------------------------------

    def _insert_clip(self, conn: sqlite3.Connection, *, path, format, duration, source_file_id,
                     job_id, quality, aspect_ratio, captioned, pinned, title) -> str:
        p = Path(path).expanduser().resolve()
        if not p.is_file():
            raise NotFound(f"the clip file {p} does not exist", field="path")
        fmt = canonical_format(format) if isinstance(format, str) else None
        if fmt is None:
            raise InvalidRequest(f"unknown clip format {format!r}", field="format")
        if isinstance(duration, bool) or not isinstance(duration, (int, float, Fraction)) \
                or not math.isfinite(duration) or duration < 0:
            raise InvalidRequest(f"a clip duration must be 0 seconds or more, not {duration!r}",
                                 field="duration")
        if not conn.execute("SELECT 1 FROM media WHERE file_id = ?", (source_file_id,)).fetchone():
            raise NotFound(f"no import {source_file_id} in the library: import the source first",
                           field="source_file_id")
        title = check_title(p.stem if title is None else title)
        in_library = self._in_clips_dir(p)
        now = self._now()
        expires = iso_after(now, self.get_setting("clip_ttl_hours")) if in_library and not pinned else None
        clip_id = new_clip_id()
        try:
            conn.execute(
                "INSERT INTO clips (clip_id, job_id, source_file_id, file_name, path, file_size, format, "
                "quality, duration, aspect_ratio, captioned, pinned, in_library, title, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (clip_id, job_id, source_file_id, p.name, str(p), p.stat().st_size, fmt, str(quality or ""),
                 float(duration), str(aspect_ratio or ""), int(bool(captioned)), int(bool(pinned)),
                 int(in_library), title, iso(now), expires))
        except sqlite3.IntegrityError:
            raise Conflict(f"{p.name} is already a clip in the library", field="path") from None
        return clip_id

    def _delete_clip_row(self, conn: sqlite3.Connection, clip: Clip) -> None:
        conn.execute("DELETE FROM clips WHERE clip_id = ?", (clip.clip_id,))
        if clip.in_library and clip.status == "available":
            self._queue_file_deletion(conn, clip.path, iso(self._now()))

    def _queue_file_deletion(self, conn: sqlite3.Connection, path: str, at: str) -> None:
        if self._in_clips_dir(Path(path)):
            conn.execute("INSERT OR IGNORE INTO file_deletions (path, queued_at) VALUES (?, ?)", (path, at))

    # -- helpers ----------------------------------------------------------------------

    def _in_clips_dir(self, p: Path) -> bool:
        with contextlib.suppress(OSError, ValueError):
            return p.resolve().is_relative_to(self.clips_dir.resolve())
        return False

    def _clip(self, clip_id: str) -> Clip:
        row = self._db.row("SELECT * FROM clips WHERE clip_id = ?", (clip_id,))
        if row is None:
            raise NotFound(f"no clip {clip_id} in the library", field="clip_id")
        return Clip.from_row(row)

    def _live(self, clip: Clip) -> Clip:
        if clip.status == "expired" or (clip.expires_at is not None and clip.expires_at <= iso(self._now())):
            raise NotFound(f"the clip {clip.title} expired at {clip.expires_at} (unpinned clips in the library "
                           f"are kept {self.get_setting('clip_ttl_hours'):g} hours)", field="clip_id")
        return clip

    def _clip_filter(self, source: str | None, include_expired: bool) -> tuple[str, list]:
        terms, params = [], []
        if source is not None:
            self.get_media(source)  # NotFound for an unknown import
            terms.append("source_file_id = ?")
            params.append(source)
        if not include_expired:
            terms.append("status = 'available' AND (expires_at IS NULL OR expires_at > ?)")
            params.append(iso(self._now()))
        return ("WHERE " + " AND ".join(terms) if terms else ""), params


def clip_fields(result) -> dict:
    """The add_clip arguments an ``engine.cut.export.ClipResult`` gives (read by attribute, so
    this module does not import PyAV)."""
    return {"path": result.path, "format": result.format, "quality": result.quality,
            "duration": result.duration, "aspect_ratio": result.aspect_ratio}
