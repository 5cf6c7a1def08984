"""The library panel's state, free of Qt: sources with their clips, filtered, sorted and described.

The panel shows FastPix's getClips view: every import (a *source*) with the clips made from it
beneath. ``LibraryModel.reload(library)`` reads both lists from an ``engine.library.Library``
(newest first, in pages, up to a cap so a library of 10,000 clips stays quick to show); clips whose
import was deleted are kept in a group of their own. ``groups()`` is what the view draws: the
sources that match the search text, in the chosen order, each with its matching clips in the same
order. The texts a person reads (durations, "expires in 23 h", "pinned", "yours (never expires)")
are made here, so they are tested without a window.

Listeners get the set of fields that changed: "rows" (a reload), "query", "sort".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from engine import Clip, Library, Media, clock_text, parse_iso

from ..observable import Observable

NEWEST, OLDEST, NAME, DURATION = "newest", "oldest", "name", "duration"
SORTS: dict[str, str] = {NEWEST: "Newest first", OLDEST: "Oldest first", NAME: "Name", DURATION: "Longest first"}
PAGE = 100  # the library's largest page
MAX_SOURCES = 500  # how many imports a reload reads at most (newest first)
MAX_CLIPS = 1000  # how many clips a reload reads at most (newest first)
NO_SOURCE = "Clips without a source"  # the group of clips whose import was deleted



@dataclass(frozen=True, slots=True)
class Group:
    """One source (``media`` None: the clips whose import was deleted) and its clips to show."""

    media: Media | None
    clips: tuple[Clip, ...]

    @property
    def key(self) -> str:
        return self.media.file_id if self.media is not None else ""

    @property
    def name(self) -> str:
        return self.media.filename if self.media is not None else NO_SOURCE


class LibraryModel(Observable):
    def __init__(self, *, max_sources: int = MAX_SOURCES, max_clips: int = MAX_CLIPS,
                 now: Callable[[], datetime] | None = None):
        self.max_sources, self.max_clips = max_sources, max_clips
        self._now = now or (lambda: datetime.now(UTC))
        Observable.__init__(self)
        self.media: list[Media] = []  # newest first, as the library lists them
        self.clips: list[Clip] = []  # newest first
        self.total_media = 0
        self.total_clips = 0
        self.query = ""
        self.sort = NEWEST

    # -- observing ----------------------------------------------------------------------------------

    # -- the rows -----------------------------------------------------------------------------------

    def reload(self, library: Library) -> None:
        """Read the imports and the clips that have not expired from ``library``."""
        self.set_rows(_read_pages(library.list_media, self.max_sources),
                      _read_pages(library.list_clips, self.max_clips),
                      total_media=library.count_media(), total_clips=library.count_clips())

    def set_rows(self, media: list[Media], clips: list[Clip], *, total_media: int | None = None,
                 total_clips: int | None = None) -> None:
        """Rows as the library lists them (newest first)."""
        self.media, self.clips = list(media), list(clips)
        self.total_media = len(self.media) if total_media is None else total_media
        self.total_clips = len(self.clips) if total_clips is None else total_clips
        self._changed("rows")

    @property
    def capped(self) -> bool:
        """True when the library holds more rows than were read."""
        return self.total_media > len(self.media) or self.total_clips > len(self.clips)

    def media_by_id(self, file_id: str) -> Media | None:
        return next((m for m in self.media if m.file_id == file_id), None)

    def clip_by_id(self, clip_id: str) -> Clip | None:
        return next((c for c in self.clips if c.clip_id == clip_id), None)

    def clips_of(self, file_id: str | None) -> list[Clip]:
        """Every clip read of the source ``file_id`` (None: of no source), newest first."""
        return [c for c in self.clips if c.source_file_id == file_id]

    # -- search and order ---------------------------------------------------------------------------

    def set_query(self, text: str) -> None:
        text = text.strip()
        if text != self.query:
            self.query = text
            self._changed("query")

    def set_sort(self, key: str) -> None:
        if key not in SORTS:
            raise ValueError(f"unknown sort {key!r} (sorts: {', '.join(SORTS)})")
        if key != self.sort:
            self.sort = key
            self._changed("sort")

    def groups(self) -> list[Group]:
        """The sources to show, in order, each with its clips to show, in the same order.

        A source whose filename matches the search shows all its clips; otherwise it shows the
        clips whose title matches, and is left out when none does.
        """
        known = {m.file_id for m in self.media}
        by_source: dict[str | None, list[Clip]] = {}
        for c in self.clips:
            by_source.setdefault(c.source_file_id if c.source_file_id in known else None, []).append(c)
        needle = self.query.casefold()
        out = []
        for media in self._ordered(self.media, _media_key):
            clips = by_source.get(media.file_id, [])
            if needle and needle not in media.filename.casefold():
                clips = [c for c in clips if needle in c.title.casefold()]
                if not clips:
                    continue
            out.append(Group(media, tuple(self._ordered(clips, _clip_key))))
        orphans = [c for c in by_source.get(None, []) if not needle or needle in c.title.casefold()]
        if orphans:
            out.append(Group(None, tuple(self._ordered(orphans, _clip_key))))
        return out

    def _ordered(self, rows: list, key: Callable) -> list:
        """``rows`` (newest first) in the chosen order; ties keep the library's order."""
        if self.sort == NEWEST:
            return list(rows)
        if self.sort == OLDEST:
            return list(reversed(rows))
        name, duration = key
        if self.sort == NAME:
            return sorted(rows, key=lambda r: name(r).casefold())
        return sorted(rows, key=lambda r: -(duration(r) or 0.0))

    # -- what a person reads ------------------------------------------------------------------------

    def summary(self) -> str:
        """"3 sources · 7 clips", and what was left out when the library holds more."""
        text = f"{_count(self.total_media, 'source')} · {_count(self.total_clips, 'clip')}"
        if self.capped:
            text += f" (showing the newest {len(self.media):,} sources and {len(self.clips):,} clips)"
        return text

    def expiry_text(self, clip: Clip) -> str:
        return expiry_text(clip, self._now())

    def delete_clips_text(self, ids: list[str]) -> str:
        """The question asked before deleting the clips ``ids``."""
        rows = [c for c in (self.clip_by_id(i) for i in ids) if c is not None]
        yours = [c for c in rows if not c.in_library]
        if len(ids) == 1 and rows:
            c = rows[0]
            if c.in_library:
                return f"Delete “{c.title}”? Its file in the library is deleted."
            return f"Delete “{c.title}” from the library? Its file is yours and is kept:\n{c.path}"
        text = f"Delete {len(ids)} clips? Their files in the library are deleted."
        if yours:
            text += (f" {len(yours)} of them " + ("is a file" if len(yours) == 1 else "are files")
                     + " you exported, which the app keeps.")
        return text

    def remove_sources_text(self, ids: list[str]) -> str:
        """The question asked before removing the imports ``ids`` from the library."""
        names = [m.filename for m in (self.media_by_id(i) for i in ids) if m is not None]
        clips = sum(len(self.clips_of(i)) for i in ids)
        what = f"“{names[0]}”" if len(ids) == 1 and names else f"{len(ids)} imports"
        text = f"Remove {what} from the library? The file itself is not touched."
        if clips:
            whose = "Its" if len(ids) == 1 else "Their"
            text += f" {whose} {clips} clip{'s stay' if clips != 1 else ' stays'} in the library."
        return text


_media_key = (lambda m: m.filename, lambda m: m.duration)
_clip_key = (lambda c: c.title, lambda c: c.duration)


def _read_pages(list_page: Callable, cap: int) -> list:
    rows: list = []
    while len(rows) < cap:
        limit = min(PAGE, cap - len(rows))
        page = list_page(offset=len(rows), limit=limit)
        rows.extend(page)
        if len(page) < limit:
            break
    return rows


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def duration_text(seconds: float | None) -> str:
    """"4.0 s" under a minute, "1:02" or "1:02:03" above; "—" when unknown."""
    if seconds is None:
        return "—"
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    return clock_text(seconds, 0)


def expiry_text(clip: Clip, now: datetime) -> str:
    """How long the library keeps ``clip``: "pinned", "yours (never expires)", "expires in 23 h"."""
    if clip.pinned:
        return "pinned"
    if not clip.in_library:
        return "yours (never expires)"
    if clip.status == "expired":
        return "expired"
    if clip.expires_at is None:
        return "never expires"
    left = (parse_iso(clip.expires_at) - now).total_seconds()
    if left <= 0:
        return "expired"
    if left < 60:
        return "expires in under a minute"
    if left < 3600:
        return f"expires in {int(left // 60)} min"
    if left < 48 * 3600:
        return f"expires in {int(left // 3600)} h"
    return f"expires in {int(left // 86400)} days"


def source_status_text(media: Media) -> str:
    """"ready · video", "processing", "failed", ..."""
    if media.status == "ready" and media.media_kind:
        return f"{media.status} · {media.media_kind}"
    return media.status


def clip_details_text(clip: Clip) -> str:
    """"MP4 · 720p", "MP3", "MP4 · 1080p · captions"."""
    parts = [clip.format.upper()]
    if clip.quality:
        parts.append(clip.quality)
    if clip.captioned:
        parts.append("captions")
    return " · ".join(parts)


__all__ = [
    "DURATION", "MAX_CLIPS", "MAX_SOURCES", "NAME", "NEWEST", "NO_SOURCE", "OLDEST", "SORTS", "Group",
    "LibraryModel", "clip_details_text", "duration_text", "expiry_text", "source_status_text",
]
