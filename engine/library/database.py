"""The library's SQLite file: one connection, WAL, foreign keys, explicit transactions, a clock.

Every write runs in ``BEGIN IMMEDIATE`` (:meth:`Database.write`), which takes the file's write
lock at the start, so two processes (the GUI and a CLI run) that read-then-write never
interleave. Reads run in autocommit mode and see the last committed state. Times are kept as
ISO-8601 UTC strings ``YYYY-MM-DDTHH:MM:SSZ``: they sort as text, and are what the API shows.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import InvalidRequest, ProcessingFailed

Clock = Callable[[], datetime]
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
BUSY_TIMEOUT_S = 15.0  # how long a writer waits for another process's transaction
MAX_PAGE = 100


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    """``t`` as the API writes times; a naive datetime is taken to be UTC."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime(ISO_FORMAT)


def parse_iso(s: str) -> datetime:
    return datetime.strptime(s, ISO_FORMAT).replace(tzinfo=UTC)


def iso_after(t: datetime, hours: float) -> str:
    return iso(t + timedelta(hours=hours))


def check_page(offset: int, limit: int) -> None:
    """The paging rules of every ``list_*`` method."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidRequest(f"offset must be a whole number of 0 or more, not {offset!r}", field="offset")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be a whole number from 1 to {MAX_PAGE}, not {limit!r}",
                             field="limit")


def _use_wal(conn: sqlite3.Connection) -> None:
    """Put a new library file in WAL mode. Two processes (or threads) opening the same new file at
    once both try; switching takes the file exclusively, and SQLite answers the second "locked" at
    once instead of waiting, so it waits here, as the busy timeout would."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = wal")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class Database:
    """One SQLite connection, shared safely by the threads of a process.

    Reads and writes go through the plain ``sqlite3`` connection; the sqlite-utils view of it
    (:attr:`db`, for inspection and tests) is made on first use, because importing sqlite-utils
    costs about 100 ms (it imports numpy and pandas when they are installed), too much for
    every CLI start.
    """

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; every write says BEGIN itself.
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False)
        self.conn = conn
        self._lock = threading.RLock()
        self._utils_db = None
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            _use_wal(conn)
            # In WAL mode NORMAL loses no integrity on a crash, only (on power loss) the last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as e:  # not a database, damaged, unreadable
            conn.close()
            raise ProcessingFailed(f"cannot open the library {path}: {e}") from None

    @property
    def db(self):
        """The sqlite-utils Database on this connection."""
        if self._utils_db is None:
            import sqlite_utils

            self._utils_db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._utils_db

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction holding the write lock: everything in it happens, or nothing.

        Nested inside another write of the same thread it is a savepoint of that transaction.
        """
        with self._lock:
            if self.conn.in_transaction:
                name = f"sp_{secrets.token_hex(4)}"
                self.conn.execute(f"SAVEPOINT {name}")
                try:
                    yield self.conn
                except BaseException:
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                    raise
                self.conn.execute(f"RELEASE {name}")
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise ProcessingFailed(f"the library {self.path} is busy (another FastClip process has "
                                       f"held it for {BUSY_TIMEOUT_S:g} s): {e}") from None
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as e:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(e, sqlite3.OperationalError):  # disk full, read-only folder, ...
                    raise ProcessingFailed(f"the library {self.path} could not be saved: {e}") from e
                raise

    def rows(self, sql: str, params=()) -> list[dict]:
        with self._lock:
            cur = self.conn.execute(sql, params)
            keys = [d[0] for d in cur.description]
            return [dict(zip(keys, r)) for r in cur]

    def row(self, sql: str, params=()) -> dict | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params=()):
        with self._lock:
            r = self.conn.execute(sql, params).fetchone()
        return r[0] if r else None
