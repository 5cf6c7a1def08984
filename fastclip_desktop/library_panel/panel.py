"""LibraryPanel: the library's sources and clips, with search, sort and the actions on them.

It composes a LibraryModel (rows, search, order, texts), a LibraryTree (the view), a
PictureLoader (clip pictures made in a worker process) and the actions: open, rename, pin/unpin,
export a copy, delete (several clips at once: the engine's bulk delete). Every rule is the
library's: the panel calls ``engine.library.Library`` and shows its error's sentence in the
message line. ``refresh()`` re-reads the library after running its expiry sweep; a timer does the
same every ``sweep_interval_ms`` so expired clips disappear and the "expires in" texts move on.

Dialogs (the delete confirmation, the export file dialog) are opened window-modal with ``open()``,
never with a blocking ``exec()``.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QToolButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine import FastClipError, Library

from ..flow_layout import flow_row
from ..worker_adapter import Task, WorkerAdapter, emit
from .export_copy import export_clip_copies, export_clip_copy
from .model import SORTS, LibraryModel
from .picture_loader import PictureLoader
from .style import STYLE
from .tree import CLIP, ID_ROLE, KEPT, KIND_ROLE, SOURCE, LibraryTree


class LibraryPanel(QWidget):
    open_requested = Signal(str)  # a file to play: a clip's, or a source's
    source_selected = Signal(str)  # the file_id of the source row made current

    def __init__(self, library: Library, adapter: WorkerAdapter, parent: QWidget | None = None,
                 sweep_interval_ms: int = 60_000):
        super().__init__(parent)
        self.setObjectName("libraryPanel")
        self.library, self.adapter = library, adapter
        self.model = LibraryModel()
        self.tree = LibraryTree(self)
        self.pictures = PictureLoader(adapter, parent=self)
        self.dialog: QWidget | None = None  # the confirmation or file dialog open now, if any
        self._exports: set[Task] = set()
        self._source: str | None = None  # the source row last made current (source_selected)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search sources and clips")
        self.search.setClearButtonEnabled(True)
        self.sort = QComboBox(self)
        for key, label in SORTS.items():
            self.sort.addItem(label, key)
        self.summary = QLabel(self)
        self.summary.setObjectName("summary")
        self.message = QLabel(self)
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.open_action = self._action("Open", self.open_current, QKeySequence(Qt.Key.Key_Return),
                                        QKeySequence(Qt.Key.Key_Enter))
        self.rename_action = self._action("Rename", self.rename_current, QKeySequence(Qt.Key.Key_F2))
        self.pin_action = self._action("Pin", self.toggle_pin, QKeySequence("Ctrl+P"))
        self.export_action = self._action("Export a copy…", self.export_selected, QKeySequence("Ctrl+E"))
        self.delete_action = self._action("Delete", self.delete_selected, QKeySequence(QKeySequence.StandardKey.Delete))

        self._build_layout()
        self.setStyleSheet(STYLE)

        self.search.textChanged.connect(self.model.set_query)
        self.sort.currentIndexChanged.connect(lambda _: self.model.set_sort(self.sort.currentData()))
        self.model.subscribe(self._model_changed)
        self.tree.rename_requested.connect(self._rename)
        self.tree.pin_requested.connect(self._set_pinned)
        self.tree.itemSelectionChanged.connect(self._update_actions)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.pictures.picture_ready.connect(self.tree.set_picture)

        self._refresh_later = QTimer(self)  # one refresh after a burst of changes
        self._refresh_later.setSingleShot(True)
        self._refresh_later.timeout.connect(self.refresh)
        self.sweep_timer = QTimer(self)
        self.sweep_timer.setInterval(sweep_interval_ms)
        self.sweep_timer.timeout.connect(self.refresh)
        self.sweep_timer.start()
        self.refresh()

    def _action(self, text: str, slot, *keys: QKeySequence) -> QAction:
        action = QAction(text, self.tree)
        action.setShortcuts(list(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # not while typing in the editor
        action.triggered.connect(slot)
        self.tree.addAction(action)
        return action

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.search, stretch=1)
        top.addWidget(self.sort)
        self.sort.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.sort.setMinimumContentsLength(8)
        self.search.setMinimumWidth(80)
        buttons = []
        for action in (self.open_action, self.rename_action, self.pin_action, self.export_action,
                       self.delete_action):
            button = QToolButton(self)
            button.setDefaultAction(action)
            buttons.append(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.tree, stretch=1)
        row = flow_row(*buttons, parent=self)  # wraps in a narrow dock
        row.setObjectName("libraryButtons")
        layout.addWidget(row)
        layout.addWidget(self.summary)  # its own line: a narrow dock stays narrow
        layout.addWidget(self.message)

    # -- reading the library ------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Run the expiry sweep and read the library again (cheap: a few small queries)."""
        if self.tree.state() == QAbstractItemView.State.EditingState:
            self._refresh_later.start(500)  # never pull the row from under the user's typing
            return
        try:
            self.library.sweep_expired()
            self.model.reload(self.library)
        except FastClipError as e:
            self.show_error(str(e))

    def refresh_soon(self) -> None:
        self._refresh_later.start(0)

    def _model_changed(self, what: set[str]) -> None:
        self.tree.fill(self.model.groups(), self.model.expiry_text, self.pictures.picture)
        self.summary.setText(self.model.summary())
        self.pictures.request(self.tree.shown_paths())
        self._update_actions()

    # -- messages -----------------------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        self._say(text, "error")

    def show_info(self, text: str) -> None:
        self._say(text, "info")

    def _say(self, text: str, kind: str) -> None:
        self.message.setProperty("kind", kind)
        self.message.setText(text)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    # -- selection ----------------------------------------------------------------------------------

    def selected_clip_ids(self) -> list[str]:
        return self.tree.selected_ids(CLIP)

    def selected_source_ids(self) -> list[str]:
        return self.tree.selected_ids(SOURCE)

    def _update_actions(self) -> None:
        clips, sources = self.selected_clip_ids(), self.selected_source_ids()
        current = self.tree.currentItem()
        self.open_action.setEnabled(current is not None and current.data(0, KIND_ROLE) in (CLIP, SOURCE))
        self.rename_action.setEnabled(len(clips) == 1 and not sources)
        rows = [self.model.clip_by_id(c) for c in clips]
        all_pinned = bool(rows) and all(r is not None and r.pinned for r in rows)
        self.pin_action.setText("Unpin" if all_pinned else "Pin")
        self.pin_action.setEnabled(bool(clips))
        self.export_action.setEnabled(bool(clips))
        self.delete_action.setEnabled(bool(clips) != bool(sources))
        self.delete_action.setText("Remove import" if sources and not clips else "Delete")

    def _current_changed(self, item: QTreeWidgetItem | None, _previous) -> None:
        self._update_actions()
        if item is not None and item.data(0, KIND_ROLE) == SOURCE and item.data(0, ID_ROLE) != self._source:
            self._source = item.data(0, ID_ROLE)
            emit(self.source_selected, self._source)
        elif item is not None and item.data(0, KIND_ROLE) != SOURCE:
            self._source = None

    def _double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if column != KEPT:
            self._open(item)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is not None and not item.isSelected():
            self.tree.setCurrentItem(item)
        menu = QMenu(self)
        menu.addActions([self.open_action, self.rename_action, self.pin_action])
        menu.addSeparator()
        menu.addActions([self.export_action, self.delete_action])
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    # -- open ---------------------------------------------------------------------------------------

    @Slot()
    def open_current(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self._open(item)

    def _open(self, item: QTreeWidgetItem) -> None:
        kind, key = item.data(0, KIND_ROLE), item.data(0, ID_ROLE)
        try:
            if kind == CLIP:
                path = self.library.get_clip(key).path
            elif kind == SOURCE:
                path = self.library.check_source(key).path
            else:
                return
        except FastClipError as e:
            self.show_error(str(e))
            self.refresh_soon()
            return
        emit(self.open_requested, path)

    # -- rename and pin -----------------------------------------------------------------------------

    @Slot()
    def rename_current(self) -> None:
        clips = self.selected_clip_ids()
        if len(clips) == 1:
            item = self.tree.clip_item(clips[0])
            self.tree.setCurrentItem(item, 0)
            self.tree.editItem(item, 0)

    def _rename(self, clip_id: str, title: str) -> None:
        try:
            clip = self.library.rename_clip(clip_id, title)
        except FastClipError as e:
            self.tree.restore_title(clip_id)
            self.show_error(str(e))
            return
        self.show_info(f"Renamed to “{clip.title}”.")
        self.refresh_soon()

    @Slot()
    def toggle_pin(self) -> None:
        ids = self.selected_clip_ids()
        rows = [self.model.clip_by_id(c) for c in ids]
        pin = not (rows and all(r is not None and r.pinned for r in rows))
        for clip_id in ids:
            if not self._pin(clip_id, pin):
                break
        self.refresh_soon()

    def _set_pinned(self, clip_id: str, pinned: bool) -> None:
        self._pin(clip_id, pinned)
        self.refresh_soon()

    def _pin(self, clip_id: str, pinned: bool) -> bool:
        try:
            clip = self.library.pin_clip(clip_id) if pinned else self.library.unpin_clip(clip_id)
        except FastClipError as e:
            self.show_error(str(e))
            return False
        self.show_info(f"Pinned “{clip.title}”: it is kept until you unpin it." if pinned
                       else f"Unpinned “{clip.title}”.")
        return True

    # -- delete -------------------------------------------------------------------------------------

    @Slot()
    def delete_selected(self) -> None:
        clips, sources = self.selected_clip_ids(), self.selected_source_ids()
        if clips and sources:
            self.show_error("Select clips or imports to delete, not both.")
            return
        if clips:
            self._confirm("Delete clips", self.model.delete_clips_text(clips), "Delete",
                          lambda: self._delete_clips(clips))
        elif sources:
            self._confirm("Remove imports", self.model.remove_sources_text(sources), "Remove",
                          lambda: self._remove_sources(sources))

    def _confirm(self, title: str, text: str, verb: str, then) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, self)
        yes = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _: then() if box.clickedButton() is yes else None)
        box.destroyed.connect(self._dialog_closed)
        self.dialog = box
        box.open()

    def _dialog_closed(self) -> None:
        self.dialog = None

    def _delete_clips(self, ids: list[str]) -> None:
        try:
            if len(ids) == 1:
                clip = self.library.delete_clip(ids[0])
                self.show_info(f"Deleted “{clip.title}”.")
            else:
                result = self.library.bulk_delete_clips(ids)
                self.show_info(f"Deleted {len(result.deleted)} clips.")
        except FastClipError as e:
            self.show_error(str(e))
        self.refresh()

    def _remove_sources(self, ids: list[str]) -> None:
        removed = []
        for file_id in ids:
            try:
                removed.append(self.library.delete_media(file_id).filename)
            except FastClipError as e:
                self.show_error(str(e))
                break
        else:
            self.show_info(f"Removed {', '.join(removed)} from the library (the file is untouched).")
        self.refresh()

    # -- export a copy ------------------------------------------------------------------------------

    @Slot()
    def export_selected(self) -> None:
        ids = self.selected_clip_ids()
        if not ids:
            return
        folder = str(self.library.get_setting("default_export_folder") or Path.home())
        dialog = QFileDialog(self, "Export a copy" if len(ids) == 1 else f"Export copies of {len(ids)} clips", folder)
        if len(ids) == 1:
            clip = self.model.clip_by_id(ids[0])
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setFileMode(QFileDialog.FileMode.AnyFile)
            if clip is not None:
                dialog.selectFile(clip.file_name)
        else:
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self.export_to(ids, path))
        dialog.destroyed.connect(self._dialog_closed)
        self.dialog = dialog
        dialog.open()

    def export_to(self, clip_ids: list[str], path: str) -> Task:
        """Copy one clip to the file ``path``, or several into the folder ``path``, off the GUI thread."""
        if len(clip_ids) == 1:
            task = self.adapter.run(export_clip_copy, self.library, clip_ids[0], path, _label="export a copy")
        else:
            task = self.adapter.run(export_clip_copies, self.library, list(clip_ids), path, _label="export copies")
        self.show_info("Exporting a copy…")
        self._exports.add(task)
        task.finished.connect(self._exported)
        task.failed.connect(lambda e: self.show_error(str(e)))
        task.settled.connect(self._export_settled)
        return task

    @Slot(object)
    def _exported(self, written) -> None:
        paths = written if isinstance(written, list) else [written]
        if not paths:
            return
        where = str(paths[0]) if len(paths) == 1 else f"{len(paths)} files in {os.path.dirname(paths[0])}"
        self.show_info(f"Exported a copy to {where}.")

    @Slot()
    def _export_settled(self) -> None:
        self._exports.discard(self.sender())

    # -- closing ------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the timer and the picture work (the main window calls it before closing)."""
        self.sweep_timer.stop()
        self._refresh_later.stop()
        self.pictures.stop()
