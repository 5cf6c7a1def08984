"""Imports (the API's uploads): a media file referenced in place, probed once, watched for change.

The library never copies, moves or writes a source. What it keeps is a fingerprint taken at
import (size, mtime in ns, SHA-256 of the first and last 64 KiB): cheap on a 5 GB file, and
enough to say "moved or deleted" or "changed since it was imported" before a job reads it.
Importing the same file again (same resolved path, same fingerprint) returns the same row;
a changed file at the same path is a new import, so clips of the old one keep their source.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import (
    Conflict,
    FastClipError,
    Gone,
    InvalidRequest,
    NotFound,
    UnsupportedMedia,
)
from ..media.signature import AUDIO_CONTAINERS, check_signature
from ..timeline import clock_text
from .database import Database, check_page, iso
from .jobs import RUNNING
from .rows import Media

FINGERPRINT_CHUNK = 64 * 1024

# container (engine.media.probe's short names) -> content type, for video and for audio-only files
_CONTENT_TYPES = {
    "mp4": ("video/mp4", "audio/mp4"),
    "m4v": ("video/x-m4v", "audio/mp4"),
    "mov": ("video/quicktime", "audio/mp4"),
    "m4a": ("video/mp4", "audio/mp4"),
    "mkv": ("video/x-matroska", "audio/x-matroska"),
    "webm": ("video/webm", "audio/webm"),
    "avi": ("video/x-msvideo", "video/x-msvideo"),
    "flv": ("video/x-flv", "video/x-flv"),
    "mp3": ("audio/mpeg", "audio/mpeg"),
    "wav": ("audio/wav", "audio/wav"),
    "aac": ("audio/aac", "audio/aac"),
    "flac": ("audio/flac", "audio/flac"),
    "ogg": ("video/ogg", "audio/ogg"),
    "wma": ("audio/x-ms-wma", "audio/x-ms-wma"),
}


def content_type(container: str | None, media_kind: str | None = None) -> str:
    """``video/mp4``, ``audio/mpeg``, ...: from the container, refined by what it carries."""
    pair = _CONTENT_TYPES.get((container or "").lower())
    if pair is None:
        return "application/octet-stream"
    return pair[1] if media_kind == "audio" else pair[0]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    size: int
    mtime_ns: int
    sha256: str  # of the first and the last 64 KiB


def fingerprint(path: str | os.PathLike) -> Fingerprint:
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        h = hashlib.sha256(f.read(FINGERPRINT_CHUNK))
        if st.st_size > FINGERPRINT_CHUNK:
            f.seek(max(FINGERPRINT_CHUNK, st.st_size - FINGERPRINT_CHUNK))
            h.update(f.read(FINGERPRINT_CHUNK))
    return Fingerprint(st.st_size, st.st_mtime_ns, h.hexdigest())


def new_file_id() -> str:
    return f"upl_{secrets.token_hex(6)}"


def check_limits(limits: dict, *, file_size: int | None = None, duration: float | None = None,
                 name: str = "the file") -> None:
    """Raise InvalidRequest when a source breaks ``max_upload_bytes`` or ``max_duration_seconds``."""
    max_bytes, max_seconds = limits["max_upload_bytes"], limits["max_duration_seconds"]
    if file_size is not None and file_size > max_bytes:
        raise InvalidRequest(f"{name} is {_bytes(file_size)}; the largest file that can be imported is "
                             f"{_bytes(max_bytes)} (setting max_upload_bytes)", field="file_size")
    if duration is not None and duration > max_seconds:
        raise InvalidRequest(f"{name} is {_hms(duration)} long; the longest source that can be imported is "
                             f"{_hms(max_seconds)} (setting max_duration_seconds)", field="duration")


class MediaRecords:
    """The import methods of :class:`~engine.library.Library`."""

    _db: Database
    _now: Callable
    get_setting: Callable

    def check_media_limits(self, *, file_size: int | None = None, duration: float | None = None,
                           name: str = "the file") -> None:
        limits = {k: self.get_setting(k) for k in ("max_upload_bytes", "max_duration_seconds")}
        check_limits(limits, file_size=file_size, duration=duration, name=name)

    def add_media(self, path: str | os.PathLike, *, clip_requested: bool = False, file_id: str | None = None) -> Media:
        """Record ``path`` as a pending import (its file signature and size are checked first).

        The same file imported again returns its existing row; a failed import of it is set
        back to pending, so the caller probes it again. A file whose first bytes say it is not
        media (or that is empty) is recorded as a failed import with the reason, as the API's
        validation after an upload records it; a missing path or a folder is refused (NotFound,
        UnsupportedMedia) and recorded nowhere. ``file_id`` names a new row (an API upload's id).
        """
        p = Path(path).expanduser()
        try:
            check_signature(p)
        except UnsupportedMedia as e:
            if not p.is_file():
                raise
            return self._failed_import(p.resolve(), e.message, clip_requested, file_id)
        p = p.resolve()
        fp = fingerprint(p)
        self.check_media_limits(file_size=fp.size, name=p.name)
        now = iso(self._now())
        key = (str(p), fp.size, fp.mtime_ns, fp.sha256)
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO media (file_id, filename, path, content_type, file_size, created_at, "
                "clip_requested, fp_size, fp_mtime_ns, fp_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (path, fp_size, fp_mtime_ns, fp_sha256) DO UPDATE SET "
                "status = 'pending', error = NULL WHERE status = 'failed'",
                (file_id or new_file_id(), p.name, str(p), _guess_content_type(p.name), fp.size, now,
                 int(clip_requested), fp.size, fp.mtime_ns, fp.sha256))
            row = self._db.row("SELECT * FROM media WHERE path = ? AND fp_size = ? AND fp_mtime_ns = ? "
                               "AND fp_sha256 = ?", key)
        return Media.from_row(row)

    def _failed_import(self, p: Path, error: str, clip_requested: bool, file_id: str | None = None) -> Media:
        fp = fingerprint(p)
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO media (file_id, status, filename, path, content_type, file_size, error, created_at, "
                "clip_requested, fp_size, fp_mtime_ns, fp_sha256) VALUES (?, 'failed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (path, fp_size, fp_mtime_ns, fp_sha256) DO UPDATE SET status = 'failed', error = ?",
                (file_id or new_file_id(), p.name, str(p), _guess_content_type(p.name), fp.size, error,
                 iso(self._now()),
                 int(clip_requested), fp.size, fp.mtime_ns, fp.sha256, error))
            row = self._db.row("SELECT * FROM media WHERE path = ? AND fp_size = ? AND fp_mtime_ns = ? "
                               "AND fp_sha256 = ?", (str(p), fp.size, fp.mtime_ns, fp.sha256))
        return Media.from_row(row)

    def get_media(self, file_id: str) -> Media:
        row = self._db.row("SELECT * FROM media WHERE file_id = ?", (file_id,))
        if row is None:
            raise NotFound(f"no import {file_id} in the library", field="file_id")
        return Media.from_row(row)

    def find_media(self, path: str | os.PathLike) -> Media | None:
        """The import of the file at ``path`` as it is now (same fingerprint), or None."""
        p = Path(path).expanduser().resolve()
        try:
            fp = fingerprint(p)
        except OSError:
            return None
        row = self._db.row("SELECT * FROM media WHERE path = ? AND fp_size = ? AND fp_mtime_ns = ? AND fp_sha256 = ?",
                           (str(p), fp.size, fp.mtime_ns, fp.sha256))
        return Media.from_row(row) if row else None

    def list_media(self, offset: int = 0, limit: int = 20, *, status: str | None = None) -> list[Media]:
        """Imports, newest first."""
        check_page(offset, limit)
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = self._db.rows(f"SELECT * FROM media {where} ORDER BY created_at DESC, rowid DESC "
                             "LIMIT ? OFFSET ?", (*params, limit, offset))
        return [Media.from_row(r) for r in rows]

    def count_media(self) -> int:
        return self._db.scalar("SELECT count(*) FROM media")

    def mark_media_processing(self, file_id: str) -> Media:
        return self._set_media_status(file_id, ("pending", "processing"), status="processing")

    def mark_media_ready(self, file_id: str, info) -> Media:
        """Record the probe's findings (a MediaInfo, or its ``to_dict()``) and make the import ready.

        A source longer than ``max_duration_seconds`` is recorded as failed with the reason
        instead: check the returned row's status to tell upload.ready from upload.failed.
        """
        media = self.get_media(file_id)
        d = _probe_fields(info, media.filename)
        try:
            self.check_media_limits(duration=d["duration"], name=media.filename)
        except InvalidRequest as e:
            return self.mark_media_failed(file_id, e.message)
        return self._set_media_status(file_id, ("pending", "processing"), status="ready", error=None, **d)

    def mark_media_failed(self, file_id: str, reason: str | FastClipError) -> Media:
        message = reason.message if isinstance(reason, FastClipError) else str(reason)
        return self._set_media_status(file_id, ("pending", "processing", "failed"), status="failed",
                                      error=message)

    def set_media_clip_job(self, file_id: str, job_id: str | None) -> Media:
        """The one-shot clip queued when this import became ready."""
        return self._set_media_status(file_id, ("pending", "processing", "ready", "failed"),
                                      clip_requested=1, clip_job_id=job_id)

    def delete_media(self, file_id: str) -> Media:
        """Forget an import. The file on disk is never touched; its clips stay, without a source."""
        with self._db.write() as conn:
            media = self.get_media(file_id)
            busy = conn.execute("SELECT job_id FROM jobs WHERE file_id = ? AND status IN (?, ?, ?, ?) "
                                "LIMIT 1", (file_id, "pending", *RUNNING)).fetchone()
            if busy:
                raise Conflict(f"{media.filename} is used by job {busy[0]}, which has not finished; "
                               "cancel it first", field="file_id")
            conn.execute("DELETE FROM media WHERE file_id = ?", (file_id,))
        return media

    def check_source(self, file_id: str) -> Media:
        """The import, if it is ready and its file is still what was imported.

        Raises Conflict when the import is not ready, Gone when the file was moved, deleted
        or changed since.
        """
        media = self.get_media(file_id)
        if media.status != "ready":
            why = f": {media.error}" if media.status == "failed" and media.error else ""
            raise Conflict(f"the import of {media.filename} is not ready (status {media.status}{why})",
                           field="file_id")
        row = self._db.row("SELECT fp_size, fp_mtime_ns, fp_sha256 FROM media WHERE file_id = ?", (file_id,))
        try:
            now = fingerprint(media.path)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise Gone(f"{media.filename} was moved or deleted (it was imported from {media.path})",
                       field="file_id") from None
        except OSError as e:
            raise Gone(f"{media.filename} can no longer be read ({e.strerror or e}); "
                       f"it was imported from {media.path}", field="file_id") from None
        if (now.size, now.mtime_ns, now.sha256) != (row["fp_size"], row["fp_mtime_ns"], row["fp_sha256"]):
            raise Gone(f"{media.filename} has changed since it was imported; import it again "
                       f"({media.path})", field="file_id")
        return media

    def _set_media_status(self, file_id: str, allowed: tuple[str, ...], **changes) -> Media:
        with self._db.write() as conn:
            media = self.get_media(file_id)
            if media.status not in allowed:
                raise Conflict(f"the import of {media.filename} is {media.status}; it cannot become "
                               f"{changes.get('status', 'changed')}", field="file_id")
            cols = ", ".join(f"{k} = ?" for k in changes)
            conn.execute(f"UPDATE media SET {cols} WHERE file_id = ?", (*changes.values(), file_id))
        return self.get_media(file_id)


def _guess_content_type(filename: str, kind: str | None = None) -> str:
    ext = Path(filename).suffix.lower().lstrip(".")
    if kind is None:
        kind = "audio" if ext in AUDIO_CONTAINERS else "video"
    return content_type(ext, kind)


def _probe_fields(info, filename: str) -> dict:
    """The media columns from a MediaInfo or a dict shaped like ``MediaInfo.to_dict()``."""
    d = dict(info) if isinstance(info, dict) else {**info.to_dict(), "container": info.container}
    missing = [k for k in ("duration", "media_kind", "has_video", "has_audio") if d.get(k) is None]
    if missing:
        raise InvalidRequest(f"the probe result lacks {', '.join(missing)}", field="info")
    kind = d["media_kind"]
    return {
        "duration": float(d["duration"]),
        "max_height": int(d.get("max_height") or 0),
        "format_detected": d.get("format_detected") or "",
        "container": d.get("container"),
        "media_kind": kind,
        "has_video": int(bool(d["has_video"])),
        "has_audio": int(bool(d["has_audio"])),
        "streams": json.dumps(d.get("streams") or []),
        "content_type": d.get("content_type") or (content_type(d["container"], kind) if d.get("container")
                                                   else _guess_content_type(filename, kind)),
    }


def _bytes(n: float) -> str:
    for unit, size in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def _hms(seconds: float) -> str:
    return clock_text(seconds, 0)
