"""The app killed with SIGKILL a second after an edit: the edit is in the library, and the app shows it
when the file opens again. Real app processes (tests/gui/app_driver.py), real mpv, real SQLite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import media

pytestmark = pytest.mark.timeout(180)
DRIVER = Path(__file__).with_name("app_driver.py")
ROOT = Path(__file__).resolve().parents[2]


def start(mode: str, file: Path) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(DRIVER), mode, str(file)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)


def line_starting(proc: subprocess.Popen, prefix: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    proc.kill()
    raise AssertionError(f"the app never printed {prefix!r}")


def test_an_edit_survives_a_kill_of_the_app(tmp_path):
    video = media.make_video(tmp_path / "lecture.mp4", duration=4.0)
    app = start("edit", video)
    try:
        edited = json.loads(line_starting(app, "EDITED "))
        assert edited == [[1.0, 2.5, ""]]
        time.sleep(1.0)
        app.send_signal(signal.SIGKILL)
        app.wait(10)
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == -signal.SIGKILL

    listed = subprocess.run([sys.executable, "-m", "fastclip_desktop.cli", "segments", str(video), "--json"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert listed.returncode == 0, listed.stderr
    assert [[s["start"], s["end"]] for s in json.loads(listed.stdout)["segments"]] == [[1.0, 2.5]]

    again = start("report", video)
    try:
        assert json.loads(line_starting(again, "MARKS ")) == [[1.0, 2.5, ""]]
        assert again.wait(30) == 0
    finally:
        if again.poll() is None:
            again.kill()
