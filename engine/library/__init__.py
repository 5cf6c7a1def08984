"""The local library: imports, clips, jobs, settings and webhooks in ``library.db`` (SQLite, WAL).

Front ends and the job runner use :class:`Library`; everything it returns is a frozen row
(:class:`Media`, :class:`Clip`, :class:`Job`, ...) with the FastClip API's field names, and
every error it raises is one of ``engine.errors``.
"""

from .captions import FONTS_DIR, CaptionFont, CaptionPresetRecord
from .clips import MAX_BULK_DELETE, MAX_TITLE
from .database import iso, parse_iso
from .jobs import APP_STOPPED, JOB_KINDS, canonical_json, request_fingerprint
from .library import CLIPS_DIR, DB_NAME, SCHEMA_VERSION, Library
from .media import Fingerprint, check_limits, content_type, fingerprint
from .rows import BulkDeleted, Clip, Delivery, Job, Media, SettingValue, Webhook
from .settings import SETTINGS, Setting
from .webhooks import EVENTS, MAX_WEBHOOKS

__all__ = [
    "APP_STOPPED",
    "CLIPS_DIR",
    "DB_NAME",
    "EVENTS",
    "FONTS_DIR",
    "JOB_KINDS",
    "MAX_BULK_DELETE",
    "MAX_TITLE",
    "MAX_WEBHOOKS",
    "SCHEMA_VERSION",
    "SETTINGS",
    "BulkDeleted",
    "CaptionFont",
    "CaptionPresetRecord",
    "Clip",
    "Delivery",
    "Fingerprint",
    "Job",
    "Library",
    "Media",
    "Setting",
    "SettingValue",
    "Webhook",
    "canonical_json",
    "check_limits",
    "content_type",
    "fingerprint",
    "iso",
    "parse_iso",
    "request_fingerprint",
]
