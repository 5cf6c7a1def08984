"""The desktop application's entry point (`fastclip-desktop [FILE...]`).

Sets what must be set before Qt and libmpv start (LC_NUMERIC=C; the library folder chosen in
Settings), creates the QApplication with the app's style sheet, and shows the main window;
files named on the command line are imported and the first one opens at once.

``FASTCLIP_TIMING=1`` prints, to stderr, when the first frame of the first file was shown and
when each seek's frame was (bench/bench_gui.py reads them). ``FASTCLIP_VO=null`` runs the player
without a picture (tests on a display-less machine).
"""

from __future__ import annotations

import locale
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# mpv parses numbers with the C library and refuses to start under a locale whose decimal
# separator is not '.'; set it before Qt reads the environment.
os.environ["LC_NUMERIC"] = "C"

from PySide6.QtWidgets import QApplication  # noqa: E402

APP_NAME = "FastClip Desktop"
STYLE_SHEET = Path(__file__).resolve().parents[1] / "resources" / "style.qss"


def style_sheet() -> str:
    """resources/style.qss (in a bundle, beside the executable's data), or none."""
    candidates = [STYLE_SHEET]
    if getattr(sys, "frozen", False):
        candidates.insert(0, Path(getattr(sys, "_MEIPASS", "")) / "resources" / "style.qss")
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Start the GUI; files named on the command line are imported, the first one opened."""
    os.environ["LC_NUMERIC"] = "C"
    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv)
        argv = app.arguments()  # without the options Qt took for itself
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setStyleSheet(style_sheet())
    # QApplication calls setlocale(LC_ALL, "") on creation; LC_ALL in the environment would
    # override LC_NUMERIC=C, so set it again for mpv.
    locale.setlocale(locale.LC_NUMERIC, "C")

    from .app_settings import AppSettings, apply_library_folder

    settings = AppSettings()
    apply_library_folder(settings)  # before anything opens the library
    from .main_window import MainWindow

    vo = os.environ.get("FASTCLIP_VO")
    window = MainWindow(app_settings=settings, player_options={"vo": vo, "ao": "null"} if vo else None)
    if os.environ.get("FASTCLIP_TIMING") == "1":
        from . import startup_timing

        startup_timing.install(window)
    window.show()
    files = [a for a in argv[1:] if not a.startswith("-")]
    if files:
        window.import_paths(files)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
