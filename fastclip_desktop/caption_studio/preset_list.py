"""PresetList: the built-in and custom presets, and the buttons that make and delete custom ones.

Selecting a line selects the preset in the model. "Duplicate" copies the selected preset (built-in
or custom) into a new custom preset named by the field beside it; the engine decides whether the
name will do, and its sentence shows under the field. "Delete" removes the selected custom preset
after a second click ("Click again to delete"), which is undone by waiting three seconds.
Double-clicking a preset emits ``chosen(ref)`` (the panel's "Use for export").
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..worker_adapter import emit
from .model import CaptionStudioModel

REF_ROLE = Qt.ItemDataRole.UserRole
CONFIRM_MS = 3000


class PresetList(QWidget):
    chosen = Signal(str)

    def __init__(self, model: CaptionStudioModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._picked)
        self.list.itemDoubleClicked.connect(self._double_clicked)

        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("Name of the copy")
        self.new_name.returnPressed.connect(self.duplicate)
        self.duplicate_button = QPushButton("Duplicate")
        self.duplicate_button.setToolTip("Copy the selected preset into a new custom preset you can edit")
        self.duplicate_button.clicked.connect(self.duplicate)
        self.name_error = QLabel()
        self.name_error.setObjectName("error")
        self.name_error.setWordWrap(True)
        self.name_error.hide()
        self.delete_button = QPushButton("Delete preset")
        self.delete_button.clicked.connect(self.delete)
        self._confirm = QTimer(self)
        self._confirm.setSingleShot(True)
        self._confirm.timeout.connect(self._reset_delete)

        title = QLabel("Presets")
        title.setObjectName("title")
        row = QHBoxLayout()
        row.addWidget(self.new_name, 1)
        row.addWidget(self.duplicate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.name_error)
        layout.addWidget(self.delete_button)

        model.subscribe(self._on_model)
        self.fill()

    # -- model -> list --------------------------------------------------------------------------------

    def fill(self) -> None:
        with QSignalBlocker(self.list):
            self.list.clear()
            builtins = [p for p in self.model.presets if not p.editable]
            customs = self.model.custom_presets
            self._header("Built-in (read-only)")
            for p in builtins:
                self._add(p.ref, p.name)
            self._header("Custom")
            if not customs:
                hint = QListWidgetItem("  Duplicate a preset to make one")
                hint.setFlags(Qt.ItemFlag.NoItemFlags)
                self.list.addItem(hint)
            for p in customs:
                self._add(p.ref, p.name)
        self._show_selection()

    def _header(self, text: str) -> None:
        item = QListWidgetItem(text.upper())
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        font = QFont(item.font())
        font.setBold(True)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        item.setFont(font)
        self.list.addItem(item)

    def _add(self, ref: str, name: str) -> None:
        item = QListWidgetItem(name)
        item.setData(REF_ROLE, ref)
        item.setToolTip(ref)
        self.list.addItem(item)

    def item_for(self, ref: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(REF_ROLE) == ref:
                return item
        return None

    def _show_selection(self) -> None:
        item = self.item_for(self.model.ref) if self.model.ref else None
        with QSignalBlocker(self.list):
            self.list.setCurrentItem(item)
        if item is not None:
            self.list.scrollToItem(item)
        self.delete_button.setEnabled(self.model.editable)
        self._confirm.stop()
        self._reset_delete()
        if not self.new_name.hasFocus() and self.model.ref:
            self.new_name.setText(f"{self.model.name} copy")

    def _on_model(self, changed: set[str]) -> None:
        if "presets" in changed:
            self.fill()
        elif "selection" in changed:
            self._show_selection()
        if changed & {"errors", "selection"}:
            text = self.model.errors.get("duplicate", "")
            self.name_error.setText(text)
            self.name_error.setVisible(bool(text))

    # -- user -----------------------------------------------------------------------------------------

    def _picked(self, item: QListWidgetItem | None, _previous=None) -> None:
        ref = item.data(REF_ROLE) if item is not None else None
        if ref and ref != self.model.ref:
            self.model.select(ref)

    def _double_clicked(self, item: QListWidgetItem) -> None:
        ref = item.data(REF_ROLE)
        if ref:
            emit(self.chosen, ref)

    def duplicate(self) -> str | None:
        """Copy the selected preset under the typed name; the new ref, or None (the reason is shown)."""
        return self.model.duplicate(self.new_name.text())

    def delete(self) -> bool:
        """First click asks for a second one; the second deletes the selected custom preset."""
        if not self.model.editable:
            return False
        if not self._confirm.isActive():
            self.delete_button.setText("Click again to delete")
            self._confirm.start(CONFIRM_MS)
            return False
        self._confirm.stop()
        self._reset_delete()
        return self.model.delete()

    def _reset_delete(self) -> None:
        self.delete_button.setText("Delete preset")
