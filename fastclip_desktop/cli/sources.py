"""What a command line names, read in one place: time ranges (``S-E``), paging options, and the
import a FILE_ID or PATH names."""

from __future__ import annotations

import os


def parse_range(text: str, field: str) -> tuple[str, str]:
    """``S-E`` seconds as two strings (validated later with the source)."""
    from engine import InvalidRequest

    start, sep, end = text.partition("-")
    if not sep or not start.strip() or not end.strip():
        raise InvalidRequest(f"--{field} must look like START-END in seconds, not {text!r}", field=field)
    return start.strip(), end.strip()


def page_args(p) -> None:
    p.add_argument("--offset", type=int, default=0, metavar="N")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="1 to 100 (default 20)")
    p.add_argument("--json", action="store_true")


def find_media(lib, source: str):
    """The import a FILE_ID or PATH names (a path must have been imported as it is now)."""
    from engine import NotFound, source_kind

    if source_kind(source) == "file_id":
        return lib.get_media(source)
    media = lib.find_media(source) if os.path.exists(source) else None
    if media is None:
        raise NotFound(f"{source} is not in the library (import it first)", field="source")
    return media
