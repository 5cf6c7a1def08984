"""Transcripts remembered by the content of their source, in a cache folder.

A source is known by a fingerprint of its bytes, not its path, so a renamed or
copied file still hits. The fingerprint hashes the size and the whole file when
it is at most ``FULL_HASH_LIMIT`` (about a tenth of a second to read), else the
size and ``SAMPLES`` blocks spread evenly over the file, first and last
included (about 1 MiB read, whatever the size). Either way a repeat lookup is
instant; a file that is changed without changing its size, in none of the
sampled blocks, would be missed, which a re-encoded or edited media file never
manages. The key also names the model and the transcription options.

Entries are JSON files written atomically; an unreadable entry is a miss.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from ..atomic import atomic_output
from .document import Transcript
from .formats import from_dict, to_dict

FULL_HASH_LIMIT = 64 * 1024 * 1024
SAMPLES = 16
BLOCK = 64 * 1024
ENTRY_VERSION = 1


def file_fingerprint(path: str | os.PathLike) -> str:
    """A hex digest of ``path``'s content (see the module doc for what is read)."""
    st = os.stat(path)
    return _fingerprint(os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ino)


@functools.lru_cache(maxsize=256)
def _fingerprint(path: str, size: int, mtime_ns: int, inode: int) -> str:
    h = hashlib.sha256(b"fastclip-content-v1\0%d\0" % size)
    with open(path, "rb") as f:
        if size <= FULL_HASH_LIMIT:
            for block in iter(lambda: f.read(1024 * 1024), b""):
                h.update(block)
        else:
            step = (size - BLOCK) / (SAMPLES - 1)
            for i in range(SAMPLES):
                f.seek(int(i * step))
                h.update(f.read(BLOCK))
    return h.hexdigest()


class TranscriptCache:
    """Transcripts under ``<folder>/transcripts/``; ``folder`` is the app's cache folder."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder) / "transcripts"

    def key(self, source: str | os.PathLike, *parts: str) -> str:
        """The entry name for ``source`` transcribed with ``parts`` (model id, options)."""
        tail = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
        return f"{file_fingerprint(source)[:40]}-{tail}"

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Transcript | None:
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
            if data.get("entry_version") != ENTRY_VERSION:
                return None
            return from_dict(data["transcript"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, key: str, transcript: Transcript) -> Path:
        dest = self.path(key)
        data = {"entry_version": ENTRY_VERSION, "transcript": to_dict(transcript)}
        with atomic_output(dest) as tmp:
            Path(tmp).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return dest

    def entries(self) -> list[Path]:
        return sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []
