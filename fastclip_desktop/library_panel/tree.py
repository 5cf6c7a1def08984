"""LibraryTree: the sources and their clips as a QTreeWidget, filled from a LibraryModel's groups.

Columns: name (a picture and the source's filename or the clip's title, editable for a clip),
details (a source's status and kind, a clip's format and quality), duration, and "kept" (a
clip's pin checkbox with how long it is kept). Filling keeps what the user had expanded and
selected. The user's edits come out as signals (``rename_requested``, ``pin_requested``); the
panel asks the library and refreshes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTreeWidget,
    QTreeWidgetItem,
)

from engine.library import Clip

from ..worker_adapter import emit
from .model import Group, clip_details_text, duration_text, source_status_text
from .picture_loader import PICTURE_SIZE

NAME, DETAILS, DURATION, KEPT = range(4)
HEADERS = ("Name", "Details", "Duration", "Kept")
KIND_ROLE = Qt.ItemDataRole.UserRole  # "source", "clip" or "orphans"
ID_ROLE = Qt.ItemDataRole.UserRole + 1  # file_id or clip_id
PATH_ROLE = Qt.ItemDataRole.UserRole + 2  # the file the picture shows
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
        self._filling = False
        self._sources: dict[str, QTreeWidgetItem] = {}
        self._clips: dict[str, QTreeWidgetItem] = {}
        self._titles: dict[str, str] = {}  # clip_id -> its title as the library has it
        self._collapsed: set[str] = set()  # group keys the user closed (new ones open)
        self._placeholder = placeholder_picture()
        self.itemChanged.connect(self._item_changed)
        self.itemCollapsed.connect(lambda item: self._collapsed.add(_group_key(item)))
        self.itemExpanded.connect(lambda item: self._collapsed.discard(_group_key(item)))

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
        item.setToolTip(NAME, m.path)
        item.setText(DETAILS, source_status_text(m))
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
        item.setToolTip(NAME, f"{clip.path}\nmade {clip.created_at}")
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
