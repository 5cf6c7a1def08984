"""The desktop application's entry point (`fastclip-desktop`).

An early build: one window that lists the media files you open or drop on it,
with their size. Playback, clipping and captions arrive in later builds; this
module calls no engine code yet.
"""

from __future__ import annotations

import locale
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

# mpv parses numbers with the C library and refuses to start under a locale
# whose decimal separator is not '.'; set it before Qt reads the environment.
os.environ["LC_NUMERIC"] = "C"

from PySide6.QtCore import QMimeData, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QAction,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QFileDialog,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

APP_NAME = "FastClip Desktop"

EARLY_BUILD_TEXT = (
    "This is an early build of FastClip Desktop. For now it only lists the media "
    "files you open or drop here, with their size: playback, clipping and captions "
    "are not in this build yet."
)


def describe_size(size: int) -> str:
    """A file size as a person reads it: '1.2 MB (1,234,567 bytes)'."""
    exact = f"{size:,} byte" + ("" if size == 1 else "s")
    if size < 1000:
        return exact
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            return f"{value:.1f} {unit} ({exact})"
    raise AssertionError("unreachable")


def local_files(mime: QMimeData) -> list[Path]:
    """The local files (not folders, not remote URLs) a drag or paste carries."""
    if not mime.hasUrls():
        return []
    paths = (Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile())
    return [path for path in paths if path.is_file()]


class MainWindow(QMainWindow):
    """The early-build window: an explanation, an open button and the file list."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.resize(720, 460)

        self.notice = QLabel(EARLY_BUILD_TEXT)
        self.notice.setWordWrap(True)

        self.open_action = QAction("&Open media…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_files)
        self.addAction(self.open_action)
        self.menuBar().addMenu("&File").addAction(self.open_action)

        self.open_button = QPushButton("Open media…")
        self.open_button.setToolTip(f"Open media files ({self.open_action.shortcut().toString()})")
        self.open_button.clicked.connect(self.open_action.trigger)

        self.hint = QLabel("…or drop media files anywhere on this window.")
        self.file_list = QListWidget()
        self.file_list.setAlternatingRowColors(True)

        layout = QVBoxLayout()
        layout.addWidget(self.notice)
        layout.addWidget(self.open_button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.hint)
        layout.addWidget(self.file_list, stretch=1)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)
        self.statusBar().showMessage("No media opened yet.")

        self._listed: list[Path] = []

    # -- what a user sees -------------------------------------------------

    @property
    def listed_files(self) -> list[Path]:
        return list(self._listed)

    def add_files(self, paths: Iterable[Path | str]) -> int:
        """List each readable file once, with its size; returns how many were new."""
        added = 0
        for raw in paths:
            path = Path(raw).absolute()
            if path in self._listed:
                continue
            try:
                if not path.is_file():
                    self.statusBar().showMessage(f"Not a file: {path}")
                    continue
                size = path.stat().st_size
            except OSError as error:
                self.statusBar().showMessage(f"Cannot read {path}: {error.strerror}")
                continue
            self._listed.append(path)
            self.file_list.addItem(f"{path}  —  {describe_size(size)}")
            added += 1
        if added:
            count = len(self._listed)
            self.statusBar().showMessage(f"{count} file{'s' if count != 1 else ''} listed.")
        return added

    def open_mime(self, mime: QMimeData) -> int:
        """What a drop does: list the local files in ``mime``."""
        return self.add_files(local_files(mime))

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Open media",
            "",
            "Media files (*.mp4 *.mkv *.mov *.webm *.avi *.m4v *.ts *.mp3 *.m4a *.wav "
            "*.flac *.ogg *.opus *.aac);;All files (*)",
        )
        self.add_files(paths)

    # -- drag and drop ----------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        if self.open_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()


def main(argv: Sequence[str] | None = None) -> int:
    """Start the GUI; files named on the command line are listed at once."""
    os.environ["LC_NUMERIC"] = "C"
    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv)
        argv = app.arguments()  # without the options Qt took for itself
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    # QApplication calls setlocale(LC_ALL, "") on creation; LC_ALL in the
    # environment would override LC_NUMERIC=C, so set it again for mpv.
    locale.setlocale(locale.LC_NUMERIC, "C")

    window = MainWindow()
    window.add_files(argv[1:])
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
