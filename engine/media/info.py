"""What a probe learns about a media file: frozen, slotted, exact."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class StreamInfo:
    index: int
    kind: str  # "video" | "audio" | "subtitle" | "data" | "attachment"
    codec: str
    time_base: Fraction
    start_time: Fraction  # seconds
    duration: Fraction | None  # seconds
    # video
    width: int = 0
    height: int = 0
    frame_rate: Fraction | None = None  # average rate
    pix_fmt: str | None = None
    rotation: int = 0  # degrees, counter-clockwise as in the display matrix
    profile: str | None = None
    # audio
    sample_rate: int = 0
    channels: int = 0
    # subtitle
    language: str | None = None
    is_text_subtitle: bool = False


@dataclass(frozen=True, slots=True)
class MediaInfo:
    path: str
    size: int
    format_detected: str  # FFmpeg's demuxer names, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    container: str  # our short name: mp4, mov, mkv, webm, avi, flv, mp3, wav, ...
    duration: Fraction  # seconds
    streams: tuple[StreamInfo, ...] = field(default_factory=tuple)

    @property
    def video(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "video"), None)

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "audio"), None)

    @property
    def subtitles(self) -> tuple[StreamInfo, ...]:
        return tuple(s for s in self.streams if s.kind == "subtitle")

    @property
    def has_video(self) -> bool:
        return self.video is not None

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    @property
    def media_kind(self) -> str:
        return "video" if self.has_video else "audio"

    @property
    def max_height(self) -> int:
        v = self.video
        if v is None:
            return 0
        # a rotated picture is shown on its side: its displayed height is the coded width
        return v.width if v.rotation % 180 else v.height

    @property
    def display_size(self) -> tuple[int, int]:
        v = self.video
        if v is None:
            return (0, 0)
        return (v.height, v.width) if v.rotation % 180 else (v.width, v.height)

    def to_dict(self) -> dict:
        """The API's media fields (seconds as floats: this is an edge)."""
        return {
            "filename": self.path.rsplit("/", 1)[-1],
            "file_size": self.size,
            "duration": float(self.duration),
            "duration_seconds": float(self.duration),
            "max_height": self.max_height,
            "format_detected": self.format_detected,
            "media_kind": self.media_kind,
            "has_video": self.has_video,
            "has_audio": self.has_audio,
            "streams": [
                {
                    k: (float(v) if isinstance(v, Fraction) else v)
                    for k, v in (
                        ("index", s.index),
                        ("kind", s.kind),
                        ("codec", s.codec),
                        ("duration", s.duration),
                        ("width", s.width or None),
                        ("height", s.height or None),
                        ("frame_rate", s.frame_rate),
                        ("rotation", s.rotation or None),
                        ("sample_rate", s.sample_rate or None),
                        ("channels", s.channels or None),
                        ("language", s.language),
                    )
                    if v is not None
                }
                for s in self.streams
            ],
        }
