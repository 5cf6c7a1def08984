"""File signatures: what a file's first bytes say it is, before FFmpeg sees it."""

from __future__ import annotations

from pathlib import Path

from ..errors import NotFound, UnsupportedMedia

VIDEO_CONTAINERS = ("mp4", "mov", "avi", "mkv", "webm", "m4v", "flv")
AUDIO_CONTAINERS = ("mp3", "wav", "aac", "flac", "ogg", "m4a", "wma")

_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")

# Common files people drop by mistake, so the error can say what they are.
_OTHER_KINDS = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x7fELF", "a program"),
)


def sniff(head: bytes) -> str | None:
    """The family of media a file's first bytes announce, or None.

    Families: "iso" (mp4/mov/m4a/m4v), "matroska" (mkv/webm), "riff-avi",
    "riff-wav", "flv", "mp3", "aac", "flac", "ogg", "asf" (wma/wmv).
    """
    if len(head) >= 12 and head[4:8] in _ISO_BOXES:
        return "iso"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "riff-avi"
    if head.startswith((b"RIFF", b"RF64")) and head[8:12] == b"WAVE":
        return "riff-wav"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(_ASF_GUID):
        return "asf"
    if head.startswith(b"ID3"):
        # ID3 tags precede MP3 (and sometimes FLAC/AAC) data; FFmpeg sorts that out.
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0:
        return "aac"  # ADTS: 12-bit sync, layer 00
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        return "mp3"  # MPEG audio frame sync
    return None


def check_signature(path: str | Path) -> str:
    """Raise a clear error unless ``path`` is an existing, non-empty media file.

    Returns the family from :func:`sniff`.
    """
    p = Path(path)
    if not p.exists():
        raise NotFound(f"no such file: {p}", field="source")
    if not p.is_file():
        raise UnsupportedMedia(f"not a file: {p}", field="source")
    try:
        with p.open("rb") as f:
            head = f.read(64)
    except OSError as e:
        raise NotFound(f"cannot read {p}: {e.strerror}", field="source") from None
    if not head:
        raise UnsupportedMedia(f"{p.name} is empty (0 bytes)", field="source")
    family = sniff(head)
    if family is None:
        what = next((name for sig, name in _OTHER_KINDS if head.startswith(sig)), None)
        if what is None and _looks_like_text(head):
            what = "a text file"
        kinds = ", ".join(VIDEO_CONTAINERS + AUDIO_CONTAINERS)
        detail = f"it looks like {what}" if what else "its contents match no supported container"
        raise UnsupportedMedia(
            f"{p.name} is not a supported media file: {detail} (accepted: {kinds})",
            field="source",
        )
    return family


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(b >= 0x20 or b in b"\t\r\n" for b in head)
