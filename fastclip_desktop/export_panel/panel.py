"""ExportPanel: the export form over an ExportModel, and the Export button that hands a ClipRequest on.

Each field is a row: a label, its control and, beneath, the engine's message when it refuses the
current choice. A combo entry the engine refuses is disabled, with the engine's message as its
tooltip; a field with one allowed option left is disabled (an audio format takes no quality). A
summary line says what Export will make ("3 clips, 0:42 total, mp4 1920×1080"); beneath it, the
cut preview says what the cuts will do, from the keyframe index (``set_keyframes``) without
decoding ("Re-encodes 1.4 s at the start and 0.6 s at the end, copies 27.9 s."; in keyframe mode
the keyframe a cut really starts on), computed off the GUI thread as the form changes; a hint says why there is nothing to export (no media open, no segment marked). The
Export button is above all these texts: however they wrap, it does not move.

The main window composes it: ``set_media(file_id, info)``, ``set_segments([(start, end), ...])``,
``set_keyframes(index)`` from the editor, ``set_defaults(...)`` from the settings, ``set_caption_preset(ref)`` from the Caption Studio; it
connects ``export_requested(ClipRequest, out)`` to the job queue's submit (``out`` None for the
library, else a folder ending with a separator) and calls ``show_error(error)`` when submit refuses.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine import FastClipError, KeyframeIndex, MediaInfo

from ..cut_preview import PreviewAsk, export_sentence
from ..cut_preview.previewer import CutPreviewer
from ..worker_adapter import emit
from .model import GENERAL, PRECISE, ExportModel

LIBRARY, CHOOSE = "library", "choose"  # the destination combo's non-folder entries
READING_KEYFRAMES = "Reading keyframes to preview the cut…"
STYLE = """
ExportPanel { background: #1b1c1f; }
QLabel { color: #d7dbe0; font-size: 12px; }
QLabel#fieldError, QLabel#generalError { color: #ff6b6b; }
QLabel#summary { color: #ffffff; }
QLabel#cutPreview { color: #c9cdd3; }
QLabel#hint { color: #a4a9b0; font-style: italic; }
QComboBox, QPushButton { background: #2b2e33; color: #e3e6ea; border: 1px solid #3a3e44;
                         border-radius: 4px; padding: 4px 10px; }
QComboBox:disabled, QPushButton:disabled { color: #6b7078; background: #222428; }
QComboBox QAbstractItemView { background: #2b2e33; border: 1px solid #3a3e44; color: #e3e6ea; selection-background-color: #3d4f66; }
QCheckBox { color: #d7dbe0; }
QCheckBox:disabled { color: #6b7078; }
QCheckBox::indicator { width: 13px; height: 13px; border: 1px solid #6b7078; border-radius: 3px; background: #2b2e33; }
QCheckBox::indicator:checked { background: #ffb74d; border-color: #ffb74d; }
QCheckBox::indicator:disabled { border-color: #3a3e44; background: #222428; }
QPushButton#export { background: #c98a2e; color: #1b1c1f; font-weight: bold; border: none; padding: 6px 16px; }
QPushButton#export:disabled { background: #3a3e44; color: #6b7078; }
"""


class ExportPanel(QWidget):
    export_requested = Signal(object, object)  # ClipRequest (source = file_id), out: None or "folder/"

    def __init__(self, library=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.library = library
        self.setObjectName("ExportPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        if library is not None:
            settings = library.settings()
            self.model = ExportModel(default_mode=settings["default_cut_mode"],
                                     default_folder=settings["default_export_folder"])
        else:
            self.model = ExportModel(default_mode=PRECISE)
        self.folder_dialog: QFileDialog | None = None
        self.keyframes: KeyframeIndex | None = None
        self.previewer = CutPreviewer(self)
        self.previewer.ready.connect(self._show_cut)
        self._build()
        self._unsubscribe = self.model.subscribe(lambda _what: self._refresh())
        unsubscribe = self._unsubscribe
        self.destroyed.connect(lambda: unsubscribe())
        self.reload_presets()

    # -- the main window's calls --------------------------------------------------------------------

    def set_media(self, file_id: str | None, info: MediaInfo | None) -> None:
        self.model.set_media(file_id, info)

    def set_segments(self, segments) -> None:
        self.model.set_segments(segments)

    def set_keyframes(self, index: KeyframeIndex | None) -> None:
        """The open file's keyframe index (None until it is read): what the cut preview is made from."""
        if index is not self.keyframes:
            self.keyframes = index
            self._show_cut()

    def set_pending(self, span) -> None:
        """In and out set on the timeline but not added: Export makes that span when nothing was added."""
        self.model.set_pending(span)

    def set_defaults(self, default_cut_mode: str | None = None, default_export_folder: str | None = None) -> None:
        self.model.set_defaults(default_cut_mode, default_export_folder)

    def set_caption_preset(self, ref: str | None) -> None:
        """Choose a preset (None or "none": no captions); an unknown ref re-reads the presets first."""
        if ref in (None, "", "none"):
            self.model.choose("captions", None)
            return
        if ref not in (r for r, _ in self.model.presets):
            self.reload_presets()
        self.model.choose("captions", ref)

    def reload_presets(self) -> None:
        """Read the caption presets again (a custom preset was made, renamed or deleted)."""
        try:
            self.model.load_presets(self.library)
        except FastClipError as e:
            self.model.set_submit_error(e)

    def set_destination_folder(self, folder: str | None) -> None:
        """Export into ``folder`` (None: the library); what the folder dialog's choice does."""
        self.model.set_destination(folder or None)

    def show_error(self, error: FastClipError) -> None:
        """The job queue refused the request: show why, next to the field it names."""
        self.model.set_submit_error(error)

    def request_export(self) -> None:
        request = self.model.request()
        if request is not None:
            emit(self.export_requested, request, self.model.out())

    # -- building -----------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 4)  # snug: on a 720-line screen every text shows unscrolled
        outer.setSpacing(4)
        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("export")
        self.export_button.clicked.connect(self.request_export)
        self.export_button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        outer.addWidget(self.export_button)  # first, whatever the texts below it say: clicks never miss
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setVerticalSpacing(2)
        outer.addLayout(grid)
        self.combos: dict[str, QComboBox] = {}
        self.captions_note = QLabel()
        self.captions_note.setObjectName("hint")
        self.captions_note.setWordWrap(True)
        self.captions_note.hide()
        self.error_labels: dict[str, QLabel] = {}
        self.field_labels: dict[str, QLabel] = {}
        row = 0

        def add(field: str, text: str, control: QWidget) -> None:
            nonlocal row
            label = QLabel(text)
            label.setBuddy(control)
            error = QLabel()
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.hide()
            grid.addWidget(label, row, 0)
            grid.addWidget(control, row, 1)
            grid.addWidget(error, row + 1, 1)
            self.field_labels[field], self.error_labels[field] = label, error
            row += 2
            if field == "captions":  # why no preset can be chosen now (an audio format, a GIF)
                grid.addWidget(self.captions_note, row, 1)
                row += 1

        for field, text in (("format", "&Format"), ("quality", "&Quality"), ("mode", "Cut &mode"),
                            ("captions", "&Captions")):
            combo = QComboBox()
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)  # long labels are cut in the box (the list shows them whole)
            combo.activated.connect(lambda index, f=field: self._on_combo(f, index))
            self.combos[field] = combo
            add(field, text, combo)

        # (how many: the Export button says it, and the summary; the segments panel lists them)
        self.join_box = QCheckBox("&Join into one clip")
        self.join_box.toggled.connect(lambda on: self.model.choose("join", on))
        add("segments", "Clips", self.join_box)

        self.destination = QComboBox()
        self.destination.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.destination.setMinimumContentsLength(12)
        self.destination.activated.connect(self._on_destination)
        add("destination", "&Save to", self.destination)

        self.summary_label = QLabel()
        self.summary_label.setObjectName("summary")
        self.summary_label.setWordWrap(True)
        self.cut_label = QLabel()
        self.cut_label.setObjectName("cutPreview")
        self.cut_label.setWordWrap(True)
        self.cut_label.setToolTip("What the cut will do, read from the keyframes before exporting: where it "
                                  "really starts, and what is re-encoded or copied")
        self.general_error = QLabel()
        self.general_error.setObjectName("generalError")
        self.general_error.setWordWrap(True)
        self.hint_label = QLabel()
        self.hint_label.setObjectName("hint")
        self.hint_label.setWordWrap(True)
        for w in (self.summary_label, self.cut_label, self.general_error, self.hint_label):
            outer.addWidget(w)
        outer.addStretch(1)

    # -- user input ---------------------------------------------------------------------------------

    def _on_combo(self, field: str, index: int) -> None:
        if index >= 0:
            self.model.choose(field, self.combos[field].itemData(index))

    def _on_destination(self, index: int) -> None:
        data = self.destination.itemData(index)
        if data == CHOOSE:
            self._refresh()  # the combo shows the current destination until a folder is chosen
            self.choose_folder()
        else:
            self.model.set_destination(None if data == LIBRARY else data)

    def choose_folder(self) -> None:
        """Open the folder dialog (not blocking: its choice arrives through ``fileSelected``)."""
        start = self.model.folder or self.model.default_folder or os.path.expanduser("~")
        dialog = QFileDialog(self, "Export clips to a folder", start)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.set_destination_folder)
        dialog.finished.connect(dialog.deleteLater)
        self.folder_dialog = dialog
        dialog.open()

    # -- showing the model --------------------------------------------------------------------------

    def _refresh(self) -> None:
        m = self.model
        for field, combo in self.combos.items():
            _fill(combo, m.options(field), m.value(field))
            combo.setEnabled(m.field_enabled(field))
        self._show_segments()
        self._show_destination()
        messages = m.messages
        for field, label in self.error_labels.items():
            text = messages.get(field, "")
            if field == "segments" and not text:
                text = messages.get("join", "")  # the join box is in the Clips row
            label.setText(text)
            label.setVisible(bool(text))
        general = messages.get(GENERAL, "")
        self.general_error.setText(general)
        self.general_error.setVisible(bool(general))
        self.summary_label.setText(m.summary)
        self.summary_label.setVisible(bool(m.summary))
        self._show_cut()
        self.hint_label.setText(m.hint)
        self.hint_label.setVisible(bool(m.hint))
        note = m.captions_note if not messages.get("captions") else ""
        self.captions_note.setText(note)
        self.captions_note.setVisible(bool(note))
        self.export_button.setText(m.export_text)
        self.export_button.setEnabled(m.can_export)
        self.export_button.setToolTip("" if m.can_export else (m.hint or "Fix the field marked in red to export."))

    def _cut_ask(self) -> PreviewAsk | None:
        clip, info = self.model.valid, self.model.info
        if clip is None or info is None or info.video is None or not clip.has_video_output or self.keyframes is None:
            return None
        return PreviewAsk.for_clip(self.keyframes, info, clip)

    def _show_cut(self) -> None:
        """The cut preview of what Export makes; while a new one is computed the last one stays (a
        few milliseconds: no flicker as a segment is dragged)."""
        clip, info = self.model.valid, self.model.info
        ask = self._cut_ask()
        self.previewer.request(ask)
        if clip is None or info is None or info.video is None or not clip.has_video_output:
            text = ""
        elif ask is None:
            text = READING_KEYFRAMES
        else:
            said = export_sentence(ask.outputs, self.previewer.previews(ask),
                                   keyframe=clip.mode == "keyframe", joined=clip.join)
            text = said if said is not None else (self.cut_label.text() or "…")
        self.cut_label.setText(text)
        self.cut_label.setVisible(bool(text))

    def _show_segments(self) -> None:
        m = self.model
        self.join_box.blockSignals(True)
        self.join_box.setChecked(bool(m.value("join")))
        self.join_box.blockSignals(False)
        self.join_box.setEnabled(m.field_enabled("join"))
        self.join_box.setToolTip(m.options("join")[1].refusal or "")

    def _show_destination(self) -> None:
        combo, folder = self.destination, self.model.folder
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("Library (clips expire unless pinned)", LIBRARY)
        if folder:
            combo.addItem(folder, folder)
            combo.setItemData(1, folder, Qt.ItemDataRole.ToolTipRole)
        default = self.model.default_folder
        if default and default != folder:
            combo.addItem(default, default)
        combo.addItem("Choose folder…", CHOOSE)
        combo.setCurrentIndex(1 if folder else 0)
        combo.blockSignals(False)


def _fill(combo: QComboBox, options, current) -> None:
    """Show ``options`` in ``combo``: refused ones disabled with the engine's message as tooltip."""
    combo.blockSignals(True)
    if [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())] != \
            [(o.value, o.label) for o in options]:
        combo.clear()
        for o in options:
            combo.addItem(o.label, o.value)
    items = combo.model()
    assert isinstance(items, QStandardItemModel)
    for i, o in enumerate(options):
        item = items.item(i)
        item.setEnabled(o.allowed)
        item.setToolTip(o.refusal or "")
    index = next((i for i, o in enumerate(options) if o.value == current), -1)
    combo.setCurrentIndex(index)
    combo.setToolTip(next((o.refusal for o in options if o.value == current and o.refusal), ""))
    combo.blockSignals(False)
