"""Importing caption fonts: what is accepted, where it goes, and 100+ damaged files that must not hurt.

Damaged and disguised fonts are generated here from the bundled ones (``damaged_fonts``), and
well-formed fonts that are unusable (no cmap, no glyphs, empty outlines, OTF/CFF) with fontTools'
FontBuilder. The other font tests import these helpers.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import signal
import struct
import time
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageDraw, ImageFont

from engine.captions import font_check
from engine.captions.custom import delete_font, import_font, list_fonts
from engine.captions.render import render_caption
from engine.captions.style import CaptionStyle
from engine.errors import InvalidRequest, NotFound, UnsupportedMedia
from engine.library import Library

FONTS = Path(__file__).resolve().parents[3] / "fonts"
SMALL = ["poppins/Poppins-ExtraBold.ttf", "fredoka/Fredoka-Bold.ttf", "bebas-neue/BebasNeue-Regular.ttf",
         "archivo-black/ArchivoBlack-Regular.ttf"]
FONT_ID = re.compile(r"^font_[0-9a-f]{16}$")
LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,!?'"


# ------------------------------------------------------------------------------ font makers


def _tables(data: bytes) -> list[tuple[int, bytes]]:
    """(offset of the table record, tag) for each entry of an sfnt's table directory."""
    n = struct.unpack(">H", data[4:6])[0]
    return [(12 + 16 * i, data[12 + 16 * i: 16 + 16 * i]) for i in range(n)]


def damaged_fonts(folder: Path, seed: int = 20260419) -> list[Path]:
    """102 damaged files made from bundled fonts: empty, truncated at random points, random bit
    flips (in the table directory or anywhere), wrong magic, huge declared table lengths and
    offsets, absurd table counts, zeroed essential tables, scrambled blocks."""
    rng = random.Random(seed)
    out: list[Path] = []
    sources = [(FONTS / s).read_bytes() for s in SMALL]

    def put(name: str, data: bytes) -> None:
        p = folder / f"{len(out):03d}-{name}.ttf"
        p.write_bytes(data)
        out.append(p)

    put("empty", b"")
    for i in range(30):
        d = sources[i % len(sources)]
        cut = rng.choice([rng.randrange(1, 12), rng.randrange(12, 140), rng.randrange(len(d) // 2, len(d)),
                          rng.randrange(1, len(d))])
        put(f"truncated-at-{cut}", d[:cut])
    for i in range(30):
        d = bytearray(sources[i % len(sources)])
        flips, where = rng.choice([1, 2, 5, 20, 100]), rng.choice(["directory", "anywhere"])
        for _ in range(flips):
            pos = rng.randrange(4, 12 + 16 * 12) if where == "directory" else rng.randrange(len(d))
            d[pos] ^= 1 << rng.randrange(8)
        put(f"flipped-{flips}-{where}", bytes(d))
    magics = [b"\0\0\0\0", b"\0\2\0\0", b"OTTO", b"wOFF", b"wOF2", b"ttcf", b"eurt", bytes(rng.randrange(256)
                                                                                      for _ in range(4))]
    for i, magic in enumerate(magics):
        put(f"magic-{magic.hex()}", magic + sources[i % len(sources)][4:])
    for i in range(16):
        d = bytearray(sources[i % len(sources)])
        record, tag = rng.choice(_tables(d))
        what = rng.choice(["length", "offset", "both"])
        if what in ("length", "both"):
            struct.pack_into(">I", d, record + 12, rng.choice([0x7FFFFFFF, 0xFFFFFFFF, len(d) * 4]))
        if what in ("offset", "both"):
            struct.pack_into(">I", d, record + 8, rng.choice([0xFFFFFFF0, len(d) + 100]))
        put(f"huge-{tag.decode('latin-1').strip()}-{what}", bytes(d))
    for i, n in enumerate([0, 0xFFFF, 4096]):
        d = bytearray(sources[i % len(sources)])
        struct.pack_into(">H", d, 4, n)
        put(f"num-tables-{n}", bytes(d))
    for i, victim in enumerate([b"cmap", b"glyf", b"loca", b"name", b"head", b"hhea", b"maxp", b"hmtx"]):
        d = bytearray(sources[i % len(sources)])
        for record, tag in _tables(d):
            if tag == victim:
                offset, length = struct.unpack(">II", d[record + 8: record + 16])
                d[offset:offset + length] = bytes(length)
        put(f"zeroed-{victim.decode()}", bytes(d))
    for i in range(6):
        d = bytearray(sources[i % len(sources)])
        at = rng.randrange(len(d) // 4, len(d) - 16)
        n = min(512, len(d) - at)
        d[at:at + n] = bytes(rng.randrange(256) for _ in range(n))
        put(f"scrambled-at-{at}", bytes(d))
    return out


def build_font(path: Path, *, family="Test Sans", style="Regular", chars=LATIN, cff=False, empty_outlines=False,
               cmap=True) -> Path:
    """A well-formed font with the outlines of Poppins for ``chars`` (TrueType, or CFF when ``cff``)."""
    src = TTFont(FONTS / "poppins/Poppins-ExtraBold.ttf")
    src_cmap, glyphs = src.getBestCmap(), src.getGlyphSet()
    mapping = {ord(c): src_cmap[ord(c)] for c in dict.fromkeys(chars) if ord(c) in src_cmap}
    order = [".notdef", *sorted(set(mapping.values()))]
    fb = FontBuilder(src["head"].unitsPerEm, isTTF=not cff)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(mapping if cmap else {})
    outlines, metrics = {}, {}
    for name in order:
        g = glyphs[name]
        pen = T2CharStringPen(g.width, None) if cff else TTGlyphPen(None)
        if not empty_outlines:
            g.draw(pen)
        outlines[name] = pen.getCharString() if cff else pen.glyph()
        metrics[name] = (g.width, 0)
    if cff:
        fb.setupCFF(family.replace(" ", ""), {"FullName": f"{family} {style}"}, outlines, {})
    else:
        fb.setupGlyf(outlines)
    fb.setupHorizontalMetrics(metrics)
    fb.setupHorizontalHeader(ascent=src["hhea"].ascent, descent=src["hhea"].descent)
    fb.setupNameTable({"familyName": family, "styleName": style})
    fb.setupOS2(sTypoAscender=src["hhea"].ascent, usWinAscent=src["hhea"].ascent,
                usWinDescent=abs(src["hhea"].descent))
    fb.setupPost()
    fb.save(str(path))
    return path


def renders(path: Path) -> bool:
    """Pillow and the caption renderer both draw visible text with the font at ``path``."""
    font = ImageFont.truetype(str(path), 48)
    image = Image.new("L", (800, 100))
    ImageDraw.Draw(image).text((10, 10), "Hamburg 0123", font=font, fill=255)
    caption = render_caption(CaptionStyle(), ["Hamburg", "0123"], 0, (640, 360), font_file=path)
    return image.getbbox() is not None and caption.image.getbbox() is not None


# ----------------------------------------------------------------------------------- fixtures


@pytest.fixture
def lib(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTCLIP_HOME", str(tmp_path / "home"))
    with Library() as library:
        yield library


def rejected(lib, path) -> UnsupportedMedia:
    with pytest.raises(UnsupportedMedia) as e:
        import_font(lib, path)
    assert e.value.field == "file" and e.value.message.startswith("not a usable font: ")
    return e.value


# -------------------------------------------------------------------------------------- tests


def test_a_ttf_is_stored_under_a_generated_name_with_its_family(lib, tmp_path):
    original = FONTS / "oswald/Oswald-Bold.ttf"
    odd = tmp_path / "odd name (v2); rm -rf ~.ttf"
    odd.write_bytes(original.read_bytes())
    font = import_font(lib, odd)
    assert FONT_ID.match(font.font_id)
    stored = Path(font.path)
    assert stored.parent == lib.fonts_dir == Path(os.environ["FASTCLIP_HOME"]) / "fonts"
    assert stored.name == f"{font.font_id}.ttf"  # never a name taken from the file
    assert stored.read_bytes() == original.read_bytes()
    assert (font.family, font.subfamily, font.full_name, font.format) == ("Oswald", "Bold", "Oswald Bold", "ttf")
    assert font.filename == odd.name and font.file_size == original.stat().st_size
    assert font.sha256 == hashlib.sha256(original.read_bytes()).hexdigest() and font.glyph_count > 100
    assert [f.font_id for f in list_fonts(lib)] == [font.font_id]
    assert sorted(p.name for p in lib.fonts_dir.iterdir()) == [stored.name]


def test_the_same_font_again_is_the_same_import(lib):
    first = import_font(lib, FONTS / "anton/Anton-Regular.ttf")
    again = import_font(lib, FONTS / "anton/Anton-Regular.ttf")
    assert again == first and len(list_fonts(lib)) == 1
    Path(first.path).unlink()  # its file was lost: importing it again repairs that
    repaired = import_font(lib, FONTS / "anton/Anton-Regular.ttf")
    assert repaired.font_id != first.font_id and Path(repaired.path).is_file() and len(list_fonts(lib)) == 1


def test_an_otf_with_cff_outlines_is_accepted(lib, tmp_path):
    otf = build_font(tmp_path / "TestSans.otf", family="Test Sans CFF", cff=True)
    assert otf.read_bytes()[:4] == b"OTTO"
    font = import_font(lib, otf)
    assert font.format == "otf" and Path(font.path).name == f"{font.font_id}.otf"
    assert font.family == "Test Sans CFF" and renders(Path(font.path))


def test_size_limit_is_10_mb(lib, tmp_path):
    base = (FONTS / "poppins/Poppins-ExtraBold.ttf").read_bytes()
    at_limit = tmp_path / "at-limit.ttf"
    at_limit.write_bytes(base + bytes(font_check.MAX_FONT_BYTES - len(base)))  # trailing bytes are harmless
    assert at_limit.stat().st_size == 10 * 1024 * 1024
    assert import_font(lib, at_limit).file_size == 10 * 1024 * 1024
    over = tmp_path / "over.ttf"
    over.write_bytes(base + bytes(font_check.MAX_FONT_BYTES - len(base) + 1))
    with pytest.raises(InvalidRequest, match="at most 10 MB") as e:
        import_font(lib, over)
    assert e.value.field == "file"
    assert len(list_fonts(lib)) == 1


def _woff(flavor: str) -> bytes:
    font = TTFont(FONTS / "poppins/Poppins-ExtraBold.ttf")
    font.flavor = flavor
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def _ttc() -> bytes:
    collection = TTCollection()
    collection.fonts = [TTFont(FONTS / "poppins/Poppins-ExtraBold.ttf"), TTFont(FONTS / "fredoka/Fredoka-Bold.ttf")]
    buf = io.BytesIO()
    collection.save(buf)
    return buf.getvalue()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("kind, make, reason", [
    ("png", _png, "a PNG image, not a font"),
    ("woff", lambda: _woff("woff"), "a WOFF web font; convert it to TTF or OTF"),
    ("woff2", lambda: _woff("woff2"), "a WOFF2 web font; convert it to TTF or OTF"),
    ("ttc", _ttc, "a font collection (TTC)"),
    ("zip", lambda: b"PK\x03\x04" + bytes(200), "a ZIP archive"),
    ("text", lambda: b"This is not a font at all.\n" * 10, "does not start with a TrueType or OpenType signature"),
    ("empty", lambda: b"", "the file is empty"),
])
def test_disguised_files_are_rejected_saying_what_they_are(lib, tmp_path, kind, make, reason):
    if kind == "woff2":
        pytest.importorskip("brotli")
    path = tmp_path / f"Disguised-{kind}.ttf"
    path.write_bytes(make())
    assert reason in rejected(lib, path).message
    assert list_fonts(lib) == [] and list(lib.fonts_dir.iterdir()) == []


@pytest.mark.parametrize("options, reason", [
    ({"cmap": False}, "no Unicode character map (cmap)"),
    ({"chars": ""}, "it has no glyphs"),  # .notdef alone
    ({"empty_outlines": True}, "are empty, so captions would be invisible"),
    ({"chars": " "}, "it maps no visible characters"),  # a space only
])
def test_well_formed_but_unusable_fonts_are_rejected(lib, tmp_path, options, reason):
    path = build_font(tmp_path / "unusable.ttf", **options)
    TTFont(path)  # fontTools reads it: it is well formed
    assert reason in rejected(lib, path).message


def test_a_font_without_latin_draws_what_it_has(lib, tmp_path):
    digits = build_font(tmp_path / "digits.ttf", family="Only Digits", chars="0123456789")
    font = import_font(lib, digits)
    assert font.family == "Only Digits" and renders(Path(font.path))


def test_missing_file_and_deleting(lib, tmp_path):
    with pytest.raises(NotFound):
        import_font(lib, tmp_path / "nowhere.ttf")
    font = import_font(lib, FONTS / "bebas-neue/BebasNeue-Regular.ttf")
    assert delete_font(lib, font.font_id) == font
    assert not Path(font.path).exists() and list_fonts(lib) == []
    with pytest.raises(NotFound) as e:
        delete_font(lib, font.font_id)
    assert e.value.field == "font_id"


def _segfault(path):
    os.kill(os.getpid(), signal.SIGSEGV)


def _hang(path):
    time.sleep(30)


@pytest.mark.parametrize("checker, reason", [(_segfault, "crashed the font reader"), (_hang, "took too long")])
def test_a_checker_that_crashes_or_hangs_rejects_the_file_and_the_app_lives_on(lib, monkeypatch, checker, reason):
    import multiprocessing

    from engine import process as worker

    # a forked worker inherits these patches (a forkserver's would not: the suite's process may
    # have threads or a speech model by now, which makes in_worker use one)
    monkeypatch.setattr(worker, "_context", lambda: multiprocessing.get_context("fork"))
    monkeypatch.setattr(font_check, "inspect_font", checker)
    monkeypatch.setattr(font_check, "CHECK_SECONDS", 1)
    started = time.monotonic()
    assert reason in rejected(lib, FONTS / "poppins/Poppins-ExtraBold.ttf").message
    assert time.monotonic() - started < 10
    assert list_fonts(lib) == [] and list(lib.fonts_dir.iterdir()) == []


def test_a_hundred_damaged_fonts_are_each_rejected_with_a_reason_or_work(lib, tmp_path):
    folder = tmp_path / "damaged"
    folder.mkdir()
    files = damaged_fonts(folder)
    assert len(files) >= 100
    outcomes: dict[str, list[str]] = {"accepted": [], "rejected": []}
    for path in files:
        try:
            font = import_font(lib, path)
        except (UnsupportedMedia, InvalidRequest) as e:
            assert e.field == "file", path.name
            assert e.message.startswith("not a usable font: ") and len(e.message) > 30, (path.name, e.message)
            outcomes["rejected"].append(path.name)
            continue
        # harmless damage (a flipped bit in a hint): the font must really work
        assert FONT_ID.match(font.font_id) and renders(Path(font.path)), path.name
        outcomes["accepted"].append(path.name)
    assert len(outcomes["rejected"]) >= 80, outcomes["accepted"]
    for kind in ("empty", "truncated", "magic", "huge", "num-tables", "zeroed-cmap", "zeroed-glyf"):
        assert any(kind in name for name in outcomes["rejected"]), kind
    # only what was accepted is in the fonts folder: no temp files, nothing half-written
    stored = sorted(p.name for p in lib.fonts_dir.iterdir())
    assert stored == sorted(Path(f.path).name for f in list_fonts(lib))
    assert len(stored) == len({hashlib.sha256(p.read_bytes()).digest() for p in files
                               if p.name in outcomes["accepted"]})
    assert lib.check_integrity() == []
