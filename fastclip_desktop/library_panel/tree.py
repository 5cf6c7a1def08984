"""LibraryTree: the sources and their clips as a QTreeWidget, filled from a LibraryModel's groups.

Columns: name (a picture and the source's filename or the clip's title, editable for a clip),
details (a source's status and kind, a clip's format and quality), duration, and "kept" (a
clip's pin checkbox with how long it is kept). In a narrow dock the name takes the whole row,
with the other columns on a second line beneath it. Filling keeps what the user had expanded and
selected. The user's edits come out as signals (``rename_requested``, ``pin_requested``); the
panel asks the library and refreshes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QItemSelectionModel, QRect, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
)

from engine import Clip

from ..worker_adapter import emit
from .model import Group, clip_details_text, duration_text, source_status_text
from .picture_loader import PICTURE_SIZE

NAME, DETAILS, DURATION, KEPT = range(4)
HEADERS = ("Name", "Details", "Duration", "Kept")
KIND_ROLE = Qt.ItemDataRole.UserRole  # "source", "clip" or "orphans"
ID_ROLE = Qt.ItemDataRole.UserRole + 1  # file_id or clip_id
PATH_ROLE = Qt.ItemDataRole.UserRole + 2  # the file the picture shows
SUBLINE_ROLE = Qt.ItemDataRole.UserRole + 3  # duration, details, kept: a second line when narrow
COMPACT_WIDTH = 420  # px: narrower than this, the duration, details and "kept" go under the name
SOURCE, CLIP, ORPHANS = "source", "clip", "orphans"
ICON_SIZE = PICTURE_SIZE
COLORS = {
    "failed": QColor("#ff8a80"),
    "working": QColor("#ffcc80"),
    "pinned": QColor("#ffb74d"),
    "yours": QColor("#8fd3ff"),
    "muted": QColor("#8a9099"),
    "placeholder": QColor("#2b2e33"),
}


def placeholder_picture() -> QPixmap:
    pixmap = QPixmap(ICON_SIZE)
    pixmap.fill(COLORS["placeholder"])
    return pixmap


class NameDelegate(QStyledItemDelegate):
    """Draws a name elided in the middle (the times at the end of a clip's name tell clips apart),
    and, when the tree is compact, the row's details on a second, dimmer line beneath it."""

    def __init__(self, tree: LibraryTree):
        super().__init__(tree)
        self.tree = tree

    def paint(self, painter, option, index) -> None:
        if index.column() != NAME:
            return super().paint(painter, option, index)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is None:
            return super().paint(painter, option, index)
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        area = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget).adjusted(2, 0, -2, 0)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        color = opt.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        subline = index.data(SUBLINE_ROLE) if self.tree.compact else ""
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(color)
        metrics = QFontMetrics(opt.font)
        if subline:
            top = QRect(area.x(), area.y(), area.width(), area.height() // 2)
            bottom = QRect(area.x(), area.y() + area.height() // 2, area.width(), area.height() - area.height() // 2)
            align_top, align_bottom = Qt.AlignmentFlag.AlignBottom, Qt.AlignmentFlag.AlignTop
        else:
            top, bottom = area, None
            align_top = Qt.AlignmentFlag.AlignVCenter
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | align_top,
                         metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, top.width()))
        if bottom is not None:
            font = opt.font
            font.setBold(False)
            font.setPixelSize(max(9, metrics.height() - 5))
            painter.setFont(font)
            painter.setPen(COLORS["muted"])
            painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft | align_bottom,
                             QFontMetrics(font).elidedText(subline, Qt.TextElideMode.ElideRight, bottom.width()))
        painter.restore()


class LibraryTree(QTreeWidget):
    rename_requested = Signal(str, str)  # clip_id, the title typed
    pin_requested = Signal(str, bool)  # clip_id, pinned

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(len(HEADERS))
        self.setHeaderLabels(list(HEADERS))
        self.setIconSize(ICON_SIZE)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)  # F2 / Rename call editItem
        self.setUniformRowHeights(False)
        self.setAlternatingRowColors(False)
        self.setRootIsDecorated(True)
        self.setExpandsOnDoubleClick(False)  # a double-click opens the row
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in (DETAILS, DURATION, KEPT):  # as wide as what they show: the name gets the rest
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.compact = False  # details and "kept" under the name (a narrow dock)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a clip's times are at the end of its name
        self.setItemDelegateForColumn(NAME, NameDelegate(self))
        self._filling = False
        self._sources: dict[str, QTreeWidgetItem] = {}
        self._clips: dict[str, QTreeWidgetItem] = {}
        self._titles: dict[str, str] = {}  # clip_id -> its title as the library has it
        self._collapsed: set[str] = set()  # group keys the user closed (new ones open)
        self._placeholder = placeholder_picture()
        self.itemChanged.connect(self._item_changed)
        self.itemCollapsed.connect(lambda item: self._collapsed.add(_group_key(item)))
        self.itemExpanded.connect(lambda item: self._collapsed.discard(_group_key(item)))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        compact = self.viewport().width() < COMPACT_WIDTH
        if compact != self.compact:
            self.compact = compact
            for column in (DETAILS, DURATION, KEPT):  # the name gets their room: its times show
                self.setColumnHidden(column, compact)
            self.viewport().update()

    # -- filling ------------------------------------------------------------------------------------

    def fill(self, groups: Iterable[Group], expiry_text: Callable[[Clip], str],
             picture: Callable[[str], QPixmap | None]) -> None:
        """Show ``groups``; what was selected and current stays so when it is still shown."""
        selected = {(i.data(0, KIND_ROLE), i.data(0, ID_ROLE)) for i in self.selectedItems()}
        current = self.currentItem()
        current_key = (current.data(0, KIND_ROLE), current.data(0, ID_ROLE)) if current else None
        scroll = self.verticalScrollBar().value()
        self._filling = True
        self.setUpdatesEnabled(False)
        self.blockSignals(True)  # a refill is not the user changing the selection or the current row
        try:
            self.clear()
            self._sources, self._clips, self._titles = {}, {}, {}
            for group in groups:
                top = self._group_item(group, picture)
                for clip in group.clips:
                    top.addChild(self._clip_item(clip, expiry_text(clip), picture))
                self.addTopLevelItem(top)
                top.setExpanded(group.key not in self._collapsed)
            for item in self._all_items():
                key = (item.data(0, KIND_ROLE), item.data(0, ID_ROLE))
                if key == current_key:
                    self.setCurrentItem(item, 0, QItemSelectionModel.SelectionFlag.NoUpdate)
                if key in selected:
                    item.setSelected(True)
        finally:
            self.blockSignals(False)
            self._filling = False
            self.setUpdatesEnabled(True)
        self.verticalScrollBar().setValue(scroll)

    def _group_item(self, group: Group, picture) -> QTreeWidgetItem:
        item = QTreeWidgetItem()
        if group.media is None:
            item.setData(0, KIND_ROLE, ORPHANS)
            item.setData(0, ID_ROLE, "")
            item.setText(NAME, group.name)
            item.setForeground(NAME, QBrush(COLORS["muted"]))
            item.setToolTip(NAME, "Clips whose import was deleted from the library")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            return item
        m = group.media
        item.setData(0, KIND_ROLE, SOURCE)
        item.setData(0, ID_ROLE, m.file_id)
        item.setText(NAME, m.filename)
        item.setToolTip(NAME, f"{m.filename}\n{m.path}")
        item.setText(DETAILS, source_status_text(m))
        item.setData(NAME, SUBLINE_ROLE, f"{duration_text(m.duration)} · {source_status_text(m)}")
        if m.status == "failed":
            item.setForeground(DETAILS, QBrush(COLORS["failed"]))
            item.setToolTip(DETAILS, m.error or "the import failed")
        elif m.status != "ready":
            item.setForeground(DETAILS, QBrush(COLORS["working"]))
            item.setToolTip(DETAILS, f"the import is {m.status}")
        item.setText(DURATION, duration_text(m.duration))
        item.setTextAlignment(DURATION, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if m.status == "ready" and m.has_video:
            item.setData(0, PATH_ROLE, m.path)
        item.setIcon(NAME, picture(m.path) if item.data(0, PATH_ROLE) and picture(m.path) else self._placeholder)
        font = item.font(NAME)
        font.setBold(True)
        item.setFont(NAME, font)
        self._sources[m.file_id] = item
        return item

    def _clip_item(self, clip: Clip, kept: str, picture) -> QTreeWidgetItem:
        item = QTreeWidgetItem()
        item.setData(0, KIND_ROLE, CLIP)
        item.setData(0, ID_ROLE, clip.clip_id)
        item.setData(0, PATH_ROLE, clip.path)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable)
        item.setText(NAME, clip.title)
        item.setToolTip(NAME, f"{clip.title}\n{clip.path}\nmade {clip.created_at}")
        item.setData(NAME, SUBLINE_ROLE, f"{duration_text(clip.duration)} · {clip_details_text(clip)} · {kept}")
        item.setIcon(NAME, picture(clip.path) or self._placeholder)
        item.setText(DETAILS, clip_details_text(clip))
        item.setText(DURATION, duration_text(clip.duration))
        item.setTextAlignment(DURATION, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setText(KEPT, kept)
        item.setCheckState(KEPT, Qt.CheckState.Checked if clip.pinned else Qt.CheckState.Unchecked)
        item.setToolTip(KEPT, "Pinned clips are kept until you unpin or delete them" if clip.in_library else
                        "This file is yours: the app never expires or deletes it")
        if clip.pinned:
            item.setForeground(KEPT, QBrush(COLORS["pinned"]))
        elif not clip.in_library:
            item.setForeground(KEPT, QBrush(COLORS["yours"]))
        self._clips[clip.clip_id] = item
        self._titles[clip.clip_id] = clip.title
        return item

    def set_picture(self, path: str, pixmap: QPixmap) -> None:
        """Show the picture of ``path`` on every row that stands for that file."""
        for item in self._all_items():
            if item.data(0, PATH_ROLE) == path:
                item.setIcon(NAME, pixmap)

    def restore_title(self, clip_id: str) -> None:
        """Put back the library's title after a rename it refused."""
        item = self._clips.get(clip_id)
        if item is not None:
            self._filling = True
            try:
                item.setText(NAME, self._titles[clip_id])
            finally:
                self._filling = False

    # -- reading ------------------------------------------------------------------------------------

    def source_item(self, file_id: str) -> QTreeWidgetItem | None:
        return self._sources.get(file_id)

    def clip_item(self, clip_id: str) -> QTreeWidgetItem | None:
        return self._clips.get(clip_id)

    def selected_ids(self, kind: str) -> list[str]:
        """The ids of the selected rows of ``kind`` (SOURCE or CLIP), top to bottom."""
        return [i.data(0, ID_ROLE) for i in self._all_items() if i.isSelected() and i.data(0, KIND_ROLE) == kind]

    def shown_paths(self) -> list[str]:
        """The files whose pictures the rows show, top to bottom."""
        return [p for p in (i.data(0, PATH_ROLE) for i in self._all_items()) if p]

    def _all_items(self) -> list[QTreeWidgetItem]:
        out = []
        for t in range(self.topLevelItemCount()):
            top = self.topLevelItem(t)
            out.append(top)
            out.extend(top.child(c) for c in range(top.childCount()))
        return out

    # -- the user's edits ---------------------------------------------------------------------------

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or item.data(0, KIND_ROLE) != CLIP:
            return
        clip_id = item.data(0, ID_ROLE)
        if column == NAME and item.text(NAME) != self._titles.get(clip_id):
            emit(self.rename_requested, clip_id, item.text(NAME))
        elif column == KEPT:
            emit(self.pin_requested, clip_id, item.checkState(KEPT) == Qt.CheckState.Checked)


def _group_key(item: QTreeWidgetItem) -> str:
    return item.data(0, ID_ROLE) or ""
