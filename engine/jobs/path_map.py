"""Path rules for a cluster batch: this machine's paths as the workers see them, and back.

Workers of a cluster read sources and write outputs by path, so every machine needs the files at
a path it can name. Where the shared storage is mounted at the same path everywhere there is
nothing to say; where it is not, a rule ``LOCAL=REMOTE`` (``--path-map /mnt/nas=/Volumes/nas``)
says that what this machine calls ``/mnt/nas/talks/a.mp4`` a worker calls
``/Volumes/nas/talks/a.mp4``; the paths a worker sends back (the output it wrote) are mapped the
other way. Rules match whole path components (``/mnt/nas`` is not a prefix of ``/mnt/nas2``), the
longest first; a path under no rule is the same on every machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InvalidRequest

_ABSOLUTE = re.compile(r"^(/|[A-Za-z]:[\\/]|\\\\)")  # POSIX, a Windows drive, or a UNC share


@dataclass(frozen=True, slots=True)
class PathMap:
    """``rules``: (this machine's prefix, the workers' prefix) pairs; see the module doc."""

    rules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, texts: Iterable[str] | None) -> PathMap:
        """Rules from ``LOCAL=REMOTE`` texts; both sides absolute. Raises InvalidRequest."""
        rules: list[tuple[str, str]] = []
        for text in texts or ():
            local, sep, remote = str(text).partition("=")
            local, remote = _trimmed(local.strip()), _trimmed(remote.strip())
            if not sep or not local or not remote:
                raise InvalidRequest(f"a path rule is LOCAL=REMOTE, e.g. /mnt/nas=/Volumes/nas (not {text!r})",
                                     field="path_map")
            for side in (local, remote):
                if not _ABSOLUTE.match(side):
                    raise InvalidRequest(f"the paths of a path rule must be absolute: {side!r} in {text!r}",
                                         field="path_map")
            if any(local == other for other, _ in rules):
                raise InvalidRequest(f"two path rules map {local}", field="path_map")
            rules.append((local, remote))
        return cls(tuple(rules))

    def to_worker(self, path: str | None) -> str | None:
        """What a worker calls ``path`` (this machine's)."""
        return _apply(path, self.rules)

    def to_local(self, path: str | None) -> str | None:
        """What this machine calls ``path`` (a worker's)."""
        return _apply(path, tuple((remote, local) for local, remote in self.rules))

    def __bool__(self) -> bool:
        return bool(self.rules)

    def __str__(self) -> str:
        return ", ".join(f"{a}={b}" for a, b in self.rules) or "(same paths everywhere)"


def _windows(path: str) -> bool:
    return bool(re.match(r"^([A-Za-z]:|\\\\)", path))


def _trimmed(path: str) -> str:
    """Without trailing separators (a root stays a root)."""
    trimmed = path.rstrip("/\\")
    if not trimmed or re.fullmatch(r"[A-Za-z]:", trimmed):
        return path[: len(trimmed) + 1] if path else path
    return trimmed


def _apply(path, pairs: tuple[tuple[str, str], ...]):
    if path is None:
        return None
    text = str(path)
    best = None
    for src, dst in pairs:
        under = text == src or (text.startswith(src) and (src[-1] in "/\\" or text[len(src)] in "/\\"))
        if under and (best is None or len(src) > len(best[0])):  # the longest rule that matches
            best = (src, dst)
    if best is None:
        return text
    src, dst = best
    tail = text[len(src):].lstrip("/\\")
    if not tail:
        return dst
    sep = "\\" if _windows(dst) else "/"
    if _windows(src) != _windows(dst):  # a Windows machine on one side: its own separators
        tail = tail.replace("/" if sep == "\\" else "\\", sep)
    return dst.rstrip("/\\") + sep + tail
