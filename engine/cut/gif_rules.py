"""A GIF's frame rate and size: the rules, pure (no PyAV), so a front end can say what will come out.

``gif_settings`` gives the frame rate and picture size of a GIF made from a source picture;
``engine.cut.gif.GifWriter`` writes one with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..errors import InvalidRequest, UnsupportedMedia

#: Frame rate of a GIF at most (``min(source fps, MAX_FPS)``).
MAX_FPS = Fraction(15)
#: Width of a GIF at most when no quality is asked for.
DEFAULT_MAX_WIDTH = 480
#: GIF delays are counted in hundredths of a second.
GIF_TIME_BASE = Fraction(1, 100)
#: ``paletteuse`` dithering modes.
DITHERS = (
    "bayer",
    "heckbert",
    "floyd_steinberg",
    "sierra2",
    "sierra2_4a",
    "sierra3",
    "burkes",
    "atkinson",
    "none",
)


@dataclass(frozen=True, slots=True)
class GifSettings:
    """How a clip becomes a GIF.

    ``fps`` is the output frame rate (frames are picked by timestamp);
    ``width``/``height`` the picture size (even numbers); ``dither`` the
    ``paletteuse`` dithering; ``max_colors`` the palette size;
    ``scale_flags`` the swscale algorithm used to resize.
    """

    fps: Fraction
    width: int
    height: int
    dither: str = "sierra2_4a"
    max_colors: int = 256
    scale_flags: str = "lanczos"

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, not {self.fps}")
        for name in ("width", "height"):
            value = getattr(self, name)
            if value < 2 or value % 2:
                raise ValueError(f"{name} must be an even number >= 2, not {value}")
        if self.dither not in DITHERS:
            raise ValueError(f"dither must be one of {', '.join(DITHERS)}, not {self.dither!r}")
        if not 4 <= self.max_colors <= 256:
            raise ValueError(f"max_colors must be 4..256, not {self.max_colors}")


def gif_settings(
    src_width: int,
    src_height: int,
    src_fps: Fraction | float | None,
    quality_height: int | None,
    *,
    sample_aspect: Fraction | None = None,
) -> GifSettings:
    """The GIF settings for a source picture (pure).

    - frame rate: ``min(src_fps, 15)``; 15 when the source rate is unknown.
    - no quality: width ``min(480, source width)``, height from the aspect ratio.
    - a quality (``1080``, ``720``, ...): height ``min(quality, source height)``,
      width from the aspect ratio.

    Sizes keep the display aspect ratio, are even, and never exceed the
    source's (a GIF is never upscaled). For anamorphic video, pass the pixel
    aspect as ``sample_aspect``: the source's size is then its display size
    (720x576 at 64:45 is 1024x576). Which qualities are allowed is the
    request validator's business, not this function's.
    """
    if src_width <= 0 or src_height <= 0:
        raise UnsupportedMedia(f"the video has no picture size ({src_width}x{src_height})")
    if quality_height is not None and quality_height <= 0:
        raise InvalidRequest(
            f"quality must be a positive height, not {quality_height}", field="quality"
        )

    fps = MAX_FPS
    if src_fps:
        fps = min(Fraction(src_fps).limit_denominator(1001 * 1000), MAX_FPS)

    sar = Fraction(sample_aspect) if sample_aspect and sample_aspect > 0 else Fraction(1)
    # The picture as shown: anamorphic sources widen (or narrow) their columns.
    display_width = src_width * sar
    aspect = display_width / src_height
    max_width = _even_floor(display_width)
    max_height = _even_floor(src_height)

    if quality_height is None:
        width = min(DEFAULT_MAX_WIDTH, max_width)
        height = min(_even_round(width / aspect), max_height)
    else:
        height = min(_even_floor(quality_height), max_height)
        width = min(_even_round(height * aspect), max_width)
    return GifSettings(fps=fps, width=width, height=height)


def _even_floor(value: Fraction | int) -> int:
    return max(2, math.floor(value) // 2 * 2)


def _even_round(value: Fraction) -> int:
    return max(2, round(Fraction(value) / 2) * 2)
