"""StyleEditor: one live control per caption style field, in groups, each with its error line.

Every change goes to the model (``CaptionStudioModel.edit``/``set_font``), which asks the engine;
a refused value stays in its control with the engine's sentence under it, and nothing is saved.
Check boxes, lists, the arrows and wheel of number boxes, the colour dialog and the drag on the
preview apply at once; a typed number or colour applies on Enter or when the field is left, so
what passes through the field while typing ("5", "50" on the way to "500") is never applied.
The number boxes do not hold the engine's limits (the engine has them and says them), only a
broad range that keeps the boxes usable. A control shows the model's (normalised) value again
when the user leaves it, unless the value was refused. For a built-in preset every control is
disabled; "Import font…" stays available.

The fields and their groups are ``GROUPS``; a test checks that every ``CaptionStyle`` field has a
control, so a field added to the engine cannot be forgotten here.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import EFFECTS

from ..worker_adapter import emit
from .model import CaptionStudioModel

LABEL_WIDTH = 118
BROAD = 100_000  # the number boxes' own range: wide, so the engine's limits are the ones that speak


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the CaptionStyle field
    label: str
    kind: str  # int | num | color | bool | effect | font
    step: float = 1
    decimals: int = 0
    tip: str = ""


GROUPS: tuple[tuple[str, tuple[Field, ...]], ...] = (
    ("Text", (
        Field("font_name", "Font", "font"),
        Field("font_size", "Size", "int", tip="pixels on a 1080p frame; scales with the output"),
        Field("text_color", "Colour", "color"),
        Field("uppercase", "Upper case", "bool"),
        Field("words_per_caption", "Words per caption", "int"),
        Field("max_lines", "Lines", "int"),
        Field("max_width", "Max width", "num", 0.05, 2, "of the frame's width; longer lines wrap or shrink"),
    )),
    ("Effect", (
        Field("effect", "Effect", "effect"),
        Field("highlight_mode", "Highlight spoken word", "bool"),
        Field("highlight_color", "Highlight colour", "color"),
    )),
    ("Stroke", (
        Field("stroke_enabled", "Stroke", "bool"),
        Field("stroke_width", "Width", "num", 0.5, 1),
        Field("stroke_color", "Colour", "color"),
    )),
    ("Box", (
        Field("background_enabled", "Box behind text", "bool"),
        Field("background_color", "Colour", "color"),
        Field("background_opacity", "Opacity", "num", 0.05, 2),
        Field("background_padding", "Padding", "num", 1, 0),
        Field("background_radius", "Corner radius", "num", 1, 0),
    )),
    ("Shadow", (
        Field("shadow_enabled", "Shadow", "bool"),
        Field("shadow_color", "Colour", "color"),
        Field("shadow_opacity", "Opacity", "num", 0.05, 2),
        Field("shadow_offset_x", "Offset x", "num", 1, 0),
        Field("shadow_offset_y", "Offset y", "num", 1, 0),
        Field("shadow_blur", "Blur", "num", 1, 0),
    )),
    ("Position", (
        Field("position_x", "Centre x", "num", 0.01, 3, "of the frame's width (or drag the caption)"),
        Field("position_y", "Centre y", "num", 0.01, 3, "of the frame's height (or drag the caption)"),
    )),
)
FIELDS: dict[str, Field] = {f.name: f for _, fields in GROUPS for f in fields}


class ColorField(QWidget):
    """A swatch that opens a colour dialog, and the colour as #rrggbb text the user may type."""

    edited = Signal(str)
    finished = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.swatch = QPushButton()
        self.swatch.setFixedSize(28, 22)
        self.swatch.setToolTip("Choose a colour")
        self.swatch.clicked.connect(self.choose)
        self.text = QLineEdit()
        self.text.setMaxLength(16)
        self.text.setPlaceholderText("#rrggbb")
        self.text.editingFinished.connect(self._typed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.swatch)
        row.addWidget(self.text, 1)

    def value(self) -> str:
        return self.text.text().strip()

    def _typed(self) -> None:
        if self.text.isModified():  # Enter or leaving the field, after typing
            self.text.setModified(False)
            emit(self.edited, self.value())
        emit(self.finished)

    def set_value(self, color: str) -> None:
        with QSignalBlocker(self.text):
            self.text.setText(color)
        self._paint_swatch(color)

    def _paint_swatch(self, color: str) -> None:
        ok = QColor.isValidColorName(color)
        self.swatch.setStyleSheet(f"background: {color if ok else 'transparent'}; border: 1px solid #5a5f66;"
                                  "border-radius: 3px;")

    def choose(self) -> None:
        start = QColor(self.value()) if QColor.isValidColorName(self.value()) else QColor("#ffffff")
        picked = QColorDialog.getColor(start, self, "Caption colour")
        if picked.isValid():
            self.pick(picked.name())

    def pick(self, color: str) -> None:
        """What choosing a colour in the dialog does."""
        self.set_value(color)
        emit(self.edited, color)
        emit(self.finished)


class StyleEditor(QWidget):
    """The controls of every style field; ``import_font_clicked`` asks the panel for a font file."""

    import_font_clicked = Signal()

    def __init__(self, model: CaptionStudioModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("editor")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.model = model
        self.controls: dict[str, QWidget] = {}
        self.error_labels: dict[str, QLabel] = {}
        self._editing: str | None = None  # the field whose control is being changed by the user
        self.grid = QHBoxLayout(self)  # one column of groups, or two side by side
        self.grid.setContentsMargins(0, 0, 0, 0)
        self._stacks = [QVBoxLayout(), QVBoxLayout()]
        for stack in self._stacks:
            self.grid.addLayout(stack, 1)
        self.boxes: list[QGroupBox] = []
        self.columns = 0
        for title, fields in GROUPS:
            box = QGroupBox(title)
            self.boxes.append(box)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for field in fields:
                control = self._make(field)
                control.setObjectName(field.name)
                if field.tip:
                    control.setToolTip(field.tip)
                self.controls[field.name] = control
                error = QLabel()
                error.setObjectName("error")
                error.setWordWrap(True)
                error.hide()
                self.error_labels[field.name] = error
                cell = QWidget()
                column = QVBoxLayout(cell)
                column.setContentsMargins(0, 0, 0, 0)
                column.setSpacing(2)
                if field.kind == "font":
                    row = QHBoxLayout()
                    row.addWidget(control, 1)
                    self.import_button = QPushButton("Import font…")
                    self.import_button.clicked.connect(lambda: emit(self.import_font_clicked))
                    row.addWidget(self.import_button)
                    column.addLayout(row)
                else:
                    column.addWidget(control)
                column.addWidget(error)
                label = QLabel("" if field.kind == "bool" else field.label)
                label.setFixedWidth(LABEL_WIDTH)  # the groups' columns line up
                form.addRow(label, cell)
        self.set_columns(1)
        model.subscribe(self._on_model)
        self._fill_fonts()
        self.show_style()

    def set_columns(self, columns: int) -> None:
        """Lay the groups out in ``columns`` columns (two on a wide screen, so every field shows
        without scrolling), filled top to bottom, each column about as tall as the others."""
        columns = max(1, columns)
        if columns == self.columns:
            return
        self.columns = columns
        for stack in self._stacks:
            while stack.count():
                stack.takeAt(0)  # its boxes and its stretch; the boxes stay ours
        heights = [b.sizeHint().height() for b in self.boxes]
        share = sum(heights) / columns
        column, filled = 0, 0.0
        for box, height in zip(self.boxes, heights):
            if column < columns - 1 and filled and filled + height / 2 > share:
                column, filled = column + 1, 0.0
            self._stacks[column].addWidget(box)
            filled += height
        for stack in self._stacks:
            stack.addStretch(1)
        self.grid.setStretch(1, 1 if columns > 1 else 0)

    def column_width(self) -> int:
        """The width one column of groups needs."""
        return max(b.minimumSizeHint().width() for b in self.boxes)

    # -- building -------------------------------------------------------------------------------------

    def _make(self, field: Field) -> QWidget:
        name = field.name
        if field.kind == "font":
            box = QComboBox()
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(12)
            box.currentIndexChanged.connect(lambda i: self._font_chosen(i))
            return box
        if field.kind == "effect":
            box = QComboBox()
            for effect in EFFECTS:
                box.addItem(effect.replace("_", " "), effect)
            box.currentIndexChanged.connect(lambda i: self._changed(name, box.itemData(i)))
            return box
        if field.kind == "bool":
            check = QCheckBox(field.label)
            check.toggled.connect(lambda on: self._changed(name, bool(on)))
            return check
        if field.kind == "color":
            color = ColorField()
            color.edited.connect(lambda text: self._changed(name, text))
            color.finished.connect(lambda: self._finished(name))
            return color
        if field.kind == "int":
            spin = QSpinBox()
            spin.setRange(-BROAD, BROAD)
        else:
            spin = QDoubleSpinBox()
            spin.setRange(-BROAD, BROAD)
            spin.setDecimals(field.decimals)
        spin.setMinimumWidth(90)  # not the width of the broad range's longest number
        spin.setSingleStep(field.step)
        spin.setKeyboardTracking(False)  # typed digits apply on Enter or leaving; arrows and wheel at once
        spin.valueChanged.connect(lambda v: self._changed(name, v))
        spin.editingFinished.connect(lambda: self._finished(name))
        return spin

    def _fill_fonts(self) -> None:
        box: QComboBox = self.controls["font_name"]
        with QSignalBlocker(box):
            box.clear()
            for choice in self.model.fonts:
                box.addItem(choice.label, choice.key)
        self._show_font()

    # -- user -> model --------------------------------------------------------------------------------

    def _changed(self, field: str, value) -> None:
        self._editing = field
        try:
            self.model.edit(field, value)
        finally:
            self._editing = None

    def _finished(self, field: str) -> None:
        if field not in self.model.errors:
            self._show_field(field)

    def _font_chosen(self, index: int) -> None:
        key = self.controls["font_name"].itemData(index)
        if key is not None:
            self._editing = "font_name"
            try:
                self.model.set_font(key)
            finally:
                self._editing = None

    # -- model -> controls ----------------------------------------------------------------------------

    def _on_model(self, changed: set[str]) -> None:
        if "fonts" in changed:
            self._fill_fonts()
        if changed & {"selection", "style", "saved"}:
            self.show_style(skip=self._editing)
        if changed & {"errors", "selection"}:
            self.show_errors()

    def show_style(self, skip: str | None = None) -> None:
        """Every control shows the model's style (but the one the user is typing in)."""
        for control in self.controls.values():
            control.setEnabled(self.model.editable)
        if self.model.style is None:
            return
        for name in FIELDS:
            if name != skip:
                self._show_field(name)

    def _show_field(self, name: str) -> None:
        if name == "font_name":
            self._show_font()
            return
        control, value = self.controls[name], getattr(self.model.style, name)
        with QSignalBlocker(control):
            if isinstance(control, QCheckBox):
                control.setChecked(value)
            elif isinstance(control, ColorField):
                control.set_value(value)
            elif isinstance(control, QComboBox):
                control.setCurrentIndex(control.findData(value))
            elif control.value() != value:
                control.setValue(value)

    def _show_font(self) -> None:
        box: QComboBox = self.controls["font_name"]
        choice = self.model.font
        with QSignalBlocker(box):
            box.setCurrentIndex(box.findData(choice.key) if choice is not None else -1)

    def show_errors(self) -> None:
        for name, label in self.error_labels.items():
            text = self.model.errors.get(name, "")
            label.setText(text)
            label.setVisible(bool(text))
