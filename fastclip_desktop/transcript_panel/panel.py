"""TranscriptPanel: transcribe the open source, read along with playback, search, select, export.

The main window composes it::

    panel = TranscriptPanel(adapter, library, jobs=job_queue)
    player.file_loaded.connect(panel.set_source)        # a new file: an empty panel, ready to transcribe
    player.position_changed.connect(panel.set_position)  # the spoken word is highlighted
    panel.seek_requested.connect(controller.seek)        # a click on a word seeks to its start
    panel.segment_requested.connect(add_segment)         # "Add segment from selection": start, end

Transcription is a transcript job of the app's one job runner (``TranscriptJob`` over the JobQueue:
it shows in the Jobs panel), with the model the library's ``whisper_model_path`` setting names
(the built-in one when it is empty) and the app's cache folder, so asking again is instant; a
transcript already in the cache shows as soon as its file opens. Exports are
rendered by ``engine.transcript.render`` and written atomically, also off the GUI thread. Every
failure is one readable line in the status label. The search row is a ``TranscriptSearch``
(search_bar.py); the words are drawn by a ``WordView`` (word_view.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import TRANSCRIPT_FORMATS as FORMATS
from engine import FastClipError, Transcript, cached_transcript

from ..job_queue import JobQueue
from ..worker_adapter import Task, WorkerAdapter, emit
from .export import FORMAT_NAMES, write_transcript
from .job import TranscriptJob
from .model import TranscriptModel
from .search_bar import TranscriptSearch
from .word_view import WordView

BAR_STEPS = 1000

STYLE = """
QWidget#transcriptPanel { background: #1b1c1f; }
QLabel { color: #d7dbe0; font-size: 12px; }
QLabel#status[error="true"] { color: #ff8a80; }
QLabel#muted { color: #8b9098; }
QLineEdit { background: #15161a; color: #e3e6ea; border: 1px solid #3a3e44; border-radius: 4px; padding: 3px 6px; }
QPushButton, QToolButton { background: #2b2e33; color: #e3e6ea; border: 1px solid #3a3e44;
                           border-radius: 4px; padding: 4px 10px; }
QPushButton:hover, QToolButton:hover { background: #34383e; }
QPushButton:disabled, QToolButton:disabled { color: #6f7680; }
QProgressBar { background: #15161a; border: 1px solid #3a3e44; border-radius: 3px; max-height: 6px; }
QProgressBar::chunk { background: #4fb8e8; }
"""


def readable(e: BaseException) -> str:
    """One sentence for the status line: an engine error's message, else what went wrong."""
    if isinstance(e, FastClipError):
        return e.message
    if isinstance(e, OSError):
        return e.strerror or str(e)
    return f"unexpected error: {e}"


class TranscriptPanel(QWidget):
    seek_requested = Signal(float)  # a word was clicked (or a match jumped to): its start, seconds
    segment_requested = Signal(float, float)  # "Add segment from selection": first word start, last word end
    transcribed = Signal(object)  # a Transcript arrived for the open source
    exported = Signal(str)  # a transcript file was written at this path

    def __init__(self, adapter: WorkerAdapter, library=None, parent: QWidget | None = None, *,
                 jobs: JobQueue | None = None, cache_dir: str | os.PathLike | None = None):
        super().__init__(parent)
        self.setObjectName("transcriptPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.adapter, self.library, self.jobs = adapter, library, jobs
        self.cache_dir = cache_dir  # None: the app's cache folder (engine.paths.cache_dir)
        self.model = TranscriptModel()
        self.source: Path | None = None
        self._task: TranscriptJob | None = None  # the transcription running
        self._lookup: Task | None = None  # the cache lookup of the source just opened
        self._exports: dict[Task, str] = {}  # running exports and the file each writes

        self.source_label = QLabel("No file open")
        self.source_label.setObjectName("muted")
        self.transcribe_button = QPushButton("Transcribe")
        self.transcribe_button.clicked.connect(self.transcribe)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, BAR_STEPS)
        self.progress.setTextVisible(False)
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.search = TranscriptSearch(self.model, self, seek=self._seek_to)
        self.search_field, self.match_label = self.search.field, self.search.match_label
        self.previous_button, self.next_button = self.search.previous_button, self.search.next_button

        self.view = WordView(self.model)
        self.view.word_clicked.connect(self._word_clicked)

        self.selection_label = QLabel("")
        self.selection_label.setObjectName("muted")
        self.add_segment_button = QPushButton("Add as segment")
        self.add_segment_button.setToolTip("Add a segment from the first selected word's start to the last one's end")
        self.add_segment_button.clicked.connect(self.add_segment_from_selection)
        self.export_button = QToolButton(text="Export…")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for fmt in FORMATS:
            action = menu.addAction(f"{fmt.upper()} — {FORMAT_NAMES[fmt].split(' (')[0]}")
            action.triggered.connect(lambda _=False, f=fmt: self.export_with_dialog(f))
        self.export_button.setMenu(menu)

        self._build_layout()
        self.setStyleSheet(STYLE)
        self.model.subscribe(self._on_model)
        self._set_status("")
        self._sync()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.source_label, 1)
        top.addWidget(self.transcribe_button)
        top.addWidget(self.cancel_button)
        for label in (self.source_label, self.selection_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widen the dock
        self.selection_label.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.add_segment_button)
        bottom.addStretch(1)
        bottom.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(self.search.row())
        layout.addWidget(self.view, 1)
        layout.addWidget(self.selection_label)
        layout.addLayout(bottom)

    # -- what the main window calls -----------------------------------------------------------------

    @property
    def transcript(self) -> Transcript | None:
        return self.model.transcript

    @property
    def running(self) -> bool:
        return self._task is not None

    def set_source(self, path: str | os.PathLike | None) -> None:
        """A file was opened (``None``: closed): the panel empties and offers to transcribe it."""
        self._stop_task()
        self.source = Path(path) if path else None
        self.model.set_transcript(None)
        self.progress.setValue(0)
        self.source_label.setText(self.source.name if self.source else "No file open")
        self._set_status("Press Transcribe to read what is said in this file." if self.source else "")
        self._sync()
        self._look_in_cache()

    def _look_in_cache(self) -> None:
        """Show the source's transcript at once when the cache has it (reading the cache only: no
        decoding, no model), off the GUI thread; a miss leaves the panel as it is."""
        if self._lookup is not None:
            self._lookup.cancel()
            self._lookup = None
        if self.source is None:
            return
        try:
            model_path = self._setting("whisper_model_path") or None
        except FastClipError:
            return
        source = self.source
        task = self.adapter.run(cached_transcript, str(source), cache_dir=self._cache_folder(),
                                model_path=model_path, _label="cached transcript")
        self._lookup = task

        def found(transcript) -> None:
            if self._lookup is task:
                self._lookup = None
            if transcript is not None and self.source == source and self._task is None and self.transcript is None:
                self._on_finished(transcript)
                self._set_status(f"{self.status.text()} · from the cache")

        task.finished.connect(found)
        task.failed.connect(lambda _e: None)  # no transcript to show; Transcribe says why if it matters

    def _cache_folder(self) -> str:
        if self.cache_dir is not None:
            return str(self.cache_dir)
        from engine import cache_dir

        return str(cache_dir())

    def set_position(self, seconds: float) -> None:
        """The player is at ``seconds``: highlight the word spoken then and keep it in view."""
        self.model.set_position(seconds)

    def set_transcript(self, transcript: Transcript | None) -> None:
        """Show a transcript obtained elsewhere (for the open source)."""
        self.model.set_transcript(transcript)
        self._sync()

    def transcribe(self) -> TranscriptJob | None:
        """Transcribe the open source: a transcript job of the app's job runner (a cached transcript
        comes back at once)."""
        if self.source is None or self._task is not None:
            return None
        if self.jobs is None:
            self._set_status("Transcribing needs the app's job queue.", error=True)
            return None
        job = TranscriptJob(self.jobs, self.adapter, str(self.source), str(self.source), self._cache_folder(), self)
        self._task = job
        job.progress.connect(self._on_progress)
        job.finished.connect(self._on_finished)
        job.failed.connect(self._on_failed)
        self.model.set_transcript(None)
        self.progress.setValue(0)
        self._set_status("Queued…")
        self._sync()
        job.start()
        return job

    def cancel(self) -> None:
        """Stop a running transcription (its worker process is stopped); the panel goes back to idle."""
        if self._task is None:
            return
        self._stop_task()
        self.progress.setValue(0)
        self._set_status("Transcription cancelled.")
        self._sync()

    def export(self, path: str | os.PathLike, fmt: str) -> Task | None:
        """Write the transcript to ``path`` as ``fmt`` (srt, vtt, ass, json, txt), off the GUI thread.

        ``exported(path)`` follows when the file is in place; a failure is shown in the status line.
        """
        if self.transcript is None:
            self._set_status("Nothing to export yet: transcribe the file first.", error=True)
            return None
        task = self.adapter.run(write_transcript, self.transcript, fmt, str(path), _label="transcript export")
        self._exports[task] = Path(path).name
        task.finished.connect(self._on_exported)
        task.failed.connect(self._on_export_failed)
        task.settled.connect(self._forget_export)
        self._set_status(f"Saving {Path(path).name}…")
        return task

    def export_with_dialog(self, fmt: str) -> None:
        if self.transcript is None:
            self._set_status("Nothing to export yet: transcribe the file first.", error=True)
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export the transcript", self._suggested_path(fmt),
                                              FORMAT_NAMES[fmt])
        if not path:
            return
        if Path(path).suffix.lower() != f".{fmt}":
            path += f".{fmt}"
        self.export(path, fmt)

    def add_segment_from_selection(self) -> None:
        span = self.model.selection_span
        if span is not None:
            emit(self.segment_requested, *span)

    def jump_to_match(self, step: int) -> None:
        """Enter / ▼ (``step`` 1) or Shift+Enter / ▲ (-1): the next or previous match; seek to its word.

        The first Enter after a search goes to the match the search chose (the first one from the
        spoken word on), later ones step on.
        """
        self.search.jump(step)

    # -- internals ----------------------------------------------------------------------------------

    def _setting(self, key: str):
        return self.library.get_setting(key) if self.library is not None else None

    def _suggested_path(self, fmt: str) -> str:
        try:
            folder = self._setting("default_export_folder") or ""
        except FastClipError:
            folder = ""
        stem = self.source.stem if self.source else "transcript"
        base = Path(folder) if folder else (self.source.parent if self.source else Path.home())
        return str(base / f"{stem}.{fmt}")

    def _stop_task(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            for signal, slot in ((task.progress, self._on_progress), (task.finished, self._on_finished),
                                 (task.failed, self._on_failed)):
                signal.disconnect(slot)
            task.cancel()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * BAR_STEPS))
        self._set_status(message)

    def _on_finished(self, transcript: Transcript) -> None:
        self._task = None
        self.progress.setValue(BAR_STEPS)
        self.model.set_transcript(transcript)
        n = len(self.model.words)
        self._set_status(f"{n} word{'s' if n != 1 else ''} · {transcript.language}" if n
                         else "No speech was found in this file.")
        self._sync()
        emit(self.transcribed, transcript)

    def _on_failed(self, reason) -> None:
        self._task = None
        self.progress.setValue(0)
        self._set_status(f"Could not transcribe: {reason if isinstance(reason, str) else readable(reason)}",
                         error=True)
        self._sync()

    @Slot(object)
    def _on_exported(self, path: str) -> None:
        self._set_status(f"Saved {Path(path).name}")
        emit(self.exported, path)

    @Slot(object)
    def _on_export_failed(self, e: BaseException) -> None:
        name = self._exports.get(self.sender(), "the transcript")
        self._set_status(f"Could not save {name}: {readable(e)}", error=True)

    @Slot()
    def _forget_export(self) -> None:
        self._exports.pop(self.sender(), None)

    def _word_clicked(self, index: int) -> None:
        self._seek_to(index)

    def _seek_to(self, index: int | None) -> None:
        if index is not None:
            emit(self.seek_requested, self.model.words[index].start)

    def _on_model(self, changed: set[str]) -> None:
        self.search.model_changed(changed)
        if changed & {"selection", "transcript"}:
            self.selection_label.setText(self.model.selection_text())
        if changed - {"current"}:  # the spoken word changes many times a second and enables nothing
            self._sync()

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("error", error)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setHidden(not text)

    def _sync(self) -> None:
        running, has_words = self._task is not None, bool(self.model.words)
        self.transcribe_button.setEnabled(self.source is not None and not running)
        self.cancel_button.setEnabled(running)
        self.cancel_button.setHidden(not running)
        self.progress.setHidden(not running)  # a finished run keeps its value (full) out of sight
        self.add_segment_button.setEnabled(self.model.selection is not None)
        self.export_button.setEnabled(self.transcript is not None)
        self.search.sync(has_words)
