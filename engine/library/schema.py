"""The library's schema, as an ordered list of migrations.

``PRAGMA user_version`` holds how many migrations a file has had. Opening a library runs the
missing ones in order, each in its own write transaction that also bumps ``user_version``, so
a crash mid-migration leaves the file at the previous version, and two processes opening the
same old file migrate it once. Never edit a released migration: append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ..errors import Conflict
from .database import Database

Migration = Callable[[sqlite3.Connection], None]


def _001_initial(conn: sqlite3.Connection) -> None:
    # statement by statement: executescript() would COMMIT the migration's transaction
    for sql in _INITIAL:
        conn.execute(sql)


_INITIAL = (
    # media: the API's uploads. The source is referenced in place, never copied or modified;
    # fp_* is the fingerprint taken at import, to tell when it has moved or changed.
    """
    CREATE TABLE media (
        file_id          TEXT PRIMARY KEY,
        status           TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
        filename         TEXT NOT NULL,
        path             TEXT NOT NULL,
        content_type     TEXT NOT NULL DEFAULT '',
        file_size        INTEGER NOT NULL,
        duration         REAL,
        max_height       INTEGER,
        format_detected  TEXT,
        container        TEXT,
        media_kind       TEXT CHECK (media_kind IN ('video', 'audio')),
        has_video        INTEGER CHECK (has_video IN (0, 1)),
        has_audio        INTEGER CHECK (has_audio IN (0, 1)),
        streams          TEXT,
        error            TEXT,
        created_at       TEXT NOT NULL,
        clip_requested   INTEGER NOT NULL DEFAULT 0 CHECK (clip_requested IN (0, 1)),
        clip_job_id      TEXT,
        fp_size          INTEGER NOT NULL,
        fp_mtime_ns      INTEGER NOT NULL,
        fp_sha256        TEXT NOT NULL
    )
    """,
    "CREATE UNIQUE INDEX media_source ON media (path, fp_size, fp_mtime_ns, fp_sha256)",
    "CREATE INDEX media_created ON media (created_at)",
    # clips: every output, in the library folder (expires unless pinned) or where the user put it
    # (never expires, never deleted by the app).
    """
    CREATE TABLE clips (
        clip_id          TEXT PRIMARY KEY,
        job_id           TEXT,
        source_file_id   TEXT REFERENCES media (file_id) ON DELETE SET NULL,
        file_name        TEXT NOT NULL,
        path             TEXT NOT NULL,
        file_size        INTEGER NOT NULL DEFAULT 0,
        format           TEXT NOT NULL,
        quality          TEXT NOT NULL DEFAULT '',
        duration         REAL NOT NULL,
        aspect_ratio     TEXT NOT NULL DEFAULT '',
        captioned        INTEGER NOT NULL DEFAULT 0 CHECK (captioned IN (0, 1)),
        pinned           INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
        in_library       INTEGER NOT NULL CHECK (in_library IN (0, 1)),
        title            TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        status           TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'expired')),
        created_at       TEXT NOT NULL,
        expires_at       TEXT,
        CHECK (in_library = 1 OR expires_at IS NULL),
        CHECK (pinned = 0 OR expires_at IS NULL)
    )
    """,
    "CREATE INDEX clips_created ON clips (created_at)",
    "CREATE INDEX clips_source_created ON clips (source_file_id, created_at)",
    "CREATE INDEX clips_expiry ON clips (expires_at) WHERE expires_at IS NOT NULL",
    "CREATE INDEX clips_job ON clips (job_id)",
    # one live library clip per file: a sweep or delete can never remove a file another row uses
    "CREATE UNIQUE INDEX clips_library_path ON clips (path) WHERE in_library = 1 AND status = 'available'",
    # files to remove from the clips folder, queued in the transaction that retires their row;
    # removed after it commits and retried by the next sweep if that fails (a player holds it)
    """
    CREATE TABLE file_deletions (
        path             TEXT PRIMARY KEY,
        queued_at        TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE jobs (
        job_id           TEXT PRIMARY KEY,
        kind             TEXT NOT NULL CHECK (kind IN ('clip', 'transcript', 'captions', 'import')),
        request          TEXT NOT NULL,
        request_fingerprint TEXT NOT NULL,
        file_id          TEXT,
        status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                         ('pending', 'downloading', 'processing', 'uploading', 'complete', 'failed')),
        progress         INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        status_message   TEXT NOT NULL DEFAULT '',
        error            TEXT,
        result           TEXT,
        created_at       TEXT NOT NULL,
        started_at       TEXT,
        finished_at      TEXT,
        attempts         INTEGER NOT NULL DEFAULT 0,
        worker_pid       INTEGER,
        worker_token     TEXT
    )
    """,
    "CREATE INDEX jobs_queue ON jobs (status, created_at)",
    "CREATE INDEX jobs_created ON jobs (created_at)",
    "CREATE INDEX jobs_fingerprint ON jobs (request_fingerprint, status)",
    "CREATE INDEX jobs_file ON jobs (file_id)",
    """
    CREATE TABLE settings (
        key              TEXT PRIMARY KEY,
        value            TEXT NOT NULL,
        updated_at       TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE webhooks (
        webhook_id       TEXT PRIMARY KEY,
        url              TEXT NOT NULL,
        events           TEXT NOT NULL,
        secret           TEXT NOT NULL,
        created_at       TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE deliveries (
        delivery_id      TEXT PRIMARY KEY,
        webhook_id       TEXT NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
        event            TEXT NOT NULL,
        payload          TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_status_code INTEGER,
        last_error       TEXT,
        next_attempt_at  TEXT,
        created_at       TEXT NOT NULL,
        delivered_at     TEXT
    )
    """,
    "CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at)",
    "CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending'",
)


def _002_caption_presets_and_fonts(conn: sqlite3.Connection) -> None:
    for sql in _CAPTIONS:
        conn.execute(sql)


_CAPTIONS = (
    # caption_fonts: fonts the user imported. The file lives in the library's fonts/ folder as
    # stored_name (<font_id>.<format>, never a name taken from the file); filename is what it was
    # called when imported, for display only.
    """
    CREATE TABLE caption_fonts (
        font_id          TEXT PRIMARY KEY,
        family           TEXT NOT NULL CHECK (length(family) BETWEEN 1 AND 100),
        subfamily        TEXT NOT NULL DEFAULT '',
        full_name        TEXT NOT NULL DEFAULT '',
        format           TEXT NOT NULL CHECK (format IN ('ttf', 'otf')),
        stored_name      TEXT NOT NULL UNIQUE,
        filename         TEXT NOT NULL,
        file_size        INTEGER NOT NULL,
        sha256           TEXT NOT NULL UNIQUE,
        glyph_count      INTEGER NOT NULL,
        created_at       TEXT NOT NULL
    )
    """,
    "CREATE INDEX caption_fonts_family ON caption_fonts (family)",
    # caption_presets: custom presets (preset:<preset_id>), each a clone of another preset with
    # fields overridden. style is the JSON of every CaptionStyle field; font_id is set when the
    # style's font is an imported one (which then cannot be deleted while a preset uses it).
    """
    CREATE TABLE caption_presets (
        preset_id        TEXT PRIMARY KEY,
        name             TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        cloned_from      TEXT NOT NULL,
        style            TEXT NOT NULL,
        font_id          TEXT REFERENCES caption_fonts (font_id) ON DELETE RESTRICT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL
    )
    """,
    "CREATE INDEX caption_presets_created ON caption_presets (created_at)",
    "CREATE INDEX caption_presets_font ON caption_presets (font_id) WHERE font_id IS NOT NULL",
)


def _003_edit_states(conn: sqlite3.Connection) -> None:
    # edit_states: the editor's work on one import (engine.library.edits.EditState as JSON:
    # marked segments, in/out, mode, export choices, playhead, view), gone with the import.
    conn.execute(
        """
        CREATE TABLE edit_states (
            file_id          TEXT PRIMARY KEY REFERENCES media (file_id) ON DELETE CASCADE,
            state            TEXT NOT NULL,
            updated_at       TEXT NOT NULL
        )
        """)


def _004_api_keys(conn: sqlite3.Connection) -> None:
    # api_keys: the local API's keys, kept as their SHA-256 (the key is shown once, when made);
    # prefix is the key's first characters, to tell keys apart in a list.
    # api_secrets: secrets the API keeps (url_signing: what its upload and download URLs are signed with).
    conn.execute(
        """
        CREATE TABLE api_keys (
            key_id           TEXT PRIMARY KEY,
            name             TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            key_hash         TEXT NOT NULL UNIQUE,
            prefix           TEXT NOT NULL,
            created_at       TEXT NOT NULL,
            last_used_at     TEXT
        )
        """)
    conn.execute(
        """
        CREATE TABLE api_secrets (
            name             TEXT PRIMARY KEY,
            secret           TEXT NOT NULL,
            created_at       TEXT NOT NULL
        )
        """)


def _005_uploads(conn: sqlite3.Connection) -> None:
    # uploads: files asked to be sent through the local API (engine.library.uploads). Once its bytes
    # are in uploads/<file_id>/<stored_name>, the upload is received and a media row with the same
    # file_id is its import. clip is the one-shot clip (JSON) to queue when that import is ready.
    conn.execute(
        """
        CREATE TABLE uploads (
            file_id          TEXT PRIMARY KEY,
            filename         TEXT NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
            stored_name      TEXT NOT NULL,
            content_type     TEXT NOT NULL DEFAULT '',
            file_size        INTEGER NOT NULL CHECK (file_size > 0),
            upload_id        TEXT UNIQUE,
            part_size        INTEGER,
            part_count       INTEGER,
            clip             TEXT,
            status           TEXT NOT NULL DEFAULT 'awaiting' CHECK (status IN ('awaiting', 'received')),
            created_at       TEXT NOT NULL,
            CHECK ((upload_id IS NULL) = (part_count IS NULL))
        )
        """)
    conn.execute("CREATE INDEX uploads_awaiting ON uploads (created_at) WHERE status = 'awaiting'")
    # upload_parts: the parts of a multipart upload received so far, each in uploads/<file_id>/.parts/
    # (its ETag is the MD5 of its bytes, as S3 gives for a part)
    conn.execute(
        """
        CREATE TABLE upload_parts (
            file_id          TEXT NOT NULL REFERENCES uploads (file_id) ON DELETE CASCADE,
            part_number      INTEGER NOT NULL CHECK (part_number >= 1),
            etag             TEXT NOT NULL,
            size             INTEGER NOT NULL,
            received_at      TEXT NOT NULL,
            PRIMARY KEY (file_id, part_number)
        )
        """)


def _006_moment_jobs(conn: sqlite3.Connection) -> None:
    # The jobs table again, its kinds now with 'analyze' (POST /v1/clip/analyze: moments, no render)
    # and 'auto' (POST /v1/clip/auto: moments, each made a clip). SQLite cannot change a CHECK in
    # place: a new table, the rows copied, the old one dropped (nothing references it), the indexes
    # made again. Every column the table has after _005 (_001's; _004 and _005 left jobs alone) is in
    # _JOBS: a column missing there would make the copy fail, never drop data.
    conn.execute(_JOBS.replace("CREATE TABLE jobs (", "CREATE TABLE jobs_new (", 1))
    columns = ", ".join(r[1] for r in conn.execute("PRAGMA table_info(jobs)").fetchall())
    conn.execute(f"INSERT INTO jobs_new ({columns}) SELECT {columns} FROM jobs")
    conn.execute("DROP TABLE jobs")
    conn.execute("ALTER TABLE jobs_new RENAME TO jobs")
    for sql in _JOB_INDEXES:
        conn.execute(sql)


_JOBS = """
    CREATE TABLE jobs (
        job_id           TEXT PRIMARY KEY,
        kind             TEXT NOT NULL CHECK (kind IN ('clip', 'transcript', 'captions', 'import', 'analyze',
                                                       'auto')),
        request          TEXT NOT NULL,
        request_fingerprint TEXT NOT NULL,
        file_id          TEXT,
        status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                         ('pending', 'downloading', 'processing', 'uploading', 'complete', 'failed')),
        progress         INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        status_message   TEXT NOT NULL DEFAULT '',
        error            TEXT,
        result           TEXT,
        created_at       TEXT NOT NULL,
        started_at       TEXT,
        finished_at      TEXT,
        attempts         INTEGER NOT NULL DEFAULT 0,
        worker_pid       INTEGER,
        worker_token     TEXT
    )
    """
_JOB_INDEXES = (
    "CREATE INDEX jobs_queue ON jobs (status, created_at)",
    "CREATE INDEX jobs_created ON jobs (created_at)",
    "CREATE INDEX jobs_fingerprint ON jobs (request_fingerprint, status)",
    "CREATE INDEX jobs_file ON jobs (file_id)",
)


def _007_job_worker_address(conn: sqlite3.Connection) -> None:
    # (after _006's rebuild of the table, which does not know this column: it must stay after it)
    # worker_address: where a job's current attempt runs when that is not a worker process of this
    # machine (a Dask worker of a cluster batch: tcp://host:port); NULL for local workers.
    conn.execute("ALTER TABLE jobs ADD COLUMN worker_address TEXT")


# The runner keys on position: a library's PRAGMA user_version is how many of these it has had, and
# entry k (1-based) takes it from k-1 to k; the names' numbers say the position.
MIGRATIONS: tuple[Migration, ...] = (_001_initial, _002_caption_presets_and_fonts, _003_edit_states, _004_api_keys,
                                     _005_uploads, _006_moment_jobs, _007_job_worker_address)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(database: Database) -> int:
    return database.scalar("PRAGMA user_version")


def migrate(database: Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the file up to ``len(migrations)``; return the version it had before."""
    before = schema_version(database)
    if before > len(migrations):
        raise Conflict(
            f"{database.path} was written by a newer FastClip (library schema {before}; "
            f"this version knows up to {len(migrations)}); update FastClip to open it")
    if before == len(migrations):
        return before
    for target in range(before + 1, len(migrations) + 1):
        with database.write() as conn:
            # re-read under the write lock: another process may have just migrated
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current >= target:
                continue
            migrations[target - 1](conn)
            conn.execute(f"PRAGMA user_version = {int(target)}")
    return before
