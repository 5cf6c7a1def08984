"""The segments of the timeline as a list: label, start, end, duration, and what each cut does.

The last column says it before anything is exported, from the keyframe index (no decoding): in
keyframe mode ("Cut starts") where the cut really starts (the keyframe at or before), in precise
mode ("Re-encodes") the seconds re-encoded at the start + at the end (the rest is copied); its
tooltip says it in full. It needs
the file's MediaInfo and the export's settings (``set_cut_settings``: a scaled, captioned or GIF
export is re-encoded whole); the previews are computed off the GUI thread (``CutPreviewer``).

A view of the TimelineModel: it re-reads the model when its segments, selection or mode change;
selecting a row selects the segment on the timeline (and the other way round). The label is
edited in place (double-click it); a rename and Remove go through the timeline's undo stack like
every other segment edit.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import VIDEO_FORMATS, MediaInfo, clock_text

from ..cut_preview import PreviewAsk, cell_text, clip_sentence
from ..cut_preview.previewer import CutPreviewer
from ..timeline.commands import RenameSegment
from ..timeline.model import KEYFRAME, PRECISE, TimelineModel
from ..timeline.segments import Segment, clean_label
from ..timeline.widget import TimelineWidget
from .segment_files import SegmentFiles

COLUMNS = ("#", "Label", "Start", "End", "Length", "Cut")
LABEL, LENGTH, CUT = COLUMNS.index("Label"), COLUMNS.index("Length"), COLUMNS.index("Cut")
NARROW = 340  # px: narrower than this, the Length column steps aside (the total says it, the bars show it)
HEADERS = {KEYFRAME: ("Cut starts", "Where each keyframe cut really starts: the keyframe at or before its start"),
           PRECISE: ("Re-encodes", ("What each precise cut re-encodes, computed from the keyframes before you "
                                    "export: seconds at the start + at the end (the rest is copied)"))}
WAITING = "…"


def row_texts(model: TimelineModel, number: int, segment: Segment, preview=None, waiting: bool = False
              ) -> tuple[str, ...]:
    """What a segment's row says. The Cut cell: the ``preview`` (a CutPreview, or the engine's
    message) when there is one; else, in keyframe mode, where the timeline's keyframes say the cut
    starts, and "…" while a preview is ``waiting``."""
    keyframe = model.mode == KEYFRAME
    if preview is not None and not isinstance(preview, str):
        cut = cell_text(preview, segment.start, keyframe)
    elif isinstance(preview, str):
        cut = "no preview"
    elif keyframe and model.keyframes is None:
        cut = "reading keyframes…"
    elif keyframe:
        start, _end = model.real_span(segment)
        cut = clock_text(start) + ("" if abs(start - segment.start) < 1e-6
                                   else f" ({segment.start - start:.2f} s earlier)")
    else:
        cut = WAITING if waiting else ""
    return (str(number), segment.label, clock_text(segment.start), clock_text(segment.end),
            f"{segment.duration:.2f} s", cut)


class SegmentList(QWidget):
    """The segments in timeline order (the label editable), a total, and a Remove button."""

    def __init__(self, timeline: TimelineWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.timeline = timeline
        self.model = timeline.model
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(60)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # only the label is editable (its item flags); the editor takes the keys while it is open
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the timeline
        self.table.horizontalHeaderItem(LABEL).setToolTip("Double-click a label to name the segment")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(LABEL, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.total = QLabel("No segments yet: set in (I) and out (O), then Enter.")
        self.total.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the dock
        self.total.installEventFilter(self)  # its width decides between the sentence and the short form
        self.remove_button = QPushButton("Remove")
        self.remove_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.remove_button.clicked.connect(self._remove_selected)
        self.files = SegmentFiles(timeline, self)
        self.files_button = QToolButton(text="Import/Export")
        self.files_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.files_button.setMenu(self.files.menu)
        self.files_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bar = QHBoxLayout()
        bar.addWidget(self.total, stretch=1)
        bar.addWidget(self.files_button)
        bar.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(bar)
        self._ids: list[int] = []
        self._syncing = False
        self._settings: tuple = (None, "mp4", None, False)  # MediaInfo, format, scaled height, captions
        self.previewer = CutPreviewer(self)
        self.previewer.ready.connect(self._show_cuts)
        self.table.itemSelectionChanged.connect(self._row_selected)
        self.table.itemChanged.connect(self._item_edited)
        self.table.itemDelegate().closeEditor.connect(lambda *_: self.timeline.setFocus())  # J/K/L work again
        unsubscribe = self.model.subscribe(self._on_model)
        self.destroyed.connect(lambda: unsubscribe())
        self._refill()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.table.setColumnHidden(LENGTH, self.width() < NARROW)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.total and event.type() == QEvent.Type.Resize:
            self._show_total()
        return super().eventFilter(watched, event)

    # -- what a user sees ---------------------------------------------------------------------------

    def set_cut_settings(self, info: MediaInfo | None, fmt: str = "mp4", height: int | None = None,
                         captions: bool = False) -> None:
        """The open file's MediaInfo (None until it is known) and the export's settings."""
        settings = (info, fmt, height, bool(captions))
        old = self._settings
        if settings[1:] != old[1:] or settings[0] is not old[0]:
            self._settings = settings
            self._show_cuts()

    def cut_tooltips(self) -> list[str]:
        return [self.table.item(r, CUT).toolTip() for r in range(self.table.rowCount())]

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.table.item(r, c).text() for c in range(len(COLUMNS)))
                for r in range(self.table.rowCount())]

    # -- model -> view ------------------------------------------------------------------------------

    def _on_model(self, changed: set[str]) -> None:
        if changed & {"segments", "mode", "keyframes", "media"}:
            if changed & {"keyframes", "media"}:
                self.previewer.request(None)  # another file, or its index: what was known is not
            self._refill()
        elif "selection" in changed:
            self._select_row()

    def _refill(self) -> None:
        segments = self.model.ordered()
        self._ids = [s.id for s in segments]
        self._syncing = True
        try:
            self.table.setRowCount(len(segments))
            for r, segment in enumerate(segments):
                for c, text in enumerate(row_texts(self.model, r + 1, segment)[:CUT]):
                    self._item(r, c).setText(text)
        finally:
            self._syncing = False
        self._show_cuts()
        self._select_row()
        self._show_total()
        self.remove_button.setEnabled(self.model.selected is not None)

    def _show_total(self) -> None:
        """"3 segments, 0:19.200 in all"; where that does not fit beside the buttons, "3 · 0:19.200"
        (the whole sentence in its tooltip)."""
        segments = self.model.ordered()
        total, n = sum(s.duration for s in segments), len(segments)
        if n:
            said = f"{n} segment{'s' if n != 1 else ''}, {clock_text(total)} in all"
            short = f"{n} · {clock_text(total)}"
        else:
            said, short = "No segments yet: set in (I) and out (O), then Enter.", "No segments"
        fits = self.total.fontMetrics().horizontalAdvance(said) <= self.total.width()
        self.total.setText(said if fits else short)
        self.total.setToolTip(said)

    def _item(self, r: int, c: int) -> QTableWidgetItem:
        item = self.table.item(r, c)
        if item is None:  # items are kept and re-texted: a rename re-fills the list from
            item = QTableWidgetItem()  # inside the edit of that very item
            if c != LABEL:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if c > LABEL:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(r, c, item)
        return item

    def _ask(self, segments: list[Segment]) -> PreviewAsk | None:
        info, fmt, height, captions = self._settings
        index = self.model.keyframes
        if index is None or info is None or info.video is None or fmt not in VIDEO_FORMATS or not segments:
            return None
        return PreviewAsk.for_segments(index, info, self.model.mode, [(s.start, s.end) for s in segments],
                                       fmt=fmt, height=height, captions=captions)

    def _show_cuts(self) -> None:
        """The Cut column: each segment's preview, as far as it is known."""
        segments = [s for s in self.model.ordered() if s.id in self._ids]
        if [s.id for s in segments] != self._ids:
            return  # the rows are being re-filled: they show theirs next
        ask = self._ask(segments)
        keyframe = self.model.mode == KEYFRAME
        self.previewer.request(ask)
        previews = self.previewer.previews(ask) if ask is not None else [None] * len(segments)
        self._syncing = True
        try:
            for r, (segment, preview) in enumerate(zip(segments, previews, strict=True)):
                item = self._item(r, CUT)
                item.setText(row_texts(self.model, r + 1, segment, preview, ask is not None)[CUT])
                item.setToolTip(preview if isinstance(preview, str) else
                                "" if preview is None else clip_sentence(preview, segment.start, keyframe=keyframe))
        finally:
            self._syncing = False
        header, tip = HEADERS[self.model.mode]
        if self.table.horizontalHeaderItem(CUT).text() != header:
            self.table.horizontalHeaderItem(CUT).setText(header)
            self.table.horizontalHeaderItem(CUT).setToolTip(tip)
        self.table.setColumnHidden(CUT, not keyframe and ask is None)

    def _select_row(self) -> None:
        self._syncing = True
        try:
            selected = self.model.selected
            if selected in self._ids:
                self.table.selectRow(self._ids.index(selected))
            else:
                self.table.clearSelection()
        finally:
            self._syncing = False
        self.remove_button.setEnabled(self.model.selected is not None)

    # -- view -> model ------------------------------------------------------------------------------

    def _row_selected(self) -> None:
        if self._syncing:
            return
        rows = {i.row() for i in self.table.selectedIndexes()}
        self.model.select(self._ids[min(rows)] if rows else None)

    def rename(self, row: int, label: str) -> None:
        """Name the segment of ``row`` (undoably), as editing its Label cell does."""
        segment = self.model.segment(self._ids[row])
        label = clean_label(label)
        if label != segment.label:
            self.undo_stack.push(RenameSegment(self.model, segment.id, segment.label, label))
        else:
            self._refill()  # the cell shows the kept label (stripped), not what was typed

    @property
    def undo_stack(self) -> QUndoStack:
        return self.timeline.undo_stack

    def _item_edited(self, item: QTableWidgetItem) -> None:
        if self._syncing or item.column() != LABEL or item.row() >= len(self._ids):
            return
        self.rename(item.row(), item.text())

    def _remove_selected(self) -> None:
        if self.model.selected is not None:
            self.timeline.remove_segment(self.model.selected)
