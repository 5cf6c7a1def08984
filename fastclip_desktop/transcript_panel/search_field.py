"""The transcript search box: Enter and Shift+Enter step through the matches."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit

from ..worker_adapter import emit


class SearchField(QLineEdit):
    """Enter: the next match; Shift+Enter: the previous one; Escape: clear."""

    next_requested = Signal()
    previous_requested = Signal()

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            emit(self.previous_requested if e.modifiers() & Qt.KeyboardModifier.ShiftModifier
                 else self.next_requested)
            e.accept()
        elif e.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            e.accept()
        else:
            super().keyPressEvent(e)
