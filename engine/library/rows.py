"""What the library returns: frozen rows with the API's field names.

Times are ISO-8601 UTC strings (``2026-04-19T10:00:00Z``), durations float seconds: rows are
an edge. ``to_dict()`` gives the JSON a front end shows or a webhook sends.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields


def _loads(text: str | None):
    return json.loads(text) if text else None


@dataclass(frozen=True, slots=True)
class Media:
    """One import (the API's upload): a source file referenced where it is."""

    file_id: str
    status: str  # pending | processing | ready | failed
    filename: str
    path: str
    content_type: str
    file_size: int
    duration: float | None
    max_height: int | None
    format_detected: str | None
    media_kind: str | None  # video | audio, once probed
    has_video: bool | None
    has_audio: bool | None
    error: str | None
    created_at: str
    clip_requested: bool
    clip_job_id: str | None
    streams: tuple[dict, ...] = ()

    @property
    def duration_seconds(self) -> float | None:
        return self.duration

    @classmethod
    def from_row(cls, r: dict) -> Media:
        return cls(
            file_id=r["file_id"], status=r["status"], filename=r["filename"], path=r["path"],
            content_type=r["content_type"], file_size=r["file_size"], duration=r["duration"],
            max_height=r["max_height"], format_detected=r["format_detected"],
            media_kind=r["media_kind"], has_video=_bool(r["has_video"]), has_audio=_bool(r["has_audio"]),
            error=r["error"], created_at=r["created_at"], clip_requested=bool(r["clip_requested"]),
            clip_job_id=r["clip_job_id"], streams=tuple(_loads(r["streams"]) or ()),
        )

    def to_dict(self) -> dict:
        """GET /v1/upload/{file_id}, plus the local ``path`` and the probed streams."""
        return {
            "file_id": self.file_id, "status": self.status, "filename": self.filename,
            "path": self.path, "content_type": self.content_type, "file_size": self.file_size,
            "duration": self.duration, "duration_seconds": self.duration,
            "max_height": self.max_height, "format_detected": self.format_detected,
            "media_kind": self.media_kind, "has_video": self.has_video, "has_audio": self.has_audio,
            "error": self.error, "created_at": self.created_at,
            "clip_requested": self.clip_requested, "clip_job_id": self.clip_job_id,
            "streams": list(self.streams),
        }


@dataclass(frozen=True, slots=True)
class Clip:
    """One output file and what the library knows about it."""

    clip_id: str
    job_id: str | None
    source_file_id: str | None  # None once its import was deleted from the library
    file_name: str
    path: str
    file_size: int
    format: str
    quality: str
    duration: float
    aspect_ratio: str
    captioned: bool
    pinned: bool
    in_library: bool  # lives in the library's clips folder (expires unless pinned)
    title: str
    status: str  # available | expired
    created_at: str
    expires_at: str | None  # None: pinned, or a file the user exported (never expires)

    @classmethod
    def from_row(cls, r: dict) -> Clip:
        return cls(**{
            f.name: (bool(r[f.name]) if f.name in _CLIP_BOOLS else r[f.name]) for f in fields(cls)
        })

    def to_dict(self) -> dict:
        d = asdict(self)
        d["saved_to_library"] = self.in_library
        return d


_CLIP_BOOLS = frozenset({"captioned", "pinned", "in_library"})


@dataclass(frozen=True, slots=True)
class BulkDeleted:
    deleted: tuple[str, ...]
    not_found: tuple[str, ...]


JOB_KINDS = ("clip", "transcript", "captions", "import", "analyze", "auto")
# The API's job statuses, in the order a job goes through them; the one definition of them.
RUNNING = ("downloading", "processing", "uploading")
ENDED = ("complete", "failed")
STATUSES = ("pending", *RUNNING, *ENDED)


@dataclass(frozen=True, slots=True)
class Job:
    """A unit of background work, with the API's status model."""

    job_id: str
    kind: str  # clip | transcript | captions | import | analyze | auto
    request: dict
    request_fingerprint: str
    file_id: str | None
    status: str  # pending | downloading | processing | uploading | complete | failed
    progress: int
    status_message: str
    error: dict | None  # {"code", "message", "field"}
    result: dict | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    attempts: int
    worker_pid: int | None
    worker_token: str | None = None  # which claim of the job this row is (claim_next_job)
    worker_address: str | None = None  # a cluster worker running this attempt (tcp://host:port), else None

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @classmethod
    def from_row(cls, r: dict) -> Job:
        return cls(
            job_id=r["job_id"], kind=r["kind"], request=_loads(r["request"]),
            request_fingerprint=r["request_fingerprint"], file_id=r["file_id"], status=r["status"],
            progress=r["progress"], status_message=r["status_message"], error=_loads(r["error"]),
            result=_loads(r["result"]), created_at=r["created_at"], started_at=r["started_at"],
            finished_at=r["finished_at"], attempts=r["attempts"], worker_pid=r["worker_pid"],
            worker_token=r["worker_token"], worker_address=r["worker_address"],
        )

    def to_dict(self) -> dict:
        """GET /v1/clip/{job_id}: the status fields, then the result's fields."""
        d = asdict(self)
        del d["request_fingerprint"], d["worker_pid"], d["worker_token"]
        return d


@dataclass(frozen=True, slots=True)
class SettingValue:
    key: str
    value: object
    default: object
    type: str  # "float" | "int" | "str"
    description: str

    @property
    def is_default(self) -> bool:
        return self.value == self.default


@dataclass(frozen=True, slots=True)
class Webhook:
    webhook_id: str
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: str

    @classmethod
    def from_row(cls, r: dict) -> Webhook:
        return cls(r["webhook_id"], r["url"], tuple(json.loads(r["events"])), r["secret"], r["created_at"])

    def to_dict(self, *, with_secret: bool = False) -> dict:
        d = {"webhook_id": self.webhook_id, "url": self.url, "events": list(self.events),
             "created_at": self.created_at}
        if with_secret:
            d["secret"] = self.secret
        return d


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: str
    webhook_id: str
    event: str
    payload: dict  # the envelope's "data"
    status: str  # pending | delivered | failed
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: str | None
    created_at: str
    delivered_at: str | None

    @property
    def envelope(self) -> dict:
        return {"event": self.event, "data": self.payload}

    @classmethod
    def from_row(cls, r: dict) -> Delivery:
        return cls(**{f.name: (json.loads(r[f.name]) if f.name == "payload" else r[f.name])
                      for f in fields(cls)})

    def to_dict(self) -> dict:
        return asdict(self)


def _bool(v) -> bool | None:
    return None if v is None else bool(v)
