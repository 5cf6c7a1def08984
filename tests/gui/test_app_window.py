"""`fastclip-desktop FILE`: the entry point sets the C numeric locale mpv needs, shows the main
window, imports the file named on the command line and opens it, and returns the event loop's code."""

from __future__ import annotations

import locale
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402

from engine.library import Library  # noqa: E402
from fastclip_desktop import app as app_module  # noqa: E402
from fastclip_desktop.main_window import MainWindow  # noqa: E402
from tests import media  # noqa: E402


def test_main_opens_and_imports_the_file_named_and_returns_the_exit_code(qapp, tmp_path, monkeypatch):
    clip = media.make_video(tmp_path / "holiday clip.mp4", duration=2.0)
    monkeypatch.setenv("FASTCLIP_VO", "null")
    shown: list[MainWindow] = []
    real_show = MainWindow.show
    monkeypatch.setattr(MainWindow, "show", lambda self: (shown.append(self), real_show(self)))

    def finish_when_imported():
        with Library() as lib:
            media_row = lib.find_media(clip)
        if media_row is not None and media_row.status == "ready" and shown and shown[0].media is not None:
            shown[0].close()
            qapp.exit(3)
        else:
            QTimer.singleShot(50, finish_when_imported)

    QTimer.singleShot(0, finish_when_imported)
    assert app_module.main(["fastclip-desktop", str(clip)]) == 3

    [w] = shown
    assert w.editor.path == str(clip)
    assert w.windowTitle() == "holiday clip.mp4 — FastClip Desktop"
    assert locale.setlocale(locale.LC_NUMERIC) == "C"
    assert os.environ["LC_NUMERIC"] == "C"
    w.deleteLater()
