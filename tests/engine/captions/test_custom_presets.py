"""Custom caption presets: cloned, overridden, saved in the library, listed by scope; built-ins read-only."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from pathlib import Path

import pytest

from engine.captions import builtin_presets, get_builtin
from engine.captions.custom import (
    create_preset,
    delete_preset,
    font_names,
    get_preset,
    import_font,
    list_presets,
    resolve_preset,
    update_preset,
)
from engine.captions.fonts import bundled_font_path
from engine.captions.render import render_caption
from engine.errors import Conflict, Gone, InvalidRequest, NotFound
from engine.library import Library, schema
from tests.engine.library.test_library import FakeClock

FONTS = Path(__file__).resolve().parents[3] / "fonts"
PRESET_REF = re.compile(r"^preset:cap_preset_[0-9a-f]{12}$")
KARAOKE = "builtin:short-form-karaoke"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def lib(tmp_path, monkeypatch, clock):
    monkeypatch.setenv("FASTCLIP_HOME", str(tmp_path / "home"))
    with Library(now=clock) as library:
        yield library


def make(lib, clone=KARAOKE, name="Mine", **fields):
    return create_preset(lib, {"name": name, "clone_from_preset_ref": clone, **fields})


# ------------------------------------------------------------------------------------------ create


def test_a_clone_changes_only_what_it_overrides_and_is_saved(lib, tmp_path):
    base = get_builtin("builtin:neon-night")
    p = make(lib, "builtin:neon-night", "Hook", font_size=120, text_color="#FFCC00", uppercase=False)
    assert PRESET_REF.match(p.preset_ref) and p.preset_ref == f"preset:{p.preset_id}"
    assert (p.scope, p.editable, p.name, p.clone_from_preset_ref) == ("custom", True, "Hook", "builtin:neon-night")
    changed = {k for k, v in p.style.to_dict().items() if base.style.to_dict()[k] != v}
    assert changed == {"font_size", "text_color", "uppercase"}
    assert (p.style.font_size, p.style.text_color) == (120, "#ffcc00")  # colours are kept in lower case
    d = p.to_dict()
    assert {"preset_ref", "scope", "name", "editable", "font_name", "font_size", "words_per_caption",
            "highlight_mode", "highlight_color", "position_x", "position_y", "clone_from_preset_ref"} <= set(d)
    assert d["font_source"] == "bundled" and d["font_id"] is None
    with Library(lib.path) as reopened:  # in the file, not in memory
        assert get_preset(p.preset_ref, reopened) == p
        assert get_preset(p.preset_id, reopened) == p  # a bare id works too


def test_a_clone_of_a_custom_preset_keeps_its_changes(lib):
    first = make(lib, font_size=50, stroke_color="#112233")
    second = make(lib, first.preset_ref, "Second", position_y=0.1)
    assert second.clone_from_preset_ref == first.preset_ref
    assert dataclasses.replace(first.style, position_y=0.1) == second.style


def test_highlight_mode_clamps_words_per_caption(lib):
    assert make(lib, words_per_caption=8).style.words_per_caption == 4
    assert make(lib, words_per_caption=8, highlight_mode=False).style.words_per_caption == 8


@pytest.mark.parametrize("fields, field", [
    ({"colour": "#ffffff"}, "colour"),
    ({"text_color": "red"}, "text_color"),
    ({"stroke_color": "#12345"}, "stroke_color"),
    ({"highlight_color": "#gggggg"}, "highlight_color"),
    ({"font_size": 5}, "font_size"),
    ({"font_size": 301}, "font_size"),
    ({"font_size": "big"}, "font_size"),
    ({"position_x": 1.2}, "position_x"),
    ({"position_y": -0.1}, "position_y"),
    ({"stroke_width": 31}, "stroke_width"),
    ({"words_per_caption": 0}, "words_per_caption"),
    ({"max_lines": 3}, "max_lines"),
    ({"effect": "sparkle"}, "effect"),
    ({"uppercase": "yes"}, "uppercase"),
    ({"font_name": "Comic Sans MS"}, "font_name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"scope": "built_in"}, "scope"),
    ({"preset_ref": "preset:mine"}, "preset_ref"),
    ({"font_source": "cloud"}, "font_source"),
    ({"font_source": "upload"}, "font_id"),
    ({"font_id": "font_0000000000000000"}, "font_id"),
])
def test_bad_fields_are_invalid_requests_naming_the_field(lib, fields, field):
    with pytest.raises(InvalidRequest) as e:
        make(lib, **fields)
    assert e.value.field == field and e.value.code == "invalid_request"
    assert list_presets(lib, "custom") == []


def test_name_and_clone_are_required_and_the_clone_must_exist(lib):
    for body, field in (({"clone_from_preset_ref": KARAOKE}, "name"), ({"name": "x"}, "clone_from_preset_ref")):
        with pytest.raises(InvalidRequest) as e:
            create_preset(lib, body)
        assert e.value.field == field
    for ref in ("builtin:no-such-style", "preset:cap_preset_000000000000"):
        with pytest.raises(NotFound) as e:
            make(lib, ref)
        assert e.value.field == "clone_from_preset_ref"
    with pytest.raises(InvalidRequest):
        create_preset(lib, ["not", "an", "object"])


# ---------------------------------------------------------------------------------- list, scope


def test_listing_by_scope(lib):
    a, b = make(lib, name="A"), make(lib, name="B", clone="builtin:cinematic")
    builtins = [p.preset_ref for p in builtin_presets()]
    assert len(builtins) == 16
    assert [p.preset_ref for p in list_presets(lib)] == builtins + [a.preset_ref, b.preset_ref]
    assert [p.preset_ref for p in list_presets(lib, "built_in")] == builtins
    assert [p.preset_ref for p in list_presets(lib, "custom")] == [a.preset_ref, b.preset_ref]
    assert {p.scope for p in list_presets(lib, "built_in")} == {"built_in"}
    assert all(not p.editable for p in list_presets(lib, "built_in"))
    assert all(p.editable and p.scope == "custom" for p in list_presets(lib, "custom"))
    with pytest.raises(InvalidRequest) as e:
        list_presets(lib, "mine")
    assert e.value.field == "scope"


# --------------------------------------------------------------------------- update, delete


def test_update_changes_name_and_fields_and_keeps_the_rest(lib, clock):
    p = make(lib, font_size=60)
    clock.advance(minutes=5)
    q = update_preset(lib, p.preset_ref, {"name": "Renamed", "text_color": "#00ff00"})
    assert (q.name, q.style.text_color, q.style.font_size) == ("Renamed", "#00ff00", 60)
    assert q.created_at == p.created_at and q.updated_at > p.updated_at
    r = update_preset(lib, p.preset_ref, {"name": "Only the name"})
    assert r.style == q.style
    with pytest.raises(InvalidRequest) as e:
        update_preset(lib, p.preset_ref, {"text_color": "green"})
    assert e.value.field == "text_color"
    assert get_preset(p.preset_ref, lib) == r  # a rejected update changes nothing
    for body, field in (({"clone_from_preset_ref": KARAOKE}, "clone_from_preset_ref"), ({}, "preset_ref")):
        with pytest.raises(InvalidRequest) as e:
            update_preset(lib, p.preset_ref, body)
        assert e.value.field == field


def test_built_ins_are_read_only(lib):
    before = get_builtin(KARAOKE)
    with pytest.raises(Conflict) as e:
        update_preset(lib, KARAOKE, {"font_size": 50})
    assert e.value.field == "preset_ref" and "read-only" in e.value.message
    with pytest.raises(Conflict):
        delete_preset(lib, "short-form-karaoke")
    assert get_builtin(KARAOKE) == before and len(list_presets(lib, "built_in")) == 16


def test_delete(lib):
    p = make(lib)
    assert delete_preset(lib, p.preset_ref) == p
    assert list_presets(lib, "custom") == []
    for call in (lambda: get_preset(p.preset_ref, lib), lambda: delete_preset(lib, p.preset_ref),
                 lambda: update_preset(lib, p.preset_ref, {"name": "x"})):
        with pytest.raises(NotFound) as e:
            call()
        assert e.value.field == "preset_ref"


# ------------------------------------------------------------------------------ fonts, resolve


def test_resolve_gives_the_style_and_no_file_for_bundled_fonts(lib):
    style, font_file = resolve_preset(KARAOKE, lib)
    assert style == get_builtin(KARAOKE).style and font_file is None
    p = make(lib, font_name="Anton")
    assert resolve_preset(p.preset_ref, lib) == (p.style, None)


def test_resolve_without_a_library_opens_the_default_one(lib):
    p = make(lib, font_size=99)
    assert resolve_preset(p.preset_ref)[0].font_size == 99  # what the burn-in calls: resolve_preset(ref)


def test_an_imported_font_is_named_by_family_full_name_or_id(lib):
    font = import_font(lib, FONTS / "oswald/Oswald-Bold.ttf")
    by_family = make(lib, font_name="Oswald")
    by_full = make(lib, font_name="oswald bold")
    by_id = make(lib, font_name=font.font_id)
    api = make(lib, font_source="upload", font_id=font.font_id)
    for p in (by_family, by_full, by_id, api):
        assert p.font_id == font.font_id and p.style.font_name == "Oswald"
        assert p.to_dict()["font_source"] == "upload"
        assert resolve_preset(p.preset_ref, lib) == (p.style, Path(font.path))
    assert {"Oswald", "Oswald Bold", font.font_id, "Bangers"} <= font_names(lib)
    with pytest.raises(InvalidRequest) as e:
        make(lib, font_name="Anton", font_id=font.font_id)
    assert e.value.field == "font_name"
    with pytest.raises(InvalidRequest) as e:
        make(lib, font_source="bundled", font_id=font.font_id)
    assert e.value.field == "font_id"


def test_an_imported_font_draws_exactly_like_the_same_bundled_one(lib):
    font = import_font(lib, FONTS / "oswald/Oswald-Bold.ttf")
    imported = make(lib, font_name="Oswald")
    bundled = make(lib, font_name="Oswald Bold")
    style, font_file = resolve_preset(imported.preset_ref, lib)
    a = render_caption(style, ["Same", "pixels", "here"], 1, (1280, 720), font_file=font_file)
    b = render_caption(resolve_preset(bundled.preset_ref, lib)[0], ["Same", "pixels", "here"], 1, (1280, 720))
    assert font_file == Path(font.path) != bundled_font_path("Oswald Bold")
    assert (a.x, a.y) == (b.x, b.y) and a.image.tobytes() == b.image.tobytes()


def test_a_clone_keeps_its_imported_font_and_a_bundled_font_name_drops_it(lib):
    font = import_font(lib, FONTS / "oswald/Oswald-Bold.ttf")
    p = make(lib, font_name="Oswald")
    clone = make(lib, p.preset_ref, "Clone")
    assert clone.font_id == font.font_id
    back = update_preset(lib, clone.preset_ref, {"font_name": "Bangers"})
    assert back.font_id is None and resolve_preset(back.preset_ref, lib)[1] is None


def test_two_imported_fonts_of_one_family_need_their_id(lib, tmp_path):
    original = (FONTS / "anton/Anton-Regular.ttf").read_bytes()
    copy = tmp_path / "Anton copy.ttf"
    copy.write_bytes(original + b"\0\0\0\0")  # another file, the same family
    a, b = import_font(lib, FONTS / "anton/Anton-Regular.ttf"), import_font(lib, copy)
    assert a.font_id != b.font_id and a.family == b.family == "Anton"
    assert make(lib, font_name="Anton").font_id is None  # the bundled Anton comes first...
    with pytest.raises(InvalidRequest) as e:
        make(lib, font_name="anton")  # ...but a name matching two imports is ambiguous
    assert e.value.field == "font_name" and a.font_id in e.value.message and b.font_id in e.value.message
    assert make(lib, font_name=b.font_id).font_id == b.font_id


def test_a_font_in_use_cannot_be_deleted_and_a_lost_font_file_is_gone(lib):
    font = import_font(lib, FONTS / "oswald/Oswald-Bold.ttf")
    p = make(lib, font_name=font.font_id)
    with pytest.raises(Conflict) as e:
        lib.delete_caption_font(font.font_id)
    assert p.preset_ref in e.value.message and e.value.field == "font_id"
    Path(font.path).unlink()
    with pytest.raises(Gone) as e:
        resolve_preset(p.preset_ref, lib)
    assert e.value.field == "font_id"
    update_preset(lib, p.preset_ref, {"font_name": "Anton"})
    lib.delete_caption_font(font.font_id)
    assert lib.list_caption_fonts() == []
    with pytest.raises(sqlite3.IntegrityError):  # the database itself refuses a preset on a missing font
        lib._db.conn.execute("UPDATE caption_presets SET font_id = 'font_gone' WHERE preset_id = ?", (p.preset_id,))


# ---------------------------------------------------------------------------------- migration


def test_an_older_library_file_gains_the_tables(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(schema.migrate, "__defaults__", (schema.MIGRATIONS[:1],))
        with Library(path) as old:
            assert old.schema_version == 1
    with Library(path) as lib:
        assert lib.schema_version == len(schema.MIGRATIONS) >= 2
        tables = {r[0] for r in lib._db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"caption_presets", "caption_fonts"} <= tables
        assert lib.check_integrity() == []
