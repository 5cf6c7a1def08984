"""The transcript panel's search row: the field, the match count and ▲ ▼, over a TranscriptModel.

Typing searches the model once it pauses for SEARCH_DELAY_MS; Enter / ▼ goes to the next match and
Shift+Enter / ▲ to the previous one, and the word jumped to is handed to ``seek``. The first Enter
after a search goes to the match the search chose (the first one from the spoken word on), later
ones step on. Ctrl+F (the platform's Find) anywhere in the panel puts the cursor in the field.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from .model import TranscriptModel
from .search_field import SearchField

SEARCH_DELAY_MS = 120  # typing pauses this long before the search runs


class TranscriptSearch(QObject):
    """The search row's widgets and what they do; ``panel`` holds them (``row()``: their layout)."""

    def __init__(self, model: TranscriptModel, panel: QWidget, seek: Callable[[int | None], None]):
        super().__init__(panel)
        self.model, self._seek = model, seek
        self._match_visited = False  # the current match was jumped to (Enter), not just found
        self.field = SearchField()
        self.field.setPlaceholderText("Search the transcript")
        self.field.setClearButtonEnabled(True)
        self.previous_button = QToolButton(text="▲")
        self.previous_button.setToolTip("Previous match (Shift+Enter)")
        self.next_button = QToolButton(text="▼")
        self.next_button.setToolTip("Next match (Enter)")
        self.match_label = QLabel("")
        self.match_label.setObjectName("muted")
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._run)
        self.field.textChanged.connect(lambda _: self._timer.start())
        self.field.next_requested.connect(lambda: self.jump(1))
        self.field.previous_requested.connect(lambda: self.jump(-1))
        self.next_button.clicked.connect(lambda: self.jump(1))
        self.previous_button.clicked.connect(lambda: self.jump(-1))
        find = QShortcut(QKeySequence.StandardKey.Find, panel, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.focus)

    def row(self) -> QHBoxLayout:
        """The row, laid out: the field takes the room, the count never widens the panel."""
        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.match_label)
        row.addWidget(self.previous_button)
        row.addWidget(self.next_button)
        self.match_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.field.setMinimumWidth(60)
        return row

    def jump(self, step: int) -> None:
        """Enter / ▼ (``step`` 1) or Shift+Enter / ▲ (-1): the next or previous match; seek to its word."""
        if self._timer.isActive():
            self._timer.stop()
            self._run()
        if self.model.current_match is None:
            return
        if step > 0 and not self._match_visited:
            self._match_visited = True
        else:
            self.model.step_match(step)
            self._match_visited = True
        self._seek(self.model.match_word())

    def focus(self) -> None:
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def model_changed(self, changed: set[str]) -> None:
        if changed & {"matches", "transcript"}:
            self.match_label.setText(self.model.match_count_text())

    def sync(self, has_words: bool) -> None:
        """Searching needs words; stepping needs matches."""
        has_matches = bool(self.model.matches)
        self.next_button.setEnabled(has_matches)
        self.previous_button.setEnabled(has_matches)
        self.field.setEnabled(has_words)

    def _run(self) -> None:
        if self.model.query != self.field.text():
            self._match_visited = False
        self.model.search(self.field.text())
