"""The main window's menu bar and its shortcuts.

File: Open media… (Ctrl+O), Settings…, Quit. Edit: Undo and Redo of the open file's history (the
sessions' undo group, so they always act on the file in the editor). View: a toggle per dock and
Reset layout. The actions are added to the window too, so their shortcuts work wherever the focus
is. What each one does is the window's: ``add_menus`` is given the callables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence, QUndoGroup
from PySide6.QtWidgets import QDockWidget, QMainWindow


@dataclass(frozen=True)
class WindowActions:
    open: QAction
    settings: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    reset_layout: QAction


def add_menus(window: QMainWindow, *, open_media: Callable[[], None], open_settings: Callable[[], None],
              reset_layout: Callable[[], None], undo_group: QUndoGroup,
              docks: Iterable[QDockWidget]) -> WindowActions:
    """Fill ``window``'s menu bar (File, Edit, View) and return its actions."""
    open_action = QAction("&Open media…", window)
    open_action.setShortcut(QKeySequence.StandardKey.Open)
    open_action.triggered.connect(open_media)
    settings = QAction("&Settings…", window)
    settings.setShortcut(QKeySequence.StandardKey.Preferences)
    settings.triggered.connect(open_settings)
    quit_action = QAction("&Quit", window)
    quit_action.setShortcut(QKeySequence.StandardKey.Quit)
    quit_action.triggered.connect(window.close)
    file_menu = window.menuBar().addMenu("&File")
    file_menu.addActions([open_action, settings])
    file_menu.addSeparator()
    file_menu.addAction(quit_action)
    undo = undo_group.createUndoAction(window, "&Undo")  # the open file's history
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = undo_group.createRedoAction(window, "&Redo")
    redo.setShortcut(QKeySequence.StandardKey.Redo)
    edit_menu = window.menuBar().addMenu("&Edit")
    edit_menu.addActions([undo, redo])
    view_menu = window.menuBar().addMenu("&View")
    for dock in docks:
        view_menu.addAction(dock.toggleViewAction())
    view_menu.addSeparator()
    reset = view_menu.addAction("&Reset layout", reset_layout)
    window.addActions([open_action, settings, quit_action, undo, redo])
    return WindowActions(open_action, settings, quit_action, undo, redo, reset)
