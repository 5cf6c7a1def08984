"""MomentsPanel: find the moments of the open source worth a clip, play them, add them as segments.

The main window composes it::

    panel = MomentsPanel(jobs=job_queue, library=library)
    panel.set_source(path, file_id)                      # the open file (its import, once ready)
    panel.play_requested.connect(seek_and_play)          # a moment was clicked: play from its start
    panel.pause_requested.connect(controller.pause)      # ... and stop at its end
    panel.segment_requested.connect(editor.add_segment)  # "Add as segment": start, end, label
    panel.segments_requested.connect(editor.add_segments)  # "Add all": [(start, end, label)], one undo
    panel.moments_changed.connect(timeline.set_moments)  # the lane of moments on the timeline
    editor.segments_changed.connect(panel.set_segments)  # "Add all" skips moments already added

Find runs an analyze job of the app's one job runner (``MomentsJob``: it shows in the Jobs panel,
with the transcription first when the file has none). An empty query finds general highlights.
What was found is kept per source and query: asked again, or when the file opens again (in this
run or a later one: the library keeps the analysis), it shows at once without a job.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine import MAX_QUERY, FastClipError, Library, cached_moments

from ..job_queue import JobQueue
from ..worker_adapter import emit
from .job import MomentsJob
from .model import MomentsModel, segment_label
from .moment_list import MomentList

BAR_STEPS = 1000

STYLE = """
QWidget#momentsPanel { background: #1b1c1f; }
QLabel { color: #d7dbe0; font-size: 12px; }
QLabel#status[error="true"] { color: #ff8a80; }
QLineEdit { background: #15161a; color: #e3e6ea; border: 1px solid #3a3e44; border-radius: 4px; padding: 4px 6px; }
QPushButton { background: #2b2e33; color: #e3e6ea; border: 1px solid #3a3e44; border-radius: 4px; padding: 4px 10px; }
QPushButton:hover { background: #34383e; }
QPushButton:disabled { color: #6f7680; }
QPushButton#find { background: #5e4a8c; border-color: #7e67b0; }
QPushButton#find:hover { background: #6b559c; }
QPushButton#find:disabled { background: #2b2e33; border-color: #3a3e44; }
QProgressBar { background: #15161a; border: 1px solid #3a3e44; border-radius: 3px; max-height: 6px; }
QProgressBar::chunk { background: #9575cd; }
QListWidget#momentList { background: #1b1c1f; border: 1px solid #2b2e33; border-radius: 4px; }
"""


class MomentsPanel(QWidget):
    play_requested = Signal(float)  # a moment was chosen: play from this time
    pause_requested = Signal()  # the moment being played is over
    segment_requested = Signal(float, float, str)  # "Add as segment": start, end, label
    segments_requested = Signal(object)  # "Add all": [(start, end, label)], as one edit
    moments_changed = Signal(object, object)  # [(start, end)] best first, the chosen index (or None)
    searched = Signal()  # Find was pressed (the window gives the panel room to show the moments)

    def __init__(self, jobs: JobQueue | None = None, library: Library | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("momentsPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.jobs, self.library = jobs, library
        self.model = MomentsModel()
        self._task: MomentsJob | None = None
        self._segments: list[tuple[float, float]] = []

        self.query_field = QLineEdit()
        self.query_field.setPlaceholderText("What to look for…")
        self.query_field.setMaxLength(MAX_QUERY)
        self.query_field.setClearButtonEnabled(True)
        self.query_field.setToolTip("Describe it in your own words: moments are found by meaning, not by "
                                    "matching words. Leave it empty for the general highlights.")
        self.query_field.returnPressed.connect(self.find)
        self.query_field.textChanged.connect(lambda _text: self._sync())
        self.find_button = QPushButton("Find")
        self.find_button.setObjectName("find")
        self.find_button.clicked.connect(self.find)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, BAR_STEPS)
        self.progress.setTextVisible(False)
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widen the dock
        self.list = MomentList()
        self.list.moment_clicked.connect(self.play)
        self.list.moment_activated.connect(self.play)
        self.list.currentRowChanged.connect(lambda row: self.model.select(row if row >= 0 else None))
        self.add_button = QPushButton("Add as segment")
        self.add_button.setToolTip("Add the chosen moment to the editor's segments (Ctrl+Z takes it back)")
        self.add_button.clicked.connect(self.add_selected)
        self.add_all_button = QPushButton("Add all")
        self.add_all_button.setToolTip("Add every moment not already among the segments, as one edit")
        self.add_all_button.clicked.connect(self.add_all)

        top = QHBoxLayout()
        top.addWidget(self.query_field, 1)
        top.addWidget(self.find_button)
        top.addWidget(self.cancel_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.add_button)
        bottom.addWidget(self.add_all_button)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)
        layout.addLayout(bottom)
        self.setStyleSheet(STYLE)
        self.model.subscribe(self._on_model)
        self._on_model({"source", "moments", "selection", "search"})

    # -- what the main window calls -----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None

    def set_source(self, path: str | None, file_id: str | None = None) -> None:
        """The open file (None: none); ``file_id`` once its import is ready. What was found for it
        before (the last query asked in this run, else the latest analysis the library kept) shows
        at once."""
        if path == self.model.path and file_id == self.model.file_id:
            return
        self._stop_task()
        self.model.set_source(path, file_id)
        if file_id is None:
            return
        query = self.model.last_query()
        if query == "":  # not asked in this run: the analysis the library kept last, if any
            query = self._stored_query(file_id)
        found = None if query == "" else self._known(file_id, query)
        self.query_field.setText((query or "") if found is not None else "")
        if found is not None:
            self.model.show(query, found, "found before")

    def set_position(self, seconds: float) -> None:
        """The player is at ``seconds``: a moment being played stops at its end."""
        if self.model.reached(seconds):
            emit(self.pause_requested)

    def set_segments(self, segments) -> None:
        """The editor's segments, (start, end) each: "Add all" leaves out the moments among them."""
        self._segments = [(float(a), float(b)) for a, b in segments]
        self._sync()

    def find(self) -> MomentsJob | None:
        """Find the moments for the query typed (empty: highlights): at once when they were found
        before, else as an analyze job."""
        m = self.model
        if m.file_id is None or self._task is not None:
            return None
        query = " ".join(self.query_field.text().split()) or None
        emit(self.searched)
        found = self._known(m.file_id, query)
        if found is not None:
            m.show(query, found, "found before")
            return None
        if self.jobs is None:
            m.failed("Finding moments needs the app's job queue.")
            return None
        job = MomentsJob(self.jobs, m.file_id, query, self)
        self._task = job
        job.progress.connect(m.progressed)
        job.finished.connect(lambda moments: self._finished(job, query, moments))
        job.failed.connect(lambda reason: self._failed(job, reason))
        m.searching(query)
        job.start()
        return job

    def cancel(self) -> None:
        if self._task is not None:
            self._stop_task()
            self.model.stopped()

    def play(self, index: int) -> None:
        """Play moment ``index`` from its start (it stops at its end)."""
        start, _end = self.model.play(index)
        if self.list.currentRow() != index:
            self.list.setCurrentRow(index)
        emit(self.play_requested, start)

    def add_selected(self) -> None:
        m = self.model
        if m.selected is not None:
            moment = m.moment(m.selected)
            emit(self.segment_requested, float(moment.start), float(moment.end), segment_label(moment))

    def add_all(self) -> None:
        spans = self.model.spans_to_add(self._segments)
        if spans:
            emit(self.segments_requested, spans)

    # -- internals ----------------------------------------------------------------------------------

    def _known(self, file_id: str, query: str | None):
        """The moments found before for ``query``: in this run, else in the library's analyses."""
        found = self.model.recall(file_id, query)
        if found is None and self.library is not None:
            try:
                found = cached_moments(self.library, file_id, query)
            except FastClipError:
                found = None
            if found is not None:
                self.model.remember(file_id, query, found)
        return found

    def _stored_query(self, file_id: str) -> str | None:
        """The query of the latest complete analysis of ``file_id`` in the library ("" when none)."""
        if self.library is None:
            return ""
        try:
            jobs = self.library.list_jobs("complete", 0, 1, kind="analyze", file_id=file_id)
        except FastClipError:
            return ""
        return (jobs[0].request or {}).get("query") if jobs else ""

    def _finished(self, job: MomentsJob, query: str | None, moments) -> None:
        if job is self._task:
            self._task = None
            self.model.show(query, moments)

    def _failed(self, job: MomentsJob, reason: str) -> None:
        if job is self._task:
            self._task = None
            self.model.failed(f"Could not find moments: {reason}")

    def _stop_task(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()

    def _on_model(self, changed: set[str]) -> None:
        m = self.model
        if "moments" in changed:
            self.list.set_rows(m.rows())
        if "selection" in changed and m.selected is not None and self.list.currentRow() != m.selected:
            self.list.setCurrentRow(m.selected)
        if changed & {"moments", "selection"}:
            emit(self.moments_changed, m.spans(), m.selected)
        if "search" in changed:
            self.progress.setValue(round(m.progress * BAR_STEPS))
            self.status.setText(m.status)
            self.status.setProperty("error", m.error)
            self.status.style().unpolish(self.status)
            self.status.style().polish(self.status)
            self.status.setHidden(not m.status)
        self._sync()

    def _sync(self) -> None:
        m = self.model
        running = m.running
        self.query_field.setEnabled(m.file_id is not None)
        self.find_button.setEnabled(m.file_id is not None and not running)
        self.find_button.setText("Find" if self.query_field.text().strip() else "Find highlights")
        self.cancel_button.setHidden(not running)
        self.progress.setHidden(not running)
        self.add_button.setEnabled(m.selected is not None)
        self.add_all_button.setEnabled(bool(m.spans_to_add(self._segments)))

