"""The main window: it composes the panels and connects their signals; it holds no rule of its own.

    Library (left dock) | [Editor | Caption Studio] tabs in the middle | Export / Transcript
                        | editor: picture, transport, timeline, segments | (right docks, tabbed)
                        Jobs (bottom dock)

Files and folders dropped on the window, or opened with Ctrl+O, are imported through the job
queue (probed in a worker) and the first one opens in the editor at once: it plays while its
import, keyframes, thumbnails and waveform arrive. The export panel gets the open import's
MediaInfo (probed by the job runner's worker) and the editor's segments; its requests go to the
job queue, whose refusals come back to it. The window's layout is saved in desktop.ini.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QScrollArea, QTabWidget, QWidget

from engine.errors import FastClipError
from engine.library import Library, Media

from .app_settings import AppSettings
from .caption_studio.panel import CaptionStudio
from .editor.editor_view import EditorView
from .export_panel.panel import ExportPanel
from .job_queue import JobQueue
from .jobs_panel.panel import JobsPanel
from .library_panel.panel import LibraryPanel
from .settings_dialog import SettingsDialog
from .transcript_panel.panel import TranscriptPanel
from .worker_adapter import WorkerAdapter

APP_NAME = "FastClip Desktop"
OPEN_FILTER = ("Media files (*.mp4 *.mov *.avi *.mkv *.webm *.m4v *.flv *.mp3 *.wav *.aac *.flac *.ogg "
               "*.m4a *.wma);;All files (*)")
POSITION_TO_TRANSCRIPT_MS = 100  # the current word follows playback this often


def local_paths(mime: QMimeData) -> list[Path]:
    """The local files and folders a drag or paste carries (not remote URLs)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


class MainWindow(QMainWindow):
    def __init__(self, *, app_settings: AppSettings | None = None, player_options: dict | None = None,
                 workers: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.app_settings = app_settings or AppSettings()
        self.library = Library()  # the GUI thread's connection: quick reads and edits
        self.adapter = WorkerAdapter(max_threads=3, parent=self)
        self.jobs = JobQueue(workers=workers, parent=self)

        self.editor = EditorView(self.adapter, player_options=player_options)
        self.library_panel = LibraryPanel(self.library, self.adapter)
        self.export_panel = ExportPanel(self.library)
        self.jobs_panel = JobsPanel(self.jobs, self.library)
        self.caption_studio = CaptionStudio(self.library, self.adapter)
        self.transcript_panel = TranscriptPanel(self.adapter, self.library)
        self.tabs = QTabWidget()  # the Caption Studio is a design surface: it gets the middle too
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.editor, "Editor")
        self.studio_page = QScrollArea()  # on a small screen it scrolls rather than widen the window
        self.studio_page.setWidget(self.caption_studio)
        self.studio_page.setWidgetResizable(True)
        self.studio_page.setFrameShape(QScrollArea.Shape.NoFrame)
        self.tabs.addTab(self.studio_page, "Caption Studio")
        self.setCentralWidget(self.tabs)
        self.docks = {
            "library": self._dock("Library", self.library_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
            "export": self._dock("Export", self.export_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            "transcript": self._dock("Transcript", self.transcript_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            "jobs": self._dock("Jobs", self.jobs_panel, Qt.DockWidgetArea.BottomDockWidgetArea),
        }
        self.tabifyDockWidget(self.docks["export"], self.docks["transcript"])
        self.docks["export"].raise_()
        self._menus()

        self.media: Media | None = None  # the open file's import, once it is known
        self._opening: str | None = None  # the path the editor shows
        self._waiting_imports: dict[str, str] = {}  # import job_id -> path, for the open file
        self._connect()
        self._position_timer = QTimer(self)
        self._position_timer.setInterval(POSITION_TO_TRANSCRIPT_MS)
        self._position_timer.timeout.connect(
            lambda: self.transcript_panel.set_position(self.editor.controller.position))
        self._position_timer.start()
        self._restore_layout()
        self.statusBar().showMessage("Open a file (Ctrl+O) or drop files or folders here.")

    # -- composition --------------------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")  # saveState needs names
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _menus(self) -> None:
        self.open_action = QAction("&Open media…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_files)
        settings = QAction("&Settings…", self)
        settings.setShortcut(QKeySequence.StandardKey.Preferences)
        settings.triggered.connect(self.open_settings)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([self.open_action, settings])
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        undo = self.editor.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.editor.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addActions([undo, redo])
        view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        self.addActions([self.open_action, settings, quit_action, undo, redo])

    def _connect(self) -> None:
        e, j = self.editor, self.jobs
        e.opened.connect(self._opened)
        e.segments_changed.connect(self.export_panel.set_segments)
        # one cut mode: the editor's (it snaps segment edges) and the export panel's follow each other
        e.set_mode(self.export_panel.model.choice("mode"))
        e.mode_changed.connect(self._editor_mode)
        unsubscribe = self.export_panel.model.subscribe(lambda _what: self._export_mode())
        self.destroyed.connect(lambda: unsubscribe())
        j.imported.connect(lambda results, _token: self._imported(results))
        j.job_updated.connect(self._job_updated)
        j.media_info_ready.connect(self._media_info)
        j.media_info_failed.connect(lambda _file_id, e: self.statusBar().showMessage(str(e), 10000))
        j.submit_failed.connect(lambda error, _token: self.export_panel.show_error(error))
        j.submitted.connect(lambda jobs, _token: self.statusBar().showMessage(
            f"Queued {len(jobs)} export job{'s' if len(jobs) != 1 else ''}.", 5000))
        self.export_panel.export_requested.connect(self.jobs.submit)
        self.jobs_panel.job_completed.connect(lambda _update: self.library_panel.refresh())
        self.library_panel.open_requested.connect(self.open_path)
        self.transcript_panel.seek_requested.connect(lambda t: e.controller.seek(t, exact=True))
        self.transcript_panel.segment_requested.connect(e.add_segment)
        self.caption_studio.preset_chosen.connect(self._use_preset)
        self.tabs.currentChanged.connect(lambda i: self._studio_shown(self.tabs.widget(i) is self.studio_page))

    def _editor_mode(self, mode: str) -> None:
        if self.export_panel.model.choice("mode") != mode:
            self.export_panel.model.choose("mode", mode)

    def _export_mode(self) -> None:
        mode = self.export_panel.model.choice("mode")
        if mode and mode != self.editor.model.mode:
            self.editor.set_mode(mode)

    # -- opening and importing ----------------------------------------------------------------------

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open media", "", OPEN_FILTER)
        if paths:
            self.import_paths(paths)

    def import_paths(self, paths: Iterable[str | Path], *, open_first: bool = True) -> None:
        """Import files and folders; the first file opens in the editor at once."""
        paths = [Path(p) for p in paths]
        if not paths:
            return
        first = next((p for p in paths if p.is_file()), None)
        if open_first and first is not None:
            self.open_path(str(first))
        self.jobs.import_paths([str(p) for p in paths])
        self.statusBar().showMessage(f"Importing {len(paths)} item{'s' if len(paths) != 1 else ''}…")

    def open_path(self, path: str) -> None:
        """Show ``path`` in the editor, and find (or make) its import for exporting."""
        path = str(Path(path).absolute())
        self._opening = path
        self.media = None
        self.export_panel.set_media(None, None)
        self.editor.open(path)
        self.transcript_panel.set_source(path)
        media = self.library.find_media(path)
        if media is not None and media.status == "ready":
            self._ready(media)

    def _opened(self, path: str) -> None:
        self.caption_studio.set_source(path, 0.0)
        self.setWindowTitle(f"{Path(path).name} — {APP_NAME}")

    def _use_preset(self, ref: str) -> None:
        self.export_panel.set_caption_preset(ref)
        self.docks["export"].show()
        self.docks["export"].raise_()
        self.statusBar().showMessage(f"Exports will be captioned with {ref}.", 5000)

    def _studio_shown(self, visible: bool) -> None:
        """The Caption Studio previews over the frame the editor is on."""
        if visible and self.editor.path:
            self.caption_studio.set_source(self.editor.path, self.editor.controller.position)

    def _imported(self, results: list) -> None:
        for r in results:
            if isinstance(r, FastClipError):
                self.statusBar().showMessage(str(r), 10000)
            elif r.path == self._opening and r.status == "ready":
                self._ready(r)
        self.library_panel.refresh()

    def _job_updated(self, update) -> None:
        if update.kind != "import" or not update.ended:
            return
        self.library_panel.refresh()
        if self._opening is None or self.media is not None:
            return
        media = self.library.find_media(self._opening)
        if media is None or media.file_id != update.file_id:
            return
        if media.status == "ready":
            self._ready(media)
        else:
            self.statusBar().showMessage(f"{media.filename} cannot be clipped: {media.error}", 15000)

    def _ready(self, media: Media) -> None:
        self.media = media
        self.jobs.media_info(media.file_id)

    def _media_info(self, file_id: str, info) -> None:
        if self.media is not None and self.media.file_id == file_id:
            self.export_panel.set_media(file_id, info)

    # -- settings and layout ------------------------------------------------------------------------

    def open_settings(self) -> None:
        SettingsDialog(self.library, self.app_settings, self).exec()

    def _restore_layout(self) -> None:
        geometry, state = self.app_settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1560, 960)
        if state is None or not self.restoreState(state):
            QTimer.singleShot(0, self._default_dock_sizes)  # once shown: before, there is no room to share

    def _default_dock_sizes(self) -> None:
        self.resizeDocks([self.docks["library"], self.docks["export"]], [460, 400], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["jobs"]], [190], Qt.Orientation.Vertical)

    # -- drag and drop ------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = local_paths(event.mimeData())
        if paths:
            self.import_paths(paths)
            event.acceptProposedAction()
        else:
            event.ignore()

    # -- closing ------------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:  # noqa: N802
        self.app_settings.save_window_state(self.saveGeometry(), self.saveState())
        self._position_timer.stop()
        self.library_panel.stop()
        self.caption_studio.shutdown()
        self.editor.close_player()
        self.jobs.close()
        self.adapter.shutdown()
        self.library.close()
        super().closeEvent(event)
