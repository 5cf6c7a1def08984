"""CaptionStudio: the panel where caption presets are chosen, duplicated, edited and previewed.

It composes the preset list, the live preview and the style editor over one CaptionStudioModel,
and holds no rule of its own: the engine checks every value, renders every picture and stores
every preset. The main window gives it the library and the worker adapter, tells it which frame
of the open video to preview on (``set_source``), and listens to ``preset_chosen(ref)`` for the
export's captions.

Edits are saved to the custom preset after a short pause (``SAVE_DELAY_MS``), when another preset
is selected, and on ``flush()`` (call it before the window closes). Fonts are imported on the
worker adapter's thread (``engine.captions.custom.import_font`` checks the file in a worker
process); the refusal, if any, shows in the status line under the preview.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine import Library, import_font

from ..worker_adapter import Task, WorkerAdapter, emit
from .editor import StyleEditor
from .model import CaptionStudioModel, error_text
from .preset_list import PresetList
from .preview import CaptionPreview
from .rendering import PreviewRenderer, RenderedPreview

SAVE_DELAY_MS = 400
PRESETS_WIDTH = 230  # px: the preset list's column
PREVIEW_MIN = 560  # px: the preview keeps at least this when the fields take two columns
DRAG_RENDER_MS = 30  # while dragging, the preview follows closely
READ_ONLY_TEXT = "Built-in preset: read-only. Duplicate it to edit a copy."
DRAG_HINT = "Drag the caption to move it."

STYLE = """
CaptionStudio { background: #1b1c1f; }
CaptionStudio QLabel { color: #d7dbe0; }
CaptionStudio QLabel#title { font-weight: bold; font-size: 13px; }
CaptionStudio QLabel#error { color: #ff8a80; }
CaptionStudio QLabel#notice { color: #ffcc80; }
CaptionStudio QLabel#hint, CaptionStudio QLabel#status { color: #8a9099; }
CaptionStudio QGroupBox { color: #a4a9b0; border: 1px solid #2f3237; border-radius: 4px; margin-top: 14px;
                          padding-top: 4px; }
CaptionStudio QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; }
CaptionStudio QListWidget, CaptionStudio QLineEdit, CaptionStudio QComboBox { background: #24262a; color: #e3e6ea; border: 1px solid #3a3e44; border-radius: 4px;
                          padding: 2px 4px; }
CaptionStudio QListWidget::item:selected { background: #3b4a5c; color: #ffffff; }
CaptionStudio QLineEdit:read-only { color: #a4a9b0; }
CaptionStudio QPushButton { background: #2b2e33; color: #e3e6ea; border: 1px solid #3a3e44; border-radius: 4px;
                            padding: 4px 10px; }
CaptionStudio QPushButton:hover { background: #34383e; }
CaptionStudio QPushButton:disabled, CaptionStudio QLineEdit:disabled { color: #6a6f76; }
CaptionStudio QCheckBox { color: #d7dbe0; }
CaptionStudio QScrollArea { border: none; background: #1b1c1f; }
CaptionStudio QWidget#editor { background: #1b1c1f; }
"""


def dark_palette(base: QPalette) -> QPalette:
    """The house's dark colours for the controls a style sheet would strip of their native look
    (spin boxes keep their arrows)."""
    palette = QPalette(base)
    for role, color in ((QPalette.ColorRole.Window, "#1b1c1f"), (QPalette.ColorRole.WindowText, "#d7dbe0"),
                        (QPalette.ColorRole.Base, "#24262a"), (QPalette.ColorRole.Text, "#e3e6ea"),
                        (QPalette.ColorRole.Button, "#2b2e33"), (QPalette.ColorRole.ButtonText, "#e3e6ea"),
                        (QPalette.ColorRole.Highlight, "#3b4a5c"), (QPalette.ColorRole.HighlightedText, "#ffffff")):
        palette.setColor(role, QColor(color))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6a6f76"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#6a6f76"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6a6f76"))
    return palette


class _FormScroll(QScrollArea):
    """The style fields: in two columns when there is room for both, else one that scrolls."""

    def __init__(self, editor: StyleEditor):
        super().__init__()
        self.editor = editor
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(editor)
        self.setMinimumWidth(editor.column_width() + self.verticalScrollBar().sizeHint().width() + 4)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        spacing = self.editor.grid.spacing() or 6
        self.editor.set_columns(2 if self.viewport().width() >= 2 * self.editor.column_width() + spacing else 1)


class CaptionStudio(QWidget):
    preset_chosen = Signal(str)  # the preset_ref the user picked for the export

    def __init__(self, library: Library, adapter: WorkerAdapter, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("CaptionStudio")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.library = library
        self.adapter = adapter
        self.model = CaptionStudioModel(library)
        self.renderer = PreviewRenderer(adapter, self)
        self.font_task: Task | None = None
        self._source: tuple[str | None, float] | None = None

        self.presets = PresetList(self.model)
        self.preview = CaptionPreview()
        self.editor = StyleEditor(self.model)

        self.name = QLineEdit()
        self.name.setPlaceholderText("Preset name")
        self.name.editingFinished.connect(self._rename)
        self.name_error = QLabel()
        self.name_error.setObjectName("error")
        self.name_error.hide()
        self.notice = QLabel(READ_ONLY_TEXT)
        self.notice.setObjectName("notice")
        self.hint = QLabel(DRAG_HINT)
        self.hint.setObjectName("hint")
        self.ref_field = QLineEdit()
        self.ref_field.setReadOnly(True)
        self.ref_field.setToolTip("The preset_ref the CLI, batch files and the API use")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the preset_ref to the clipboard")
        self.copy_button.clicked.connect(self.copy_ref)
        self.use_button = QPushButton("Use for export")
        self.use_button.clicked.connect(self.choose_for_export)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)

        self._build()
        self.setPalette(dark_palette(self.palette()))
        self.setStyleSheet(STYLE)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.timeout.connect(self.flush)
        self.model.subscribe(self._on_model)
        self.renderer.rendered.connect(self._rendered)
        self.renderer.failed.connect(self._say)
        self.renderer.source_failed.connect(self._say)
        self.preview.position_dragged.connect(self._dragged)
        self.preview.drag_finished.connect(self._drag_finished)
        self.presets.chosen.connect(self._chosen)
        self.editor.import_font_clicked.connect(self.choose_font_file)
        self._show_selection()
        self._request_render()

    def _build(self) -> None:
        left = QWidget()
        left.setLayout(QVBoxLayout())
        left.layout().setContentsMargins(8, 8, 4, 8)
        left.layout().addWidget(self.presets)

        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("Name"))
        name_row.addWidget(self.name, 1)
        ref_row = QHBoxLayout()
        ref_row.addWidget(QLabel("preset_ref"))
        ref_row.addWidget(self.ref_field, 1)
        ref_row.addWidget(self.copy_button)
        ref_row.addWidget(self.use_button)
        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(4, 8, 4, 8)
        column.addLayout(name_row)
        column.addWidget(self.name_error)
        column.addWidget(self.notice)
        column.addWidget(self.preview, 1)
        column.addWidget(self.hint)
        column.addLayout(ref_row)
        column.addWidget(self.status)

        scroll = _FormScroll(self.editor)
        self.form_scroll = scroll
        right = QWidget()
        right.setLayout(QVBoxLayout())
        right.layout().setContentsMargins(4, 8, 8, 8)
        right.layout().addWidget(scroll)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for i, (part, stretch) in enumerate(((left, 0), (centre, 1), (right, 0))):
            self.splitter.addWidget(part)
            self.splitter.setStretchFactor(i, stretch)
        self.splitter.setSizes([230, 560, 420])
        self._sized_by_user = False
        self.splitter.splitterMoved.connect(lambda *_: setattr(self, "_sized_by_user", True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if not self._sized_by_user:
            self._share_width()

    def _share_width(self) -> None:
        """The presets a narrow column, the fields as many columns as fit beside a preview at least
        PREVIEW_MIN wide (two on a wide screen: every field shows without scrolling)."""
        total = sum(self.splitter.sizes())
        names = self.presets.list
        presets = max(PRESETS_WIDTH, names.sizeHintForColumn(0) + names.verticalScrollBar().sizeHint().width() + 28)
        column = self.editor.column_width() + self.form_scroll.verticalScrollBar().sizeHint().width() + 24
        fields = 2 * column if total - presets - 2 * column >= PREVIEW_MIN else column
        self.splitter.setSizes([presets, max(PREVIEW_MIN // 2, total - presets - fields), fields])

    # -- for the main window --------------------------------------------------------------------------

    @property
    def current_preset_ref(self) -> str | None:
        return self.model.ref

    def select_preset(self, ref: str) -> bool:
        return self.model.select(ref)

    def set_source(self, path: str | Path | None, seconds: float = 0.0) -> None:
        """Preview on the frame of ``path`` at ``seconds`` (None: on a neutral backdrop). While the
        panel is hidden only the newest call is kept, and its frame is read when the panel shows."""
        self._source = (None if path is None else str(path), float(seconds))
        if self.isVisible():
            self.renderer.set_source(*self._source)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.model.reload()  # presets or fonts may have been changed elsewhere (the CLI, another window)
        if self._source is not None:
            self.renderer.set_source(*self._source)

    def choose_for_export(self) -> None:
        if self.model.ref:
            self.flush()
            emit(self.preset_chosen, self.model.ref)

    def flush(self) -> bool:
        """Save pending edits now."""
        self._save_timer.stop()
        return self.model.save()

    def shutdown(self) -> None:
        """Save, and stop what is on its way (before the window closes)."""
        self.flush()
        self.renderer.cancel()
        if self.font_task is not None:
            self.font_task.cancel()

    def copy_ref(self) -> None:
        if self.model.ref:
            QGuiApplication.clipboard().setText(self.model.ref)
            self._say(f"Copied {self.model.ref}")

    # -- fonts ----------------------------------------------------------------------------------------

    def choose_font_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a caption font", "", "Fonts (*.ttf *.otf);;All files (*)")
        if path:
            self.import_font(path)

    def import_font(self, path: str | Path) -> Task:
        """Import the font file at ``path`` off the GUI thread; it joins the font picker when accepted."""
        self.editor.import_button.setEnabled(False)
        self._say(f"Checking the font {Path(path).name}…")
        task = self.adapter.run(import_font, self.library, str(path), _label="import font")
        self.font_task = task
        task.finished.connect(self._font_imported)
        task.failed.connect(lambda error: self._say(f"{Path(path).name} was not imported: {error_text(error)}"))
        task.settled.connect(self._font_settled)
        return task

    def _font_imported(self, font) -> None:
        self.model.add_font(font)
        self._say(f"Imported the font {font.full_name or font.family}.")

    def _font_settled(self) -> None:
        self.font_task = None
        self.editor.import_button.setEnabled(True)

    # -- model -> view --------------------------------------------------------------------------------

    def _on_model(self, changed: set[str]) -> None:
        if "selection" in changed:
            self._show_selection()
        if "name" in changed and not self.name.hasFocus():
            with QSignalBlocker(self.name):
                self.name.setText(self.model.name)
        if changed & {"errors", "selection"}:
            text = self.model.errors.get("name", "")
            self.name_error.setText(text)
            self.name_error.setVisible(bool(text))
            if "preset_ref" in self.model.errors:
                self._say(self.model.errors["preset_ref"])
        if changed & {"style", "selection"}:
            self._request_render()
        if "style" in changed and self.model.dirty:
            self._save_timer.start(SAVE_DELAY_MS)
        if "saved" in changed:
            self._say(f"Saved {self.model.name}.")

    def _show_selection(self) -> None:
        m = self.model
        with QSignalBlocker(self.name):
            self.name.setText(m.name)
        self.name.setReadOnly(not m.editable)
        self.notice.setVisible(m.ref is not None and not m.editable)
        self.hint.setVisible(m.editable)
        self.ref_field.setText(m.ref or "")
        self.copy_button.setEnabled(m.ref is not None)
        self.use_button.setEnabled(m.ref is not None)
        self.preview.set_draggable(m.editable)
        if m.ref is None:
            self.preview.show_message("No preset selected")

    def _request_render(self, delay_ms: int | None = None) -> None:
        if self.model.style is not None:
            self.renderer.request(self.model.style, self.model.font_file, delay_ms)

    def _rendered(self, preview: RenderedPreview) -> None:
        self.preview.show_preview(preview)

    def _say(self, text: str) -> None:
        self.status.setText(text)

    # -- user -----------------------------------------------------------------------------------------

    def _rename(self) -> None:
        if self.model.editable and self.name.text() != self.model.name:
            self.model.rename(self.name.text())

    def _dragged(self, x: float, y: float) -> None:
        if self.model.set_position(x, y):
            self._request_render(DRAG_RENDER_MS)

    def _drag_finished(self) -> None:
        self._request_render(0)  # also clears the drag outline when the caption did not move

    def _chosen(self, ref: str) -> None:
        self.model.select(ref)
        self.choose_for_export()
