"""`fastclip presets` and `fastclip fonts` as a user runs them: real processes, a real library, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from engine.captions import builtin_presets, get_builtin
from engine.captions.preview import render_preview
from engine.library import Library
from engine.media.probe import probe
from tests import media
from tests.engine.captions.test_fonts_import import build_font, damaged_fonts

CLI = [sys.executable, "-m", "fastclip_desktop.cli"]
FONTS = Path(__file__).resolve().parents[2] / "fonts"


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def fastclip(home):
    def run(*args, stdin=None):
        env = {**os.environ, "FASTCLIP_HOME": str(home)}
        return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=env, input=stdin,
                              check=False, timeout=120)

    return run


def ok(r) -> subprocess.CompletedProcess:
    assert r.returncode == 0, r.stderr
    return r


def rejected(r, code: str, field: str) -> str:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith(f"fastclip: {code} [{field}]: "), r.stderr
    return r.stderr


def test_list_show_and_scopes(fastclip):
    text = ok(fastclip("presets", "list")).stdout
    assert [line.split()[0] for line in text.splitlines()] == [p.preset_ref for p in builtin_presets()]
    assert all(line.rstrip().endswith("read-only") for line in text.splitlines())
    listed = json.loads(ok(fastclip("presets", "list", "--scope", "built_in", "--json")).stdout)
    assert listed == [p.to_dict() for p in builtin_presets()]
    assert json.loads(ok(fastclip("presets", "list", "--scope", "custom", "--json")).stdout) == []
    shown = json.loads(ok(fastclip("presets", "show", "builtin:short-form-karaoke", "--json")).stdout)
    assert {k: shown[k] for k in ("font_name", "font_size", "words_per_caption", "highlight_color", "position_x",
                                  "position_y", "editable", "scope")} == {
        "font_name": "Bangers", "font_size": 77, "words_per_caption": 3, "highlight_color": "#fcea2a",
        "position_x": 0.5, "position_y": 0.92, "editable": False, "scope": "built_in"}
    assert "font_name           Bangers" in ok(fastclip("presets", "show", "builtin:short-form-karaoke")).stdout
    rejected(fastclip("presets", "show", "builtin:nope"), "not_found", "preset_ref")
    assert fastclip("presets", "list", "--scope", "mine").returncode == 2  # argparse refuses it


def test_create_update_delete(fastclip, tmp_path):
    r = ok(fastclip("presets", "create", "--name", "My Hook", "--clone", "builtin:bold-pop", "--set", "font_size=90",
                    "--set", "text_color=#FF0000", "--set", "uppercase=false", "--json"))
    p = json.loads(r.stdout)
    base = get_builtin("builtin:bold-pop").style.to_dict()
    assert p["preset_ref"].startswith("preset:cap_preset_") and p["scope"] == "custom" and p["editable"] is True
    assert p["clone_from_preset_ref"] == "builtin:bold-pop" and p["name"] == "My Hook"
    assert {k for k in base if p[k] != base[k]} == {"font_size", "text_color", "uppercase"}
    ref = p["preset_ref"]
    listed = json.loads(ok(fastclip("presets", "list", "--scope", "custom", "--json")).stdout)
    assert [x["preset_ref"] for x in listed] == [ref]
    assert len(json.loads(ok(fastclip("presets", "list", "--json")).stdout)) == 17
    assert ok(fastclip("presets", "list", "--scope", "custom")).stdout.split()[0] == ref

    body = tmp_path / "body.json"
    body.write_text(json.dumps({"name": "From a file", "clone_from_preset_ref": ref, "position_y": 0.1}))
    q = json.loads(ok(fastclip("presets", "create", "--body", body, "--set", "stroke_width=2", "--json")).stdout)
    assert (q["name"], q["font_size"], q["position_y"], q["stroke_width"]) == ("From a file", 90, 0.1, 2)
    piped = ok(fastclip("presets", "create", "--body", "-", "--json",
                        stdin=json.dumps({"name": "Piped", "clone_from_preset_ref": "builtin:cinematic"})))
    assert json.loads(piped.stdout)["clone_from_preset_ref"] == "builtin:cinematic"

    u = json.loads(ok(fastclip("presets", "update", ref, "--set", "highlight_color=#00ffaa", "--name", "Renamed",
                               "--json")).stdout)
    assert (u["name"], u["highlight_color"], u["font_size"]) == ("Renamed", "#00ffaa", 90)
    assert json.loads(ok(fastclip("presets", "show", ref, "--json")).stdout) == u
    assert "Renamed" in ok(fastclip("presets", "update", ref, "--set", "max_lines=2")).stdout

    assert ok(fastclip("presets", "delete", ref)).stdout.startswith(f"deleted {ref}")
    rejected(fastclip("presets", "show", ref), "not_found", "preset_ref")
    rejected(fastclip("presets", "delete", ref), "not_found", "preset_ref")


@pytest.mark.parametrize("args, code, field", [
    (["create", "--name", "x", "--clone", "builtin:bold-pop", "--set", "text_color=red"], "invalid_request",
     "text_color"),
    (["create", "--name", "x", "--clone", "builtin:bold-pop", "--set", "glow_strength=3"], "invalid_request",
     "glow_strength"),
    (["create", "--name", "x", "--clone", "builtin:bold-pop", "--set", "font_size=1000"], "invalid_request",
     "font_size"),
    (["create", "--name", "x", "--clone", "builtin:bold-pop", "--set", "position_x=2"], "invalid_request",
     "position_x"),
    (["create", "--name", "x", "--clone", "builtin:bold-pop", "--set", "font_name=Nope"], "invalid_request",
     "font_name"),
    (["create", "--name", "x", "--clone", "builtin:bold-pop", "--set", "oops"], "invalid_request", "oops"),
    (["create", "--name", "x"], "invalid_request", "clone_from_preset_ref"),
    (["create", "--name", "x", "--clone", "preset:cap_preset_ffffffffffff"], "not_found", "clone_from_preset_ref"),
    (["create", "--body", "/nonexistent/body.json"], "invalid_request", "body"),
    (["update", "builtin:short-form-karaoke", "--set", "font_size=50"], "conflict", "preset_ref"),
    (["delete", "builtin:short-form-karaoke"], "conflict", "preset_ref"),
])
def test_rules_are_rejected_naming_the_field(fastclip, args, code, field):
    rejected(fastclip("presets", *args), code, field)
    assert json.loads(ok(fastclip("presets", "list", "--scope", "custom", "--json")).stdout) == []


def test_preview_is_the_renderer_s_image(fastclip, tmp_path):
    out = tmp_path / "karaoke.png"
    assert ok(fastclip("presets", "preview", "builtin:short-form-karaoke", "-o", out, "--size", "640x360",
                       "--text", "Preview pixels match")).stdout.strip() == str(out)
    expected = render_preview(get_builtin("builtin:short-form-karaoke").style, None, "Preview pixels match", (640, 360))
    with Image.open(out) as got:
        assert got.size == (640, 360) and got.format == "PNG"
        assert got.convert("RGB").tobytes() == expected.tobytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["karaoke.png"]  # no temp file left
    default = tmp_path / "default.png"
    ok(fastclip("presets", "preview", "builtin:top-headline", "-o", default))
    with Image.open(default) as img:
        assert img.size == (1920, 1080)
    rejected(fastclip("presets", "preview", "builtin:top-headline", "-o", tmp_path / "x.gif"), "invalid_request",
             "out")
    rejected(fastclip("presets", "preview", "builtin:top-headline", "-o", tmp_path / "x.png", "--text", " "),
             "invalid_request", "text")


def test_preview_over_a_frame_of_a_video(fastclip, tmp_path, home):
    """The generated video carries its frame number as a barcode in its top rows; a bottom caption
    leaves it readable, so the preview shows which frame it was drawn over."""
    video = media.make_video(tmp_path / "talk.mp4", duration=2.0)  # 320x240, 30 fps
    out = tmp_path / "frame.png"
    ok(fastclip("presets", "preview", "builtin:short-form-karaoke", "-o", out, "--frame", f"{video}@1.5"))
    with Image.open(out) as img:
        assert img.size == (320, 240)  # the frame's own size
        assert media.read_barcode(av.VideoFrame.from_image(img.convert("RGB"))) == 45
        bottom = np.asarray(img.convert("RGB"))[180:]
    plain = tmp_path / "plain.png"
    ok(fastclip("presets", "preview", "builtin:short-form-karaoke", "-o", plain, "--frame", f"{video}@0.5"))
    with Image.open(plain) as img:
        assert media.read_barcode(av.VideoFrame.from_image(img.convert("RGB"))) == 15
    assert bottom.std() > 20  # a caption was drawn over the frame's bottom
    with Library(home / "library.db") as lib:  # a library import works as SOURCE too
        media_row = lib.add_media(video)
        lib.mark_media_ready(media_row.file_id, probe(video))
    ok(fastclip("presets", "preview", "builtin:short-form-karaoke", "-o", plain, "--frame",
                f"{media_row.file_id}@1"))
    with Image.open(plain) as img:
        assert media.read_barcode(av.VideoFrame.from_image(img.convert("RGB"))) == 30
    rejected(fastclip("presets", "preview", "builtin:top-headline", "-o", out, "--frame", f"{video}@99"),
             "invalid_request", "frame")
    rejected(fastclip("presets", "preview", "builtin:top-headline", "-o", out, "--frame", "no-time"),
             "invalid_request", "frame")
    rejected(fastclip("presets", "preview", "builtin:top-headline", "-o", out, "--frame",
                      f"{tmp_path / 'missing.mp4'}@1"), "not_found", "source")


def test_fonts_add_list_delete_and_use_in_a_preset(fastclip, tmp_path, home):
    added = json.loads(ok(fastclip("fonts", "add", FONTS / "oswald/Oswald-Bold.ttf", "--json")).stdout)
    font_id = added["font_id"]
    assert added["family"] == "Oswald" and added["format"] == "ttf"
    assert Path(added["path"]) == home / "fonts" / f"{font_id}.ttf"
    otf = json.loads(ok(fastclip("fonts", "add", build_font(tmp_path / "t.otf", family="Cff Test", cff=True),
                                 "--json")).stdout)
    assert otf["format"] == "otf"
    listed = json.loads(ok(fastclip("fonts", "list", "--json")).stdout)
    assert [f["font_id"] for f in listed] == [font_id, otf["font_id"]]
    assert font_id in ok(fastclip("fonts", "list")).stdout

    p = json.loads(ok(fastclip("presets", "create", "--name", "Mine", "--clone", "builtin:short-form-karaoke",
                               "--set", "font_name=Oswald", "--json")).stdout)
    assert (p["font_id"], p["font_source"], p["font_name"]) == (font_id, "upload", "Oswald")
    out = tmp_path / "mine.png"
    ok(fastclip("presets", "preview", p["preset_ref"], "-o", out, "--size", "640x360"))
    bangers = tmp_path / "bangers.png"
    ok(fastclip("presets", "preview", "builtin:short-form-karaoke", "-o", bangers, "--size", "640x360"))
    with Image.open(out) as a, Image.open(bangers) as b:
        assert a.tobytes() != b.tobytes()  # the imported font is the one drawn

    rejected(fastclip("fonts", "delete", font_id), "conflict", "font_id")
    ok(fastclip("presets", "delete", p["preset_ref"]))
    assert ok(fastclip("fonts", "delete", font_id)).stdout.startswith(f"deleted {font_id}")
    assert not (home / "fonts" / f"{font_id}.ttf").exists()
    rejected(fastclip("fonts", "delete", font_id), "not_found", "font_id")


def test_damaged_fonts_through_the_real_command(fastclip, tmp_path, home):
    folder = tmp_path / "damaged"
    folder.mkdir()
    files = damaged_fonts(folder)
    picks = [f for f in files if any(k in f.name for k in ("empty", "truncated-at-1", "magic-774f4632", "huge-",
                                                           "zeroed-cmap", "num-tables-65535"))][:8]
    assert len(picks) >= 5
    for path in picks:
        r = fastclip("fonts", "add", path)
        assert r.returncode == 2, (path.name, r.stdout, r.stderr)
        assert r.stderr.startswith("fastclip: unsupported_media [file]: not a usable font: "), r.stderr
        assert "Traceback" not in r.stderr
    png = tmp_path / "photo.ttf"
    Image.new("RGB", (8, 8)).save(png, "PNG")
    assert "a PNG image, not a font" in rejected(fastclip("fonts", "add", png), "unsupported_media", "file")
    rejected(fastclip("fonts", "add", tmp_path / "missing.ttf"), "not_found", "file")
    assert json.loads(ok(fastclip("fonts", "list", "--json")).stdout) == []
    assert list((home / "fonts").iterdir()) == []


def test_the_readme_shows_every_built_in_preset():
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Caption presets"):]
    pngs = sorted((root / "docs" / "presets").glob("*.png"))
    assert sorted(p.stem for p in pngs) == sorted(p.slug for p in builtin_presets())
    for p in builtin_presets():
        assert f"](docs/presets/{p.slug}.png)" in section and f"`builtin:{p.slug}`" in section
        with Image.open(root / "docs" / "presets" / f"{p.slug}.png") as img:
            assert img.size == (960, 540)
    assert sum(p.stat().st_size for p in pngs) < 3 * 1024 * 1024
