"""WordView: a TranscriptModel's text, one line per segment, where every word is a click target.

A read-only QTextEdit whose mouse handling is its own: a click on a word selects it and reports
``word_clicked`` (the panel seeks there); Shift+click or a drag across words selects the run between;
the selection, the word being spoken and the search matches are painted as extra selections (the
document is never edited after it is laid out). When the spoken word or the current match changes
it is scrolled into view. Hovering a word shows its times. Escape clears the selection, Ctrl+C
copies the selected words.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextOption,
)
from PySide6.QtWidgets import QFrame, QTextEdit, QToolTip, QWidget

from ..worker_adapter import emit
from .model import TranscriptModel, span_text

MAX_MATCH_MARKS = 1000  # matches painted at once (the count still counts them all)

COLORS = {
    "background": "#15161a",
    "text": "#d7dbe0",
    "stamp": QColor("#6f7680"),
    "match": QColor("#6b5518"),
    "current_match": QColor("#c98a2e"),
    "selection": QColor("#34508a"),
    "current": QColor("#4fb8e8"),
    "dark_text": QColor("#101113"),
    "light_text": QColor("#ffffff"),
}


def _mark(background: QColor, foreground: QColor | None = None) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setBackground(background)
    if foreground is not None:
        f.setForeground(foreground)
    return f


FORMATS = {
    "match": _mark(COLORS["match"]),
    "current_match": _mark(COLORS["current_match"], COLORS["dark_text"]),
    "selection": _mark(COLORS["selection"], COLORS["light_text"]),
    "current": _mark(COLORS["current"], COLORS["dark_text"]),
}


class WordView(QTextEdit):
    word_clicked = Signal(int)  # a plain click (no drag, no Shift) on the word with this index
    selection_finished = Signal()  # the mouse let go after selecting words

    def __init__(self, model: TranscriptModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF(), 11.0))
        self.setFont(font)
        self.document().setDocumentMargin(10)
        self.setPlaceholderText("The words said in the file appear here once it is transcribed.")
        self.setStyleSheet(f"QTextEdit {{ background: {COLORS['background']}; color: {COLORS['text']}; }}")
        self._match_marks: list[QTextEdit.ExtraSelection] = []
        self._pressed: int | None = None  # the word under a plain press, until release or a drag
        self._selecting = False
        model.subscribe(self._on_model)
        self._on_model({"transcript"})

    # -- geometry -----------------------------------------------------------------------------------

    def word_at(self, point: QPoint) -> int | None:
        """The word under (or nearest to) ``point`` in viewport coordinates."""
        return self.model.word_at_char(self.cursorForPosition(point).position())

    def word_rect(self, index: int) -> QRect:
        """Where word ``index`` is drawn, in viewport coordinates."""
        w = self.model.words[index]
        return self._chars_rect(w.first, w.last)

    def _chars_rect(self, first: int, last: int) -> QRect:
        cursor = QTextCursor(self.document())
        cursor.setPosition(first)
        a = self.cursorRect(cursor)
        cursor.setPosition(last)
        b = self.cursorRect(cursor)
        if b.top() > a.top():  # wrapped: the first line's part
            return QRect(a.topLeft(), QPoint(self.viewport().width(), a.bottom()))
        return QRect(a.topLeft(), b.bottomRight())

    def show_word(self, index: int) -> None:
        """Scroll so that word ``index`` is in view (a third of the way down when it was out of it)."""
        self._show_chars(self.model.words[index].first, self.model.words[index].last)

    def _show_chars(self, first: int, last: int) -> None:
        r = self._chars_rect(first, last)
        height = self.viewport().height()
        if r.top() >= 0 and r.bottom() <= height:
            return
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + r.top() - height // 3)

    # -- painting what the model says ---------------------------------------------------------------

    def _on_model(self, changed: set[str]) -> None:
        if "transcript" in changed:
            self._lay_out()
        if "matches" in changed:
            self._match_marks = self._marks_for_matches()
        if changed & {"transcript", "matches", "selection", "current"}:
            self._paint_marks()
        if "current" in changed and self.model.current is not None and not self._selecting:
            self.show_word(self.model.current)
        if "matches" in changed and self.model.current_match is not None:
            self._show_chars(*self.model.current_match)

    def _lay_out(self) -> None:
        self.setPlainText(self.model.text)
        stamp = QTextCharFormat()
        stamp.setForeground(COLORS["stamp"])
        # wrapped lines hang under the first word, right of the time stamps (a tab stop there)
        metrics = self.fontMetrics()
        stamps = {ln.stamp for ln in self.model.lines} or {"0:00"}
        indent = max(metrics.horizontalAdvance(s) for s in stamps) + metrics.horizontalAdvance("  ")
        block = QTextBlockFormat()
        block.setTabPositions([QTextOption.Tab(indent, QTextOption.TabType.LeftTab)])
        block.setLeftMargin(indent)
        block.setTextIndent(-indent)
        block.setBottomMargin(4)
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.mergeBlockFormat(block)
        for line in self.model.lines:
            cursor.setPosition(line.first)
            cursor.setPosition(line.stamp_end, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(stamp)
        cursor.endEditBlock()
        self.verticalScrollBar().setValue(0)

    def _selection(self, first: int, last: int, fmt: QTextCharFormat) -> QTextEdit.ExtraSelection:
        s = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self.document())
        cursor.setPosition(first)
        cursor.setPosition(last, QTextCursor.MoveMode.KeepAnchor)
        s.cursor, s.format = cursor, fmt
        return s

    def _marks_for_matches(self) -> list[QTextEdit.ExtraSelection]:
        m = self.model
        shown = m.matches[:MAX_MATCH_MARKS]
        marks = [self._selection(a, b, FORMATS["match"]) for a, b in shown]
        if m.current_match is not None:
            marks.append(self._selection(*m.current_match, FORMATS["current_match"]))
        return marks

    def _paint_marks(self) -> None:
        m = self.model
        marks = list(self._match_marks)
        marks += [self._selection(a, b, FORMATS["selection"]) for a, b in m.selection_ranges()]
        if m.current is not None:
            w = m.words[m.current]
            marks.append(self._selection(w.first, w.last, FORMATS["current"]))
        self.setExtraSelections(marks)

    def marked(self, kind: str) -> list[str]:
        """The text of every mark of ``kind`` ("match", "current_match", "selection", "current") painted now."""
        fmt = FORMATS[kind]
        return [s.cursor.selectedText() for s in self.extraSelections() if s.format == fmt]

    # -- the mouse ----------------------------------------------------------------------------------

    def mousePressEvent(self, e: QMouseEvent) -> None:
        if e.button() != Qt.MouseButton.LeftButton or not self.model.words:
            super().mousePressEvent(e)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        i = self.word_at(e.position().toPoint())
        self._selecting = True
        if e.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.model.extend(i)
            self._pressed = None
        else:
            self.model.select(i)
            self._pressed = i
        e.accept()

    def mouseMoveEvent(self, e: QMouseEvent) -> None:
        if not (self._selecting and e.buttons() & Qt.MouseButton.LeftButton):
            super().mouseMoveEvent(e)
            return
        point = e.position().toPoint()
        bar, height = self.verticalScrollBar(), self.viewport().height()
        if point.y() < 0:
            bar.setValue(bar.value() + point.y())
        elif point.y() > height:
            bar.setValue(bar.value() + point.y() - height)
        i = self.word_at(point)
        if i is not None and i != self.model.focus:
            self.model.extend(i)
        if i != self._pressed:
            self._pressed = None  # a drag, not a click
        e.accept()

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:
        if e.button() != Qt.MouseButton.LeftButton or not self._selecting:
            super().mouseReleaseEvent(e)
            return
        self._selecting = False
        clicked, self._pressed = self._pressed, None
        if clicked is not None:
            emit(self.word_clicked, clicked)
        emit(self.selection_finished)
        e.accept()

    def mouseDoubleClickEvent(self, e: QMouseEvent) -> None:
        self.mousePressEvent(e)  # a fast second click is another click, not a text selection

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.model.words:
            i = self.word_at(event.pos())
            if i is not None and self.word_rect(i).adjusted(-2, -2, 2, 2).contains(event.pos()):
                w = self.model.words[i]
                QToolTip.showText(event.globalPos(), f"{w.text}\n{span_text(w.start, w.end)}", self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    # -- keys ---------------------------------------------------------------------------------------

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if e.key() == Qt.Key.Key_Escape and self.model.selection is not None:
            self.model.clear_selection()
            e.accept()
        elif e.matches(QKeySequence.StandardKey.Copy) and self.model.selection is not None:
            QGuiApplication.clipboard().setText(self.model.selected_text())
            e.accept()
        else:
            super().keyPressEvent(e)
