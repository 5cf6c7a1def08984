"""The main window: it composes the panels and connects their signals; it holds no rule of its own.

    Library  | [Editor | Caption Studio] tabs in the middle | Export (right, top)
    (left)   | editor: messages, picture, transport,         | Segments / Moments / Transcript (tabs)
             | timeline                                      |
                            Jobs (bottom, compact until something runs)

Files and folders dropped on the window, or opened with Ctrl+O, are imported through the job
queue (probed in a worker) and the first one opens in the editor at once. Each file's work (its
segments, marks, cut mode, export choices, playhead, zoom and undo history) is an ``EditSessions``
session, saved to the library as it changes and put back when the file opens again, in this run
or a later one. Opening a file that cannot be opened leaves everything as it was and says why in
the editor. The export panel gets the open import's MediaInfo (probed by the job runner's worker),
the editor's segments and its keyframe index; its requests go to the job queue, whose refusals come
back to it. The segment list gets the MediaInfo and the export's settings, so both show the same
cut preview (what each cut re-encodes, where a keyframe cut starts). The moments panel searches the
open import; its moments are drawn in the timeline's lane of moments, a click on one (in the list or
the lane) plays it, and what it adds goes through the editor's undo.
Where the panels go and how big the window is: ``window_docks`` (with the numbers in
``window_layout``); the layout is saved in desktop.ini, and View → Reset layout brings the default
back. The menu bar: ``window_menus``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QScrollArea, QTabWidget, QWidget

from engine import Dispatcher, FastClipError, Library, Media

from .app_settings import AppSettings
from .caption_studio.panel import CaptionStudio
from .editor.editor_view import EditorView
from .editor.sessions import EditSessions, SourceSession
from .export_panel.panel import ExportPanel
from .job_queue import JobQueue
from .jobs_panel.panel import JobsPanel
from .library_panel.panel import LibraryPanel
from .local_api import LocalApi
from .moments_panel.panel import MomentsPanel
from .settings_dialog import SettingsDialog
from .transcript_panel.panel import TranscriptPanel
from .window_docks import WindowDocks
from .window_layout import MIN_WINDOW
from .window_menus import add_menus
from .worker_adapter import WorkerAdapter

APP_NAME = "FastClip Desktop"
OPEN_FILTER = ("Media files (*.mp4 *.mov *.avi *.mkv *.webm *.m4v *.flv *.mp3 *.wav *.aac *.flac *.ogg "
               "*.m4a *.wma);;All files (*)")
POSITION_TO_TRANSCRIPT_MS = 100  # the current word follows playback this often
STATUS_MS = 5000  # the status bar's notes go away: it never shows stale work


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
        self.setMinimumSize(MIN_WINDOW)
        self.app_settings = app_settings or AppSettings()
        self.library = Library()  # the GUI thread's connection: quick reads and edits
        self.adapter = WorkerAdapter(max_threads=3, parent=self)
        self.jobs = JobQueue(workers=workers, parent=self)
        self.sessions = EditSessions(self.library, self)
        self.webhooks = Dispatcher(self.library)  # sends queued webhook deliveries while the app runs
        self.webhooks.start()
        self.local_api = LocalApi(self.app_settings, self.jobs, self)  # Settings → Local API
        self.local_api.apply()
        self.session: SourceSession | None = None  # the file the editor shows
        self.media: Media | None = None  # its import, once ready

        self.editor = EditorView(self.adapter, player_options=player_options)
        self.library_panel = LibraryPanel(self.library, self.adapter)
        self.export_panel = ExportPanel(self.library)
        self.jobs_panel = JobsPanel(self.jobs, self.library)
        self.caption_studio = CaptionStudio(self.library, self.adapter)
        self.transcript_panel = TranscriptPanel(self.adapter, self.library, jobs=self.jobs)
        self.moments_panel = MomentsPanel(jobs=self.jobs, library=self.library)
        self.tabs = QTabWidget()  # the Caption Studio is a design surface: it gets the middle too
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.editor, "Editor")
        self.studio_page = QScrollArea()  # on a small screen it scrolls rather than widen the window
        self.studio_page.setWidget(self.caption_studio)
        self.studio_page.setWidgetResizable(True)
        self.studio_page.setFrameShape(QScrollArea.Shape.NoFrame)
        self.tabs.addTab(self.studio_page, "Caption Studio")
        self.setCentralWidget(self.tabs)
        self.dock_layout = WindowDocks(self, {
            "library": ("Library", self.library_panel),
            "export": ("Export", self.export_panel),
            "segments": ("Segments", self.editor.segment_list),
            "moments": ("Moments", self.moments_panel),
            "transcript": ("Transcript", self.transcript_panel),
            "jobs": ("Jobs", self.jobs_panel),
        })
        self.docks = self.dock_layout.docks
        self._frame_fitted = False
        actions = add_menus(self, open_media=self.choose_files, open_settings=self.open_settings,
                            reset_layout=self.reset_layout, undo_group=self.sessions.undo_group,
                            docks=self.docks.values())
        self.open_action, self.reset_layout_action = actions.open, actions.reset_layout
        self._restoring = False  # a file's state is being put back: that is no edit to save
        self._connect()
        self._position_timer = QTimer(self)
        self._position_timer.setInterval(POSITION_TO_TRANSCRIPT_MS)
        self._position_timer.timeout.connect(self._follow_position)
        self._position_timer.start()
        self.dock_layout.place(self.app_settings)

    # -- composition --------------------------------------------------------------------------------

    def _connect(self) -> None:
        e, j = self.editor, self.jobs
        e.ready.connect(self._ready)
        e.open_failed.connect(self._open_failed)
        e.segments_changed.connect(self.export_panel.set_segments)
        e.marks_changed.connect(self.export_panel.set_pending)
        e.edited.connect(self._edited)
        # one cut mode: the editor's (it snaps segment edges) and the export panel's follow each other
        e.set_mode(self.export_panel.model.choice("mode"))
        e.mode_changed.connect(self._editor_mode)
        unsubscribe = self.export_panel.model.subscribe(self._export_changed)
        unsubscribe_keyframes = e.model.subscribe(
            lambda what: self.export_panel.set_keyframes(e.model.keyframes) if "keyframes" in what else None)
        self.destroyed.connect(lambda: (unsubscribe(), unsubscribe_keyframes()))
        j.imported.connect(lambda results, _token: self._imported(results))
        j.job_updated.connect(self._job_updated)
        j.media_info_ready.connect(self._media_info)
        j.media_info_failed.connect(lambda _file_id, err: e.messages.show_message(str(err), key="import"))
        j.submit_failed.connect(lambda error, _token: self.export_panel.show_error(error))
        j.submitted.connect(lambda jobs, _token: self.statusBar().showMessage(
            f"Queued {len(jobs)} export job{'s' if len(jobs) != 1 else ''}.", STATUS_MS))
        self.export_panel.export_requested.connect(self.jobs.submit)
        self.jobs_panel.job_completed.connect(lambda _update: self.library_panel.refresh())
        self.library_panel.open_requested.connect(self.open_path)
        self.transcript_panel.seek_requested.connect(lambda t: e.controller.seek(t, exact=True))
        self.transcript_panel.segment_requested.connect(e.add_segment)
        mp = self.moments_panel
        mp.play_requested.connect(self._play_from)
        mp.pause_requested.connect(e.controller.pause)
        mp.segment_requested.connect(e.add_segment)
        mp.segments_requested.connect(e.add_segments)
        mp.moments_changed.connect(e.timeline.set_moments)
        mp.searched.connect(self.dock_layout.open_moments)
        e.segments_changed.connect(mp.set_segments)
        e.timeline.moment_clicked.connect(mp.play)
        self.caption_studio.preset_chosen.connect(self._use_preset)
        self.sessions.save_failed.connect(
            lambda _path, message: e.messages.show_message(f"Your marks could not be saved: {message}", key="save"))
        self.tabs.currentChanged.connect(lambda i: self._studio_shown(self.tabs.widget(i) is self.studio_page))

    def _follow_position(self) -> None:
        t = self.editor.controller.position
        self.transcript_panel.set_position(t)
        self.moments_panel.set_position(t)

    def _play_from(self, t: float) -> None:
        """A moment was chosen: play it from its start (the moments panel stops it at its end)."""
        self.editor.controller.seek(t, exact=True)
        self.editor.controller.play()

    def _editor_mode(self, mode: str) -> None:
        if self.export_panel.model.choice("mode") != mode:
            self.export_panel.model.choose("mode", mode)

    def _export_changed(self, what: set[str]) -> None:
        m = self.export_panel.model
        mode = m.choice("mode")
        if mode and mode != self.editor.model.mode:
            self.editor.set_mode(mode)
        clip = m.valid  # what a cut re-encodes depends on the format, the size and the captions too
        self.editor.segment_list.set_cut_settings(
            m.info, clip.format if clip else m.value("format"), clip.height if clip else None,
            (clip.captions if clip else m.value("captions")) is not None)
        if "choices" in what:
            self._edited()

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

    def open_path(self, path: str) -> bool:
        """Show ``path`` in the editor, with the work saved for it. A file that cannot be opened
        changes nothing (the editor says why); False then."""
        path = str(Path(path).expanduser().resolve())  # as the library names it
        if self.session is not None and self.session.path == path and self.editor.path == path:
            return True
        self._keep_current()
        if not self.editor.open(path):
            return False
        self.sessions.get(path)  # from now on its import, when it comes, says where its work is saved
        media = self.library.find_media(path)
        if media is not None:
            self.sessions.bind(path, media.file_id)
        else:
            self.jobs.import_paths([path])  # its row names the file_id the work is saved under
        return True

    def _keep_current(self) -> None:
        """Remember the open file's work as it is now (before another file replaces it), and save it."""
        if self.session is not None and self.editor.shown == self.session.path:
            self._capture(self.session)
            self.sessions.flush()

    def _capture(self, session: SourceSession) -> None:
        session.marks = self.editor.model.marks()
        session.playhead = self.editor.controller.position
        session.mode = self.editor.model.mode
        session.export = self.export_panel.model.choices()

    def _edited(self) -> None:
        s = self.session
        if self._restoring or s is None or self.editor.shown != s.path:
            return
        self._capture(s)
        self.sessions.touch(s)

    def _ready(self, path: str) -> None:
        """The editor shows ``path``: put its work back, and point every panel at it."""
        s = self.sessions.get(path)
        if s.marks is None:  # first time in this run: what the library kept, if anything
            stored = self.sessions.stored(s)
            if stored is not None:
                s.marks = self.editor.model.marks_from(stored.segments, stored.in_point, stored.out_point,
                                                       stored.view)
                s.playhead, s.mode, s.export = stored.playhead, stored.mode, dict(stored.export)
        self._restoring = True
        try:
            self.session = s
            self.sessions.activate(s)
            self.editor.set_undo_stack(s.undo)
            if s.mode:
                self.editor.set_mode(s.mode)
            if s.export:
                self.export_panel.model.restore_choices(s.export)
            self.editor.restore(s.marks, s.playhead)
        finally:
            self._restoring = False
        self.media = None
        self.export_panel.set_media(None, None)
        self.transcript_panel.set_source(path)
        self.moments_panel.set_source(path)
        self.caption_studio.set_source(path, 0.0)
        self.setWindowTitle(f"{Path(path).name} — {APP_NAME}")
        media = self.library.find_media(path)
        if media is not None and media.status == "ready":
            self._media_ready(media)

    def _open_failed(self, path: str, message: str) -> None:
        """The player could not play ``path``: back to the file that was open, as it was."""
        if self.session is not None and self.session.path != path:
            self.editor.open(self.session.path, keep_messages=True)

    def _use_preset(self, ref: str) -> None:
        self.export_panel.set_caption_preset(ref)
        self.tabs.setCurrentIndex(0)
        self.docks["export"].show()
        self.docks["export"].raise_()
        m = self.export_panel.model
        why = m.messages.get("captions") or m.captions_note
        self.statusBar().showMessage(f"Exports will be captioned with {ref}." if m.value("captions") == ref and not why
                                     else f"{ref} is kept for exports that can be captioned: {why}", STATUS_MS)

    def _studio_shown(self, visible: bool) -> None:
        """The Caption Studio takes the side panels' room (they come back with the editor), and
        previews over the frame the editor is on."""
        self.dock_layout.make_room_for_studio(visible)
        if visible and self.editor.path:
            self.caption_studio.set_source(self.editor.path, self.editor.controller.position)

    def _imported(self, results: list) -> None:
        for r in results:
            if isinstance(r, FastClipError):
                self.library_panel.show_error(str(r))
                continue
            if self.sessions.find(r.path) is not None:
                self.sessions.bind(r.path, r.file_id)
            if self.session is not None and r.path == self.session.path and r.status == "ready":
                self._media_ready(r)
        self.library_panel.refresh()

    def _job_updated(self, update) -> None:
        if update.ended:
            self.webhooks.wake()  # its event (clip.complete, upload.ready, ...) is due now
        if update.kind != "import" and update.status in ("downloading", "processing"):
            self.dock_layout.open_jobs()  # something runs
        if update.kind == "analyze" and update.status == "complete":
            self._transcript_made()
        if update.kind != "import" or not update.ended:
            return
        self.library_panel.refresh()
        if self.session is None or self.media is not None:
            return
        media = self.library.find_media(self.session.path)
        if media is None or media.file_id != update.file_id:
            return
        if media.status == "ready":
            self._media_ready(media)
        else:
            self.editor.messages.show_message(f"{media.filename} cannot be clipped: {media.error}", key="import")

    def _media_ready(self, media: Media) -> None:
        self.media = media
        self.editor.messages.clear("import")
        self.moments_panel.set_source(self.session.path if self.session else media.path, media.file_id)
        self.jobs.media_info(media.file_id)

    def _transcript_made(self) -> None:
        """An analysis made the open file's transcript on its way: the transcript panel shows it."""
        t = self.transcript_panel
        if self.session is not None and t.transcript is None and not t.running:
            t.set_source(self.session.path)

    def _media_info(self, file_id: str, info) -> None:
        if self.media is not None and self.media.file_id == file_id:
            self.export_panel.set_media(file_id, info)

    # -- settings and layout ------------------------------------------------------------------------

    def open_settings(self) -> None:
        SettingsDialog(self.library, self.app_settings, self, local_api=self.local_api).exec()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._frame_fitted:
            self._frame_fitted = True
            QTimer.singleShot(0, self, self.dock_layout.fit_frame)

    def reset_layout(self) -> None:
        """View → Reset layout: every panel back in its default place and size, the window fitted."""
        self.tabs.setCurrentIndex(0)  # the side docks the Caption Studio took come back first
        self.dock_layout.reset()

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
        if not paths:
            event.ignore()
            return
        sheets = [p for p in paths if p.suffix.lower() == ".csv" and p.is_file()]
        if sheets and self.editor.shown is not None:  # segments for the open file, wherever dropped
            self.editor.timeline.import_csv(sheets)
        media = [p for p in paths if p not in sheets]
        if media:
            self.import_paths(media)
        event.acceptProposedAction()

    # -- closing ------------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:  # noqa: N802
        self._keep_current()
        if self.tabs.currentWidget() is self.studio_page:
            self.tabs.setCurrentIndex(0)  # the side panels come back before the layout is saved
        self.app_settings.save_window_state(self.saveGeometry(), self.saveState())
        self._position_timer.stop()
        self.library_panel.stop()
        self.jobs_panel.ticker.stop()  # it reads the library, closed below
        self.caption_studio.shutdown()
        self.editor.close_player()
        self.local_api.stop()  # before the job thread it shares
        self.jobs.close()
        self.adapter.shutdown()
        self.sessions.stop()
        self.webhooks.stop()
        self.library.close()
        super().closeEvent(event)
