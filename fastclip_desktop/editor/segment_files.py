"""Segments in and out of plain files, from the app: CSV (``start,end,label``, as LosslessCut writes
it) and YouTube chapter text. The formats are the engine's (``engine.library.segment_files``, the same the
CLI's ``fastclip segments --export-csv/--import-csv/--chapters`` uses).

Imports add their segments to the timeline as one undo step; exports write the file atomically;
"Copy YouTube chapters" puts the text on the clipboard. A file that cannot be read or used is said
through the timeline's ``message`` (the editor's message bar); nothing is added then. Dialogs open
with ``open()``, never a blocking ``exec()``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from engine import (
    FastClipError,
    MarkedSegment,
    atomic_output,
    from_chapters,
    to_chapters,
    to_csv,
)

from ..timeline.widget import TimelineWidget
from ..worker_adapter import emit

MAX_TEXT_BYTES = 2 * 1024 * 1024


class SegmentFiles:
    """The Import/Export menu of the segment list, over one timeline."""

    def __init__(self, timeline: TimelineWidget, parent: QWidget):
        self.timeline, self.parent = timeline, parent
        self.dialog: QFileDialog | None = None
        self.menu = QMenu(parent)
        self.menu.addAction("Import CSV…", lambda: self._ask_open("Import segments", "CSV (*.csv)", self.import_csv))
        self.menu.addAction("Import YouTube chapters…",
                            lambda: self._ask_open("Import chapters", "Text (*.txt);;All files (*)",
                                                   self.import_chapters))
        self.menu.addSeparator()
        self.export_action = self.menu.addAction("Export CSV…", self._ask_save)
        self.chapters_action = self.menu.addAction("Copy YouTube chapters", self.copy_chapters)
        self.menu.aboutToShow.connect(self._enable)

    def segments(self) -> list[MarkedSegment]:
        return [MarkedSegment(s.start, s.end, s.label) for s in self.timeline.model.ordered()]

    # -- the actions ----------------------------------------------------------------------------------

    def import_csv(self, path: str | Path) -> int:
        return self.timeline.import_csv([Path(path)])

    def import_chapters(self, path: str | Path) -> int:
        path = Path(path)
        try:
            if path.stat().st_size > MAX_TEXT_BYTES:
                raise ValueError("it is too large for a list of chapters")
            marked = from_chapters(path.read_text(encoding="utf-8", errors="replace"), self.timeline.model.duration)
        except FastClipError as e:
            return self._say(f"{path.name}: {e.message}. No segments were added.")
        except (OSError, ValueError) as e:
            return self._say(f"Could not read {path.name}: {e}. No segments were added.")
        self.timeline.add_segments([(s.start, s.end, s.label) for s in marked],
                                   f"Import {len(marked)} chapters from {path.name}")
        return len(marked)

    def export_csv(self, path: str | Path) -> bool:
        try:
            with atomic_output(path) as tmp:
                Path(tmp).write_text(to_csv(self.segments()), encoding="utf-8")
        except OSError as e:
            self._say(f"Could not write {Path(path).name}: {e.strerror or e}")
            return False
        return True

    def copy_chapters(self) -> str:
        text = to_chapters(self.segments()) if self.segments() else ""
        if text:
            QGuiApplication.clipboard().setText(text)
        return text

    # -- dialogs --------------------------------------------------------------------------------------

    def _enable(self) -> None:
        has = bool(self.timeline.model.segments)
        self.export_action.setEnabled(has)
        self.chapters_action.setEnabled(has)

    def _ask_open(self, title: str, filters: str, then) -> None:
        dialog = QFileDialog(self.parent, title, "", filters)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        self._show(dialog, then)

    def _ask_save(self) -> None:
        dialog = QFileDialog(self.parent, "Export segments", "segments.csv", "CSV (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        self._show(dialog, self.export_csv)

    def _show(self, dialog: QFileDialog, then) -> None:
        dialog.fileSelected.connect(then)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def _say(self, text: str) -> int:
        emit(self.timeline.message, text)
        return 0
