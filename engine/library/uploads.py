"""Uploads through the local API: files sent to the library, kept in its ``uploads/`` folder.

An upload is asked for first (``POST /v1/upload/request`` or a multipart ``initiate``): a row
with the name, size and type the client gave, and optionally a one-shot clip to make once the
file is ready. Its bytes then arrive (one ``PUT``, or numbered parts put together at
``complete``) and become an ordinary import (``add_media`` with the upload's file_id), probed by
an import job like any other file.

Nothing a client sends is used as a path: the file lives at
``uploads/<file_id>/<name>``, where the file_id is ours and the name is the client's made safe
(``engine.naming.safe_stem``) with an extension from the list of media extensions; parts live in
``uploads/<file_id>/.parts/`` under their number, and are recorded with their ETag once whole. Names with path separators, NUL, control or
invisible characters, or over 255 characters are refused.

``POST /v1/upload/local`` imports a file in place instead: only from the folders of the
``api_local_folders`` setting (the user's home by default).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ..errors import Conflict, Forbidden, InvalidRequest, NotFound
from ..media.signature import AUDIO_CONTAINERS, VIDEO_CONTAINERS
from ..naming import safe_stem
from .database import Database, iso
from .rows import Media

UPLOADS_DIR = "uploads"
PARTS_DIR = ".parts"
MIB = 1024 * 1024
MIN_PART_BYTES = 5 * MIB  # every part but the last (the API's rule)
MAX_PARTS = 10_000
MAX_NAME = 255
MAX_CONTENT_TYPE = 255
STALE_UPLOAD_HOURS = 24  # an upload whose bytes never came is forgotten after this
_EXTENSIONS = frozenset(VIDEO_CONTAINERS + AUDIO_CONTAINERS)
_ODD = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")  # control, invisible, surrogate, private, unassigned, breaks
_FILE_ID = re.compile(r"^upl_[0-9a-f]{12}$")


@dataclass(frozen=True, slots=True)
class Upload:
    """An upload asked for through the API: the client's name, size and type, and how it comes."""

    file_id: str
    filename: str
    stored_name: str  # the file's name in uploads/<file_id>/
    content_type: str
    file_size: int
    upload_id: str | None  # a multipart upload's id, else None
    part_size: int | None
    part_count: int | None
    clip: dict | None  # the one-shot clip asked for with it
    status: str  # awaiting (its bytes) | received
    created_at: str

    @classmethod
    def from_row(cls, r: dict) -> Upload:
        return cls(r["file_id"], r["filename"], r["stored_name"], r["content_type"], r["file_size"], r["upload_id"],
                   r["part_size"], r["part_count"], json.loads(r["clip"]) if r["clip"] else None, r["status"],
                   r["created_at"])

    def part_bytes(self, number: int) -> int:
        """How many bytes part ``number`` (from 1) must have."""
        if number < self.part_count:
            return self.part_size
        return self.file_size - self.part_size * (self.part_count - 1)


def check_upload_name(name) -> str:
    """The client's file name, if it is a plain one-line name (NFC); else InvalidRequest."""
    if not isinstance(name, str):
        raise InvalidRequest("filename must be text", field="filename")
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidRequest(f"filename must be 1 to {MAX_NAME} characters", field="filename")
    if "/" in name or "\\" in name or name in (".", "..") or any(unicodedata.category(c) in _ODD for c in name):
        raise InvalidRequest("filename must be a plain file name: no folders, control or invisible characters",
                             field="filename")
    return name


def stored_name(filename: str) -> str:
    """What an uploaded file is called on disk: the name made safe, with a media extension kept."""
    p = Path(filename)
    ext = p.suffix.lower().lstrip(".")
    stem = safe_stem(p.stem if ext in _EXTENSIONS else p.name) or "upload"
    return f"{stem}.{ext}" if ext in _EXTENSIONS else stem


def check_file_id(file_id) -> str:
    if not isinstance(file_id, str) or not _FILE_ID.match(file_id):
        raise InvalidRequest(f"file_id must look like upl_ and 12 hex digits, not {str(file_id)[:40]!r}",
                             field="file_id")
    return file_id


class UploadRecords:
    """The upload methods of :class:`~engine.library.Library`."""

    _db: Database
    _now: Callable
    path: Path
    get_setting: Callable
    add_media: Callable
    get_media: Callable
    check_media_limits: Callable

    @property
    def uploads_dir(self) -> Path:
        return self.path.parent / UPLOADS_DIR

    def create_upload(self, filename, content_type, file_size, *, part_size=None, part_count=None,
                      clip: dict | None = None, multipart: bool = False) -> Upload:
        """Record an upload the client is about to send (see the module doc); ``multipart`` with
        ``part_size`` (at least 5 MiB) and optionally ``part_count`` (which must agree)."""
        filename = check_upload_name(filename)
        if content_type is None:
            content_type = ""
        if not isinstance(content_type, str) or len(content_type) > MAX_CONTENT_TYPE or \
                any(unicodedata.category(c) in _ODD for c in content_type):
            raise InvalidRequest("content_type must be a media type such as video/mp4", field="content_type")
        size = _whole(file_size, "file_size", low=1)
        self.check_media_limits(file_size=size, name=filename)
        upload_id = None
        if multipart:
            part_size = _whole(part_size, "part_size", low=1)
            if part_size < MIN_PART_BYTES and part_size < size:
                raise InvalidRequest(f"part_size must be at least {MIN_PART_BYTES} bytes (5 MiB)", field="part_size")
            count = math.ceil(size / part_size)
            if part_count is not None and _whole(part_count, "part_count", low=1) != count:
                raise InvalidRequest(f"part_count must be ceil(file_size / part_size) = {count}, not {part_count}",
                                     field="part_count")
            if count > MAX_PARTS:
                raise InvalidRequest(f"at most {MAX_PARTS} parts; use a larger part_size", field="part_size")
            part_count, upload_id = count, f"mpu_{secrets.token_hex(12)}"
        else:
            part_size = part_count = None
        file_id = f"upl_{secrets.token_hex(6)}"
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO uploads (file_id, filename, stored_name, content_type, file_size, upload_id, part_size, "
                "part_count, clip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (file_id, filename, stored_name(filename), content_type, size, upload_id, part_size, part_count,
                 None if clip is None else json.dumps(clip), iso(self._now())))
        return self.get_upload(file_id)

    def get_upload(self, file_id: str) -> Upload:
        row = self._db.row("SELECT * FROM uploads WHERE file_id = ?", (file_id,))
        if row is None:
            raise NotFound(f"no upload {file_id}", field="file_id")
        return Upload.from_row(row)

    def find_upload(self, file_id: str) -> Upload | None:
        row = self._db.row("SELECT * FROM uploads WHERE file_id = ?", (file_id,))
        return None if row is None else Upload.from_row(row)

    def awaiting_upload(self, file_id: str, upload_id: str | None = None) -> Upload:
        """The upload, while its bytes may still come (NotFound, Conflict once they came)."""
        upload = self.get_upload(check_file_id(file_id))
        if upload_id is not None and upload.upload_id != upload_id:
            raise NotFound(f"no multipart upload {str(upload_id)[:40]!r} for {file_id}", field="upload_id")
        if upload.status != "awaiting":
            raise Conflict(f"the bytes of {upload.filename} ({file_id}) were received already", field="file_id")
        return upload

    def upload_path(self, upload: Upload) -> Path:
        return self.uploads_dir / upload.file_id / upload.stored_name

    def part_path(self, upload: Upload, number: int) -> Path:
        return self.uploads_dir / upload.file_id / PARTS_DIR / f"{number:05d}.part"

    def record_part(self, upload: Upload, number: int, etag: str, size: int) -> None:
        """Part ``number`` is in place at :meth:`part_path` (written whole), with this ETag."""
        with self._db.write() as conn:
            self.awaiting_upload(upload.file_id, upload.upload_id)
            conn.execute("INSERT INTO upload_parts (file_id, part_number, etag, size, received_at) VALUES (?, ?, ?, ?, ?) "
                         "ON CONFLICT (file_id, part_number) DO UPDATE SET etag = excluded.etag, size = excluded.size, "
                         "received_at = excluded.received_at", (upload.file_id, number, etag, size, iso(self._now())))

    def uploaded_parts(self, upload: Upload) -> dict[int, tuple[str, int]]:
        """The parts received so far: number -> (etag, size)."""
        rows = self._db.rows("SELECT part_number, etag, size FROM upload_parts WHERE file_id = ? ORDER BY part_number",
                             (upload.file_id,))
        return {r["part_number"]: (r["etag"], r["size"]) for r in rows}

    def check_part_number(self, upload: Upload, number) -> int:
        if upload.upload_id is None:
            raise InvalidRequest(f"{upload.file_id} is a single upload, not a multipart one", field="upload_id")
        n = _whole(number, "part_number", low=1)
        if n > upload.part_count:
            raise InvalidRequest(f"part_number must be from 1 to {upload.part_count}, not {n}", field="part_number")
        return n

    def receive_upload(self, file_id: str) -> Media:
        """The upload's file is complete at :meth:`upload_path`: make it a pending import (with the
        upload's file_id), and forget its parts."""
        upload = self.awaiting_upload(file_id)
        path = self.upload_path(upload)
        media = self.add_media(path, file_id=upload.file_id, clip_requested=upload.clip is not None)
        with self._db.write() as conn:
            conn.execute("UPDATE uploads SET status = 'received' WHERE file_id = ?", (file_id,))
        shutil.rmtree(path.parent / PARTS_DIR, ignore_errors=True)
        return media

    def delete_upload(self, file_id: str, upload_id: str | None = None) -> Upload:
        """Forget an upload whose bytes have not all come, and whatever of them did."""
        upload = self.awaiting_upload(file_id, upload_id)
        with self._db.write() as conn:
            conn.execute("DELETE FROM uploads WHERE file_id = ? AND status = 'awaiting'", (upload.file_id,))
        shutil.rmtree(self.uploads_dir / upload.file_id, ignore_errors=True)
        return upload

    def sweep_uploads(self, hours: float = STALE_UPLOAD_HOURS) -> list[Upload]:
        """Forget uploads whose bytes did not come within ``hours``."""
        before = iso(self._now() - timedelta(hours=hours))
        stale = [Upload.from_row(r) for r in self._db.rows(
            "SELECT * FROM uploads WHERE status = 'awaiting' AND created_at < ?", (before,))]
        for upload in stale:
            with contextlib.suppress(NotFound, Conflict):
                self.delete_upload(upload.file_id)
        return stale

    def one_shot_clips_due(self, limit: int = 20) -> list[tuple[Upload, Media]]:
        """Uploads whose import is ready and whose one-shot clip has not been queued yet."""
        rows = self._db.rows(
            "SELECT u.file_id FROM uploads u JOIN media m ON m.file_id = u.file_id WHERE u.clip IS NOT NULL "
            "AND m.status = 'ready' AND m.clip_job_id IS NULL ORDER BY u.created_at LIMIT ?", (limit,))
        return [(self.get_upload(r["file_id"]), self.get_media(r["file_id"])) for r in rows]

    def check_local_path(self, path) -> Path:
        """``path`` (POST /v1/upload/local) resolved, if it lies in a folder of the ``api_local_folders``
        setting: Forbidden elsewhere, NotFound when there is no such file there."""
        if not isinstance(path, str) or not path or len(path) > 4096 or "\x00" in path:
            raise InvalidRequest("path must be the absolute path of a file", field="path")
        p = Path(path).expanduser()
        if not p.is_absolute():
            raise InvalidRequest(f"path must be absolute, not {path[:200]!r}", field="path")
        try:
            resolved = p.resolve()
        except (OSError, RuntimeError, ValueError):
            raise InvalidRequest("path cannot be resolved", field="path") from None
        folders = self.local_folders()
        if not any(resolved.is_relative_to(f) for f in folders):
            raise Forbidden(f"{resolved} is outside the folders the local API may import from "
                            f"(setting api_local_folders: {os.pathsep.join(map(str, folders)) or 'none'})",
                            field="path")
        if not resolved.is_file():
            raise NotFound(f"no file {resolved}", field="path")
        return resolved

    def local_folders(self) -> list[Path]:
        """The folders of the ``api_local_folders`` setting, resolved."""
        text = self.get_setting("api_local_folders")
        out = []
        for part in text.split(os.pathsep):
            if part.strip():
                with contextlib.suppress(OSError, RuntimeError, ValueError):
                    out.append(Path(part.strip()).expanduser().resolve())
        return out


def _whole(value, field: str, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InvalidRequest(f"{field} must be a whole number, not {str(value)[:40]!r}", field=field)
    if value < low or value > 2**62:
        raise InvalidRequest(f"{field} must be at least {low}", field=field)
    return value
