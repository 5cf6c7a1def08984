"""MessageBar: a panel's own line for what went wrong (or what the user should know), where they look.

Every refusal or failure the user caused is shown in the panel that did it, in the engine's words,
until it is dismissed (the × button) or fixed (the panel calls ``clear(key)``): a file that is not
media in the editor, a failed job in the jobs panel. A message has a ``key`` (what it is about:
"open", "sound", "job:<id>"), so fixing one thing clears its message and not another's. The bar
shows the newest message; older ones wait beneath it and show again when it is dismissed.

It takes the panel's full width but never widens it: the text wraps, and a message too long for
three lines is elided with the whole text in the tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from .worker_adapter import emit

ERROR, WARNING, INFO = "error", "warning", "info"
MAX_CHARS = 400  # longer texts are cut here (the tooltip keeps the whole)

STYLE = """
MessageBar { border-radius: 4px; }
MessageBar[kind="error"] { background: #4a2225; }
MessageBar[kind="warning"] { background: #4a3a1c; }
MessageBar[kind="info"] { background: #1f3550; }
MessageBar QLabel { color: #f1f3f5; background: transparent; }
MessageBar QToolButton { background: transparent; border: none; color: #f1f3f5; padding: 0 4px; font-size: 14px; }
MessageBar QToolButton:hover { color: #ffffff; background: rgba(255, 255, 255, 30); }
"""


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    text: str
    kind: str = ERROR


class MessageBar(QWidget):
    dismissed = Signal(str)  # the key of the message the user closed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.clicked.connect(self.dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
        self._messages: list[Message] = []
        self.hide()

    # -- what panels call -----------------------------------------------------------------------------

    def show_message(self, text: str, kind: str = ERROR, key: str = "") -> None:
        """Show ``text``; a message with the same ``key`` is replaced."""
        self._messages = [m for m in self._messages if m.key != key]
        self._messages.append(Message(key, str(text), kind))
        self._show()

    def clear(self, key: str | None = None) -> None:
        """Take away the message about ``key`` (it was fixed), or all of them."""
        self._messages = [] if key is None else [m for m in self._messages if m.key != key]
        self._show()

    def dismiss(self) -> None:
        """The user closed the message shown; the one before it (if any) shows again."""
        if self._messages:
            gone = self._messages.pop()
            self._show()
            emit(self.dismissed, gone.key)

    # -- what a test or a user sees -------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._messages[-1].text if self._messages else ""

    @property
    def kind(self) -> str:
        return self._messages[-1].kind if self._messages else ""

    def has(self, key: str) -> bool:
        return any(m.key == key for m in self._messages)

    def _show(self) -> None:
        if not self._messages:
            self.label.clear()
            self.label.setToolTip("")
            self.hide()
            return
        m = self._messages[-1]
        text = m.text if len(m.text) <= MAX_CHARS else m.text[:MAX_CHARS - 1] + "…"
        self.label.setText(text)
        self.label.setToolTip(m.text if text != m.text else "")
        self.setProperty("kind", m.kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()
