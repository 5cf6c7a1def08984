"""The window fits the screen it is on: at 1280x720 and at 1920x1080 (Qt's offscreen platform given
that screen), nothing is cut off (the export panel's summary and cut preview show without
scrolling), the picture is the largest thing, no panel changes its width
because its content changed, the Caption Studio shows every field with its control, and View →
Reset layout brings the default back. Each size runs the real window in its own process
(tests/gui/window_probe.py), since a process has one screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import media

pytestmark = pytest.mark.timeout(180)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    # 16:9, as most recordings are: the picture's share of the window is measured as shown
    return media.make_video(tmp_path_factory.mktemp("geometry") / "panel talk.mp4", duration=4.0,
                            width=640, height=360)


def look(tmp_path, video, width: int, height: int) -> dict:
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "screen", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    out = tmp_path / "seen.json"
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "gui" / "window_probe.py"), str(video), str(out)],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=150)
    assert run.returncode == 0 and out.exists(), run.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_the_window_fits_its_screen_and_the_picture_gets_the_room(tmp_path, video, width, height):
    seen = look(tmp_path, video, width, height)
    sx, sy, sw, sh = seen["screen"]
    x, y, w, h = seen["window"]
    assert sx <= x and sy <= y and x + w <= sx + sw and y + h <= sy + sh  # on the screen
    assert w <= 0.9 * sw + 1 and h <= 0.9 * sh + 1  # at most 90% of it
    picture_w, picture_h = seen["editor"]["picture"]
    assert seen["editor"]["picture_shown_width"] >= 0.5 * w  # the picture: at least half the window's width
    docks = seen["docks"]
    assert picture_w * picture_h > max(d["width"] * d["height"] for d in docks.values() if d["visible"])
    assert docks["jobs"]["height"] <= 90  # compact until something runs
    assert not [n for n, d in docks.items() if d["visible"] and d["cut_off"]]  # nothing cut off
    assert seen["editor"]["buttons_fit"], seen["editor"]["cut_buttons"]  # every label readable
    assert seen["library_elide"] == "ElideMiddle"
    # what Export will make and what its cuts do, read without scrolling; the segments' total whole
    assert [seen["export_texts"][k][1] for k in ("summary", "cut")] == [True, True], seen["export_texts"]
    assert seen["export_texts"]["cut"][0].startswith("3 clips: ")
    assert seen["segments_total"][1], seen["segments_total"]

    # no panel changes its width because its content changed; the Export button stays put
    after = seen["docks_after"]  # (the transcript tab is in front now, where the segments were)
    assert [after[n]["width"] for n in ("library", "export", "transcript", "jobs")] == \
        [docks[n]["width"] for n in ("library", "export", "segments", "jobs")]
    assert seen["export_button"][0] == seen["export_button_after"][0]
    assert seen["export_button"][2].startswith("Export 3 clips")
    assert seen["export_button_after"][1].startswith("Export 1 clip (3 joined)")


@pytest.mark.parametrize(("width", "height", "all_at_once"), [(1280, 720, False), (1920, 1080, True)])
def test_the_caption_studio_shows_every_field_with_its_control(tmp_path, video, width, height, all_at_once):
    seen = look(tmp_path, video, width, height)
    assert all(seen["studio_scrolled"].values()), [n for n, ok in seen["studio_scrolled"].items() if not ok]
    if all_at_once:  # 1920x1080: in two columns, every field without scrolling
        assert seen["studio_columns"] == 2
        assert all(seen["studio_without_scrolling"].values()), \
            [n for n, ok in seen["studio_without_scrolling"].items() if not ok]
    assert all(seen["studio_buttons"].values()), seen["studio_buttons"]
    assert seen["preset_names_cut"] == []
    assert seen["studio_docks_hidden"] == ["library", "export", "segments"]  # the studio takes their room
    assert seen["docks_back"] == ["library", "export", "segments"]  # and gives it back


def test_reset_layout_brings_back_the_default(tmp_path, video):
    seen = look(tmp_path, video, 1280, 720)
    after, default = seen["after_reset"], seen["default"]
    for name in ("library", "export", "segments", "jobs"):
        width, height, visible = after[name]
        assert visible
        assert abs(width - default[name][0]) <= 4 and abs(height - default[name][1]) <= 4, (name, after, default)
