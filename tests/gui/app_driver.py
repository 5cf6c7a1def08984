"""The desktop app as its own process, driven as a user would, for tests that kill it.

    python tests/gui/app_driver.py edit FILE     # open FILE, mark 1.0-2.5 with I, O, Enter; print
                                                 # "EDITED <json>" and keep running (until killed)
    python tests/gui/app_driver.py report FILE   # open FILE; print "MARKS <json>" (what the editor
                                                 # shows) and quit

The window is made as ``fastclip_desktop.app.main`` makes it (settings, library folder, style
sheet), with the picture and sound off (``FASTCLIP_VO=null``, ao null) and Qt offscreen.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> int:
    mode, file = sys.argv[1], str(Path(sys.argv[2]).resolve())
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["LC_NUMERIC"] = "C"
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from fastclip_desktop.app import style_sheet
    from fastclip_desktop.app_settings import AppSettings, apply_library_folder
    from fastclip_desktop.main_window import MainWindow

    app.setStyleSheet(style_sheet())
    settings = AppSettings()
    apply_library_folder(settings)
    window = MainWindow(app_settings=settings, player_options={"vo": "null", "ao": "null"}, workers=1)
    window.show()
    window.import_paths([file])
    state = {"step": "wait"}

    def ready() -> bool:
        s = window.session
        return (s is not None and s.path == file and s.file_id is not None and window.editor.shown == file
                and window.editor.model.duration > 0 and not window.editor.controller.seeking)

    def marks() -> list:
        return [[round(s.start, 3), round(s.end, 3), s.label] for s in window.editor.model.ordered()]

    def key(k) -> None:
        QTest.keyClick(window.editor.timeline, k)

    def step() -> None:
        e = window.editor
        if state["step"] == "wait" and ready():
            if mode == "report":
                print("MARKS " + json.dumps(marks()), flush=True)
                window.close()
                app.quit()
                return
            e.controller.seek(1.0, exact=True)
            state["step"] = "in"
        elif state["step"] == "in" and not e.controller.seeking:
            key(Qt.Key.Key_I)
            e.controller.seek(2.5, exact=True)
            state["step"] = "out"
        elif state["step"] == "out" and not e.controller.seeking:
            key(Qt.Key.Key_O)
            key(Qt.Key.Key_Return)
            print("EDITED " + json.dumps(marks()), flush=True)
            state["step"] = "idle"  # and wait to be killed

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(50)
    QTimer.singleShot(60_000, lambda: (print("TIMEOUT", state, flush=True), app.exit(3)))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
