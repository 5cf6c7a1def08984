"""Writing a transcript to a file the user chose: rendered by the engine, written atomically."""

from __future__ import annotations

from engine import Transcript, atomic_output, render

FORMAT_NAMES = {
    "srt": "SubRip subtitles (*.srt)",
    "vtt": "WebVTT subtitles (*.vtt)",
    "ass": "Advanced SubStation Alpha subtitles (*.ass)",
    "json": "JSON with word times (*.json)",
    "txt": "Plain text (*.txt)",
}


def write_transcript(transcript: Transcript, fmt: str, path: str) -> str:
    """Render ``transcript`` as ``fmt`` and write it to ``path`` atomically (runs on a worker thread)."""
    text = render(transcript, fmt)
    if not text.endswith("\n"):
        text += "\n"
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return str(path)
