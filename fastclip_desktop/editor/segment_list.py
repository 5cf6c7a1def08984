"""The segments of the timeline as a list: start, end, duration, and where a keyframe cut really lands.

A view of the TimelineModel: it re-reads the model when its segments, selection or mode change;
selecting a row selects the segment on the timeline (and the other way round); Remove goes
through the timeline's undo stack like every other segment edit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..timeline.model import KEYFRAME, Segment, TimelineModel
from ..timeline.widget import TimelineWidget

COLUMNS = ("#", "Start", "End", "Duration", "Cut lands")


def stamp(t: float) -> str:
    """Seconds as m:ss.mmm (h:mm:ss.mmm past an hour)."""
    ms = int(round(max(0.0, t) * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}" if h else f"{m}:{s:02d}.{ms:03d}"


def row_texts(model: TimelineModel, number: int, segment: Segment) -> tuple[str, ...]:
    """What a segment's row says; "Cut lands" tells where a keyframe cut really starts."""
    start, end = model.real_span(segment)
    lands = ""
    if model.mode == KEYFRAME:
        lands = "waiting for keyframes…" if model.keyframes is None else (
            f"{stamp(start)} – {stamp(end)}" + ("" if abs(start - segment.start) < 1e-6
                                                 else f"  ({segment.start - start:.2f} s earlier)"))
    return (str(number), stamp(segment.start), stamp(segment.end), f"{segment.duration:.2f} s", lands)


class SegmentList(QWidget):
    """The segments in timeline order, a total, and Remove / Clear buttons."""

    def __init__(self, timeline: TimelineWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.timeline = timeline
        self.model = timeline.model
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the timeline
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.total = QLabel("No segments yet: set in (I) and out (O), then Enter.")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.remove_button.clicked.connect(self._remove_selected)
        bar = QHBoxLayout()
        bar.addWidget(self.total, stretch=1)
        bar.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(bar)
        self._ids: list[int] = []
        self._syncing = False
        self.table.itemSelectionChanged.connect(self._row_selected)
        unsubscribe = self.model.subscribe(self._on_model)
        self.destroyed.connect(lambda: unsubscribe())
        self._refill()

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
                    item = QTableWidgetItem(text)
                    if c:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(r, c, item)
            self.table.setColumnHidden(4, self.model.mode != KEYFRAME)
        finally:
            self._syncing = False
        self._select_row()
        total = sum(s.duration for s in segments)
        n = len(segments)
        self.total.setText(f"{n} segment{'s' if n != 1 else ''}, {stamp(total)} in all" if n else
                           "No segments yet: set in (I) and out (O), then Enter.")
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

    def _remove_selected(self) -> None:
        if self.model.selected is not None:
            self.timeline.remove_segment(self.model.selected)
