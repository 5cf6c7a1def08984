"""`fastclip-desktop FILE`, run as a user runs it (a process of its own, offscreen, no picture or
sound device): it shows the file's first frame, records the file in the library, and exits 0.

FASTCLIP_TIMING=1 (fastclip_desktop/startup_timing.py) makes the app say when the first frame is
shown and then quit by itself, as bench/bench_gui.py uses it.
"""

from __future__ import annotations

import os
import subprocess
import sys

from engine.library import Library
from tests import media


def test_the_app_opens_the_file_named_shows_its_first_frame_and_records_it(tmp_path):
    clip = media.make_video(tmp_path / "holiday clip.mp4", duration=2.0)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FASTCLIP_VO": "null", "FASTCLIP_TIMING": "1",
           "LC_ALL": "de_DE.UTF-8"}  # a decimal comma: the app must still hand mpv a C numeric locale
    run = subprocess.run([sys.executable, "-m", "fastclip_desktop.app", str(clip)], env=env, capture_output=True,
                         text=True, timeout=120, check=False)
    lines = run.stderr.splitlines()
    assert run.returncode == 0, run.stderr[-2000:]
    assert "first-frame" in lines and lines.index("first-frame") < lines.index("done")
    assert "Traceback" not in run.stderr
    with Library() as lib:
        row = lib.find_media(clip)
    assert row is not None and row.filename == "holiday clip.mp4"
