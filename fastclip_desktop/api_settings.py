"""The Settings dialog's Local API section: serve or not, the port, what it is doing, and the
library's API keys (made here, shown once, deleted here), as ``fastclip keys`` does."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import FastClipError, Library

from .app_settings import AppSettings

STATES = {"off": "Not serving.", "starting": "Starting on {text}…", "failed": "Could not start: {text}"}


class ApiSettings(QGroupBox):
    """The Local API group. ``local_api`` (a LocalApi) shows its state; None: the app runs none."""

    def __init__(self, library: Library, app_settings: AppSettings, local_api=None, parent: QWidget | None = None):
        super().__init__("Local API", parent)
        self.library, self.app_settings, self.local_api = library, app_settings, local_api
        self.enabled = QCheckBox("Serve the FastClip v1 API on this machine while the app runs")
        self.enabled.setChecked(app_settings.get("api_enabled") == "1")
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(int(app_settings.get("api_port") or 8484))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.status.setOpenExternalLinks(True)
        self.keys = QListWidget()
        self.keys.setMaximumHeight(110)
        create, self.delete = QPushButton("New key…"), QPushButton("Delete key")
        create.clicked.connect(self.create_key)
        self.delete.clicked.connect(self.delete_key)
        self.keys.currentItemChanged.connect(lambda *_: self.delete.setEnabled(self.keys.currentItem() is not None))

        port_row = QHBoxLayout()
        port_row.addWidget(QLabel("Port"))
        port_row.addWidget(self.port)
        port_row.addStretch(1)
        key_buttons = QHBoxLayout()
        key_buttons.addWidget(create)
        key_buttons.addWidget(self.delete)
        key_buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.enabled)
        layout.addLayout(port_row)
        layout.addWidget(self.status)
        layout.addWidget(QLabel("Keys (scripts send one as Authorization: Bearer …; loopback only)"))
        layout.addWidget(self.keys)
        layout.addLayout(key_buttons)
        self.refresh_keys()
        if local_api is not None:
            local_api.changed.connect(self._show_state)
            self._show_state(local_api.state, local_api.text)
        else:
            self._show_state("off", "")

    def save(self) -> None:
        self.app_settings.set("api_enabled", "1" if self.enabled.isChecked() else "0")
        self.app_settings.set("api_port", str(self.port.value()))
        if self.local_api is not None:
            self.local_api.apply()

    # -- keys ---------------------------------------------------------------------------------------

    def refresh_keys(self) -> None:
        self.keys.clear()
        for key in self.library.list_api_keys():
            item = QListWidgetItem(f"{key.name}    {key.key_id}    made {key.created_at[:10]}")
            item.setData(Qt.ItemDataRole.UserRole, key.key_id)
            self.keys.addItem(item)
        self.delete.setEnabled(False)

    def create_key(self) -> str | None:
        name, ok = QInputDialog.getText(self, "New API key", "A name for the key (what will use it):")
        if not ok or not name.strip():
            return None
        try:
            record, secret = self.library.create_api_key(name.strip())
        except FastClipError as e:
            QMessageBox.warning(self, "New API key", str(e))
            return None
        self.refresh_keys()
        QApplication.clipboard().setText(secret)
        box = QMessageBox(QMessageBox.Icon.Information, "New API key",
                          f"The key {record.name!r} is on your clipboard. It is shown this once:", parent=self)
        box.setInformativeText(secret)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()
        return secret

    def delete_key(self) -> None:
        item = self.keys.currentItem()
        if item is None:
            return
        try:
            self.library.delete_api_key(item.data(Qt.ItemDataRole.UserRole))
        except FastClipError as e:
            QMessageBox.warning(self, "Delete API key", str(e))
        self.refresh_keys()

    def _show_state(self, state: str, text: str) -> None:
        if state == "on":
            self.status.setText(f'Serving on <a href="{text}">{text}</a> (API docs: '
                                f'<a href="{text}/docs">{text}/docs</a>)')
        else:
            self.status.setText(STATES.get(state, state).format(text=text))
