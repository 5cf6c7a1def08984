"""Caption fonts: the bundled ones, per-character fallback, and a loaded-font cache.

Every built-in preset names a font bundled in ``fonts/`` (see ``fonts/README.md``
for sources and licences). A caption may hold characters its font lacks (a name
in another script, an ``Ω``); instead of drawing ``.notdef`` boxes the text is
split into *runs*, each drawn with the first font in the chain
``[chosen font, DejaVu Sans Bold, Droid Sans Fallback]`` that has the character
(coverage read from the font's ``cmap`` with fontTools).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import ImageFont

from ..errors import InvalidRequest

FONTS_DIR = Path(__file__).resolve().parents[2] / "fonts"

# font_name -> file under fonts/. The names are what presets and the API use.
BUNDLED_FONTS: dict[str, str] = {
    "Anton": "anton/Anton-Regular.ttf",
    "Archivo Black": "archivo-black/ArchivoBlack-Regular.ttf",
    "Bangers": "bangers/Bangers-Regular.ttf",
    "Bebas Neue": "bebas-neue/BebasNeue-Regular.ttf",
    "DejaVu Sans Bold": "dejavu-sans/DejaVuSans-Bold.ttf",
    "DM Serif Display Italic": "dm-serif-display/DMSerifDisplay-Italic.ttf",
    "Droid Sans Fallback": "droid-sans-fallback/DroidSansFallbackFull.ttf",
    "Fredoka Bold": "fredoka/Fredoka-Bold.ttf",
    "Inter Bold": "inter/Inter-Bold.ttf",
    "Luckiest Guy": "luckiest-guy/LuckiestGuy-Regular.ttf",
    "Montserrat Black": "montserrat/Montserrat-Black.ttf",
    "Oswald Bold": "oswald/Oswald-Bold.ttf",
    "Permanent Marker": "permanent-marker/PermanentMarker-Regular.ttf",
    "Poppins ExtraBold": "poppins/Poppins-ExtraBold.ttf",
}

# Wide-coverage fonts tried, in order, for characters the chosen font lacks:
# DejaVu for Latin/Greek/Cyrillic/Hebrew/Arabic/symbols, Droid for CJK and Hangul.
FALLBACK_FONTS: tuple[str, ...] = ("DejaVu Sans Bold", "Droid Sans Fallback")
# Regular-weight fallbacks are thickened by this much (em) to sit beside bold caption fonts.
SYNTHETIC_BOLD: dict[str, float] = {"Droid Sans Fallback": 0.035}


def bundled_font_path(name: str) -> Path:
    return FONTS_DIR / BUNDLED_FONTS[name]


def font_path(name: str, extra_fonts: Mapping[str, Path] | None = None) -> Path:
    """The file of the font called ``name``: a bundled font or one of ``extra_fonts``
    (the user's imported fonts, which the library passes in)."""
    if extra_fonts and name in extra_fonts:
        return Path(extra_fonts[name])
    if name in BUNDLED_FONTS:
        return bundled_font_path(name)
    raise InvalidRequest(f"unknown font {name!r}", field="font_name")


def fallback_paths() -> tuple[Path, ...]:
    return tuple(bundled_font_path(n) for n in FALLBACK_FONTS)


def synthetic_bold(path: Path) -> float:
    """How much (em) to thicken text drawn with the font at ``path``."""
    return next((v for n, v in SYNTHETIC_BOLD.items() if bundled_font_path(n) == path), 0.0)


@functools.lru_cache(maxsize=64)
def coverage(path: Path) -> frozenset[int]:
    """The code points the font at ``path`` maps to a glyph."""
    with TTFont(path, lazy=True, fontNumber=0) as font:
        cmap = font.getBestCmap() or {}
    return frozenset(cmap)


@functools.lru_cache(maxsize=64)
def line_metrics(path: Path, uppercase: bool) -> tuple[float, float]:
    """(height above the baseline, depth below it) of a caption line, in em: from the tallest
    of the capitals and ascenders (capitals only when ``uppercase``) to the deepest descender.
    Read from the outlines in font units, so it scales exactly with the size."""
    tall, deep = ("H", "GJQ") if uppercase else ("Hbdfhklt", "gjpqyQ")
    with TTFont(path, lazy=True, fontNumber=0) as font:
        cmap, glyphs = font.getBestCmap() or {}, font.getGlyphSet()
        upem = font["head"].unitsPerEm

        def bounds(chars: str) -> list[tuple]:
            found = []
            for ch in chars:
                if ord(ch) in cmap:
                    pen = BoundsPen(glyphs)
                    glyphs[cmap[ord(ch)]].draw(pen)
                    if pen.bounds:
                        found.append(pen.bounds)
            return found

        top = max((b[3] for b in bounds(tall)), default=0.7 * upem)
        bottom = min((b[1] for b in bounds(deep)), default=0)
    return top / upem, max(0.0, -bottom) / upem


@functools.lru_cache(maxsize=256)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _rides_along(ch: str) -> bool:
    """Marks, joiners and variation selectors stay in the run of the character before."""
    return unicodedata.category(ch) in ("Mn", "Me", "Cf") or 0xFE00 <= ord(ch) <= 0xFE0F


@functools.lru_cache(maxsize=4096)
def split_runs(text: str, path: Path) -> tuple[tuple[Path, str], ...]:
    """Split ``text`` into ``(font path, text)`` runs: each character goes to the first
    font of ``[path, *fallbacks]`` that has it (spaces and marks stay with their neighbours);
    a character no font has stays with ``path``."""
    chain = (path, *(p for p in fallback_paths() if p != path))
    runs: list[list] = []
    for ch in text:
        if runs and (ch.isspace() or _rides_along(ch)):
            runs[-1][1] += ch
            continue
        code = ord(ch)
        chosen = next((p for p in chain if code in coverage(p)), path)
        if runs and runs[-1][0] == chosen:
            runs[-1][1] += ch
        else:
            runs.append([chosen, ch])
    return tuple((p, t) for p, t in runs)
