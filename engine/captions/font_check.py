"""Is this file a font the captions can use? A TTF or OTF checked with fontTools and drawn with Pillow.

:func:`inspect_font` reads the whole font (every table decompiled, every TrueType glyph parsed),
then draws a test string with fontTools pens, with Pillow/FreeType and with the caption renderer
itself. Anything wrong is an :class:`~engine.errors.UnsupportedMedia` (field ``file``) whose
message says what: a PNG renamed ``.ttf``, a WOFF2 web font, a truncated file, a font without a
Unicode character map or without drawable glyphs. A damaged file can make native code crash or
loop, so front ends call :func:`check_font_file`, which runs the check in a worker process with
a time limit and turns a crash into the same kind of rejection.
"""

from __future__ import annotations

import logging
import signal
import unicodedata
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from ..errors import FastClipError, ProcessingFailed, UnsupportedMedia
from ..process import in_worker
from ..progress import Progress
from .render import render_caption
from .style import CaptionStyle

MAX_FONT_BYTES = 10 * 1024 * 1024  # the API's caption font limit
CHECK_SECONDS = 30  # a font the checker cannot read in this long is refused
MAX_NAME = 100  # a family name becomes a caption style's font_name (at most 100 characters)
SAMPLE = "Hamburgefonstiv HOQ 0123"  # drawn to prove the font renders (characters the font lacks are skipped)
METRIC_CHARS = "Hbdfhklt" + "gjpqyQ" + "GJ"  # what the renderer measures lines with

_SFNT = {b"\x00\x01\x00\x00": "ttf", b"true": "ttf", b"OTTO": "otf"}
_NOT_ACCEPTED = (
    (b"wOFF", "a WOFF web font; convert it to TTF or OTF first (only TTF and OTF fonts are accepted)"),
    (b"wOF2", "a WOFF2 web font; convert it to TTF or OTF first (only TTF and OTF fonts are accepted)"),
    (b"ttcf", "a font collection (TTC); extract one font as TTF or OTF first"),
    (b"\x89PNG", "a PNG image, not a font"),
    (b"\xff\xd8\xff", "a JPEG image, not a font"),
    (b"GIF8", "a GIF image, not a font"),
    (b"%PDF", "a PDF document, not a font"),
    (b"PK\x03\x04", "a ZIP archive, not a font (unpack the TTF or OTF file from it)"),
    (b"\x7fELF", "a program, not a font"),
    (b"<?xml", "an XML file, not a font"),
    (b"<svg", "an SVG image, not a font"),
    (b"\x00\x00\x01\x00", "a Windows icon, not a font"),
)
_REQUIRED = ("head", "hhea", "maxp", "cmap", "hmtx", "name")


@dataclass(frozen=True, slots=True)
class FontFacts:
    """What the check learned about a usable font."""

    format: str  # ttf | otf
    family: str
    subfamily: str
    full_name: str
    glyph_count: int
    sample: str  # the test string it drew


def _reject(reason: str) -> UnsupportedMedia:
    return UnsupportedMedia(f"not a usable font: {reason}", field="file")


def font_format(head: bytes) -> str:
    """``"ttf"`` or ``"otf"`` from a file's first bytes; a clear rejection for anything else."""
    if len(head) < 12:
        raise _reject("the file is empty" if not head else "the file is too short to be a font")
    fmt = _SFNT.get(head[:4])
    if fmt:
        return fmt
    for magic, what in _NOT_ACCEPTED:
        if head.startswith(magic):
            raise _reject(f"this is {what}")
    raise _reject("it does not start with a TrueType or OpenType signature (only TTF and OTF fonts are accepted)")


def inspect_font(path: str | Path) -> FontFacts:
    """Check the font at ``path`` (see the module doc); runs native code, so prefer :func:`check_font_file`."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(12)
        f.seek(0, 2)
        size = f.tell()
    fmt = font_format(head)
    if size > MAX_FONT_BYTES:
        raise _reject(f"it is larger than {MAX_FONT_BYTES // (1024 * 1024)} MB")
    try:
        with TTFont(path, lazy=False, recalcBBoxes=False, recalcTimestamp=False) as font:
            return _inspect(font, path, fmt)
    except FastClipError:
        raise
    except RecursionError:
        raise _reject("its glyphs refer to each other in a loop") from None
    except MemoryError:
        raise _reject("reading it needs more memory than a font may") from None
    except Exception as e:  # noqa: BLE001 - fontTools raises many kinds on damaged input
        raise _reject(f"fontTools cannot read it ({_detail(e)}); the file is damaged or not a font") from None


def _detail(e: Exception) -> str:
    text = " ".join(str(e).split())[:160]
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _inspect(font, path: Path, fmt: str) -> FontFacts:
    tags = set(font.keys())
    outlines = ("glyf", "loca") if fmt == "ttf" else ("CFF2",) if "CFF2" in tags else ("CFF ",)
    missing = [t.strip() for t in (*_REQUIRED, *outlines) if t not in tags]
    if missing:
        raise _reject(f"it lacks the {', '.join(missing)} table{'s' if len(missing) > 1 else ''} every font needs")
    for tag in sorted(tags - {"GlyphOrder"}):
        try:
            font[tag]  # decompiles it
        except Exception as e:  # noqa: BLE001
            raise _reject(f"its {tag.strip()} table is damaged ({_detail(e)})") from None

    upem = font["head"].unitsPerEm
    if not 16 <= upem <= 16384:
        raise _reject(f"its units per em ({upem}) are out of range")
    order = font.getGlyphOrder()
    if len(order) < 2 or font["maxp"].numGlyphs != len(order):
        raise _reject("it has no glyphs" if len(order) < 2 else "its glyph count disagrees with its tables")
    glyphs = font.getGlyphSet()
    if fmt == "ttf":
        glyf = font["glyf"]
        for name in order:
            g = glyf[name]
            if g.isComposite() and any(c.glyphName not in glyf for c in g.components):
                raise _reject(f"its glyph {name} is made of glyphs that do not exist")

    cmap = font.getBestCmap() or {}
    usable = {cp: name for cp, name in cmap.items() if name in glyphs and name != ".notdef"}
    if not usable:
        raise _reject("it has no Unicode character map (cmap) that maps characters to glyphs")

    sample = _sample(usable)
    inked = False
    for ch in dict.fromkeys(sample.replace(" ", "") + METRIC_CHARS):
        if ord(ch) in usable:
            pen = BoundsPen(glyphs)
            glyphs[usable[ord(ch)]].draw(pen)
            inked = inked or pen.bounds is not None
    if not inked:
        raise _reject(f"its glyphs for {sample!r} are empty, so captions would be invisible")

    family, subfamily, full_name = _names(font)
    _draw(path, sample)
    return FontFacts(fmt, family, subfamily, full_name, len(order), sample)


def _sample(usable: dict[int, str]) -> str:
    """The test string: SAMPLE's characters the font has, else the first visible characters it maps."""
    text = "".join(ch for ch in SAMPLE if ch == " " or ord(ch) in usable).strip()
    if sum(not ch.isspace() for ch in text) >= 3:
        return " ".join(text.split())
    visible = [chr(cp) for cp in sorted(usable)
               if unicodedata.category(chr(cp))[0] in "LNPS" and not chr(cp).isspace()]
    if not visible:
        raise _reject("it maps no visible characters")
    return "".join(visible[:12])


def _clean(name: str | None) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in (name or ""))
    return " ".join(text.split())[:MAX_NAME].strip()


def _names(font) -> tuple[str, str, str]:
    table = font["name"]
    family = _clean(table.getBestFamilyName())
    if not family:
        raise _reject("its name table gives no family name")
    subfamily = _clean(table.getBestSubFamilyName())
    full_name = _clean(table.getBestFullName()) or _clean(f"{family} {subfamily}")
    return family, subfamily, full_name


def _draw(path: Path, sample: str) -> None:
    """Draw the sample with Pillow (FreeType) and with the caption renderer; something must show."""
    try:
        pil_font = ImageFont.truetype(str(path), 64)
        image = Image.new("L", (64 * (len(sample) + 2), 128))
        ImageDraw.Draw(image).text((32, 24), sample, font=pil_font, fill=255, stroke_width=2)
        drawn = image.getbbox() is not None
        advance = pil_font.getlength(sample)
        caption = render_caption(CaptionStyle(), sample.split(), 0, (640, 360), font_file=path)
    except FastClipError:
        raise
    except Exception as e:  # noqa: BLE001 - Pillow and FreeType raise several kinds on damaged fonts
        raise _reject(f"FreeType cannot draw it ({_detail(e)})") from None
    if not drawn:
        raise _reject(f"FreeType draws nothing for {sample!r}")
    if not advance > 0:
        raise _reject(f"its characters have no width, so the words of {sample!r} would be drawn on top of each other")
    if caption.image.getbbox() is None:
        raise _reject(f"the caption renderer draws nothing for {sample!r}")


# ---------------------------------------------------------------------------------- in a worker


def _check_job(path: str) -> Generator[Progress, None, FontFacts]:
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # not a handler inherited from the parent
    signal.alarm(CHECK_SECONDS)  # this process only: the default action ends it, the parent reports it
    logging.getLogger("fontTools").setLevel(logging.CRITICAL)  # what it would warn about, we report or accept
    yield Progress("checking", 0, 1, "checking the font")
    facts = inspect_font(path)
    signal.alarm(0)
    return facts


def check_font_file(path: str | Path) -> FontFacts:
    """:func:`inspect_font` in a worker process: a crash, a hang or an exception in native code
    becomes an ``UnsupportedMedia`` rejection naming the file as damaged; the caller never dies."""
    gen = in_worker(_check_job, str(path))
    try:
        while True:
            next(gen)
    except StopIteration as done:
        return done.value
    except ProcessingFailed as e:
        reason = "took too long to read" if "signal 14" in e.message else "crashed the font reader"
        raise _reject(f"it {reason}; the file is damaged") from None
    finally:
        gen.close()
