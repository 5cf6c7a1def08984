"""The segments of the timeline as a list: label, start, end, duration, and where a keyframe cut
really lands.

A view of the TimelineModel: it re-reads the model when its segments, selection or mode change;
selecting a row selects the segment on the timeline (and the other way round). The label is
edited in place (double-click it); a rename and Remove go through the timeline's undo stack like
every other segment edit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
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

from engine import clock_text

from ..timeline.commands import RenameSegment
from ..timeline.model import KEYFRAME, TimelineModel
from ..timeline.segments import Segment, clean_label
from ..timeline.widget import TimelineWidget
from .segment_files import SegmentFiles

COLUMNS = ("#", "Label", "Start", "End", "Length", "Cut starts")
LABEL, LENGTH, LANDS = COLUMNS.index("Label"), COLUMNS.index("Length"), COLUMNS.index("Cut starts")
NARROW = 340  # px: narrower than this, the Length column steps aside (the total says it, the bars show it)


def row_texts(model: TimelineModel, number: int, segment: Segment) -> tuple[str, ...]:
    """What a segment's row says; "Cut starts" tells where a keyframe cut really starts (it ends
    where it is asked to)."""
    start, _end = model.real_span(segment)
    lands = ""
    if model.mode == KEYFRAME:
        lands = "waiting for keyframes…" if model.keyframes is None else (
            clock_text(start) + ("" if abs(start - segment.start) < 1e-6
                                 else f" ({segment.start - start:.2f} s earlier)"))
    return (str(number), segment.label, clock_text(segment.start), clock_text(segment.end),
            f"{segment.duration:.2f} s", lands)


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
        self.table.itemSelectionChanged.connect(self._row_selected)
        self.table.itemChanged.connect(self._item_edited)
        self.table.itemDelegate().closeEditor.connect(lambda *_: self.timeline.setFocus())  # J/K/L work again
        unsubscribe = self.model.subscribe(self._on_model)
        self.destroyed.connect(lambda: unsubscribe())
        self._refill()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.table.setColumnHidden(LENGTH, self.width() < NARROW)

    # -- what a user sees ---------------------------------------------------------------------------

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.table.item(r, c).text() for c in range(len(COLUMNS)))
                for r in range(self.table.rowCount())]

    # -- model -> view ------------------------------------------------------------------------------

    def _on_model(self, changed: set[str]) -> None:
        if changed & {"segments", "mode", "keyframes", "media"}:
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
                for c, text in enumerate(row_texts(self.model, r + 1, segment)):
                    item = self.table.item(r, c)
                    if item is None:  # items are kept and re-texted: a rename re-fills the list from
                        item = QTableWidgetItem()  # inside the edit of that very item
                        if c != LABEL:
                            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                        if c > LABEL:
                            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                        self.table.setItem(r, c, item)
                    item.setText(text)
            self.table.setColumnHidden(LANDS, self.model.mode != KEYFRAME)
        finally:
            self._syncing = False
        self._select_row()
        total = sum(s.duration for s in segments)
        n = len(segments)
        self.total.setText(f"{n} segment{'s' if n != 1 else ''}, {clock_text(total)} in all" if n else
                           "No segments yet: set in (I) and out (O), then Enter.")
        self.total.setToolTip(self.total.text())  # cut short in a narrow panel
        self.remove_button.setEnabled(self.model.selected is not None)

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
