"""The Settings dialog: a form built from the declared settings, never a list of its own.

Library settings come from ``engine.library.SETTINGS`` (type, bounds, choices, description) and
are saved with ``Library.set_setting``, so the engine's rule decides and its sentence is shown
next to the field; the library folder is an app setting (``app_settings``). The Local API section
is ``api_settings.py``'s.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import SETTINGS, FastClipError, Library

from .api_settings import ApiSettings
from .app_settings import APP_SETTINGS, SHOWN, AppSettings

LABELS = {
    "clip_ttl_hours": "Clips expire after (hours)",
    "workers": "Jobs at the same time",
    "whisper_model_path": "Whisper model folder",
    "default_export_folder": "Default export folder",
    "default_cut_mode": "Default cut mode",
    "library_folder": "Library folder",
}
FOLDERS = ("whisper_model_path", "default_export_folder", "library_folder")


class SettingsDialog(QDialog):
    def __init__(self, library: Library, app_settings: AppSettings, parent: QWidget | None = None, *,
                 local_api=None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.library, self.app_settings = library, app_settings
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        current = library.settings()
        for key in SHOWN:
            s = SETTINGS[key]
            self._add_row(form, key, self._editor(key, s, current[key]), s.description)
        app = APP_SETTINGS["library_folder"]
        self._add_row(form, app.key, self._folder_field(app.key, app_settings.get(app.key)), app.description)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.api = ApiSettings(library, app_settings, local_api)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.api)
        layout.addWidget(buttons)

    # -- building -----------------------------------------------------------------------------------

    def _editor(self, key, s, value) -> QWidget:
        if s.choices:
            box = QComboBox()
            box.addItems(list(s.choices))
            box.setCurrentText(str(value))
            return box
        if s.type is int:
            spin = QSpinBox()
            spin.setRange(int(s.low if s.low is not None else -2**31), int(min(s.high or 2**31 - 1, 2**31 - 1)))
            spin.setValue(int(value))
            return spin
        if s.type is float:
            spin = QDoubleSpinBox()
            spin.setDecimals(2)
            spin.setRange(float(s.low if s.low is not None else 0), float(s.high if s.high is not None else 1e9))
            spin.setValue(float(value))
            return spin
        return self._folder_field(key, str(value))

    def _folder_field(self, key: str, value: str) -> QWidget:
        edit = QLineEdit(value)
        edit.setObjectName(key)
        browse = QPushButton("Choose…")
        browse.clicked.connect(lambda: self._choose_folder(edit))
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, stretch=1)
        row.addWidget(browse)
        box.edit = edit
        return box

    def _add_row(self, form: QFormLayout, key: str, field: QWidget, description: str) -> None:
        field.setToolTip(description)
        error = QLabel("")
        error.setStyleSheet("color: #e06c75;")
        error.setWordWrap(True)
        error.hide()
        column = QWidget()
        col = QVBoxLayout(column)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(field)
        col.addWidget(error)
        form.addRow(LABELS.get(key, key), column)
        self.fields[key], self.errors[key] = field, error

    def _choose_folder(self, edit: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder", edit.text())
        if folder:
            edit.setText(folder)

    # -- values -------------------------------------------------------------------------------------

    def value(self, key: str):
        field = self.fields[key]
        if isinstance(field, QComboBox):
            return field.currentText()
        if isinstance(field, (QSpinBox, QDoubleSpinBox)):
            return field.value()
        return field.edit.text()

    def set_value(self, key: str, value) -> None:
        field = self.fields[key]
        if isinstance(field, QComboBox):
            field.setCurrentText(str(value))
        elif isinstance(field, (QSpinBox, QDoubleSpinBox)):
            field.setValue(value)
        else:
            field.edit.setText(str(value))

    def save(self) -> bool:
        """Save every field; a refused value keeps the dialog open with the engine's sentence."""
        ok = True
        for key in SHOWN:
            try:
                self.library.set_setting(key, self.value(key))
                self.errors[key].hide()
            except FastClipError as e:
                self.errors[key].setText(str(e))
                self.errors[key].show()
                ok = False
        self.app_settings.set("library_folder", self.value("library_folder").strip())
        self.api.save()
        if ok:
            self.accept()
        return ok
