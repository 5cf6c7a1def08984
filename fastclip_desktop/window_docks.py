"""The main window's docks and its place on the screen: made, laid out, sized, restored and reset.

``WindowDocks`` makes a QDockWidget per panel (each holding it in a ``DockPage``, so its content
never widens it) and knows the default layout: library left; export above segments, moments and
transcript (tabs) on the right; jobs at the bottom, compact until something runs. It puts the window where it
was saved (pulled onto this screen) or fitted to it, keeps its frame on the screen once shown, gives
the side docks' room to the Caption Studio while it shows, and brings everything back on View →
Reset layout. The numbers and the geometry helpers are in ``window_layout``.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from .app_settings import AppSettings
from .window_layout import (
    EXPORT_SHARE,
    JOBS_COMPACT,
    JOBS_OPEN_MAX,
    JOBS_OPEN_SHARE,
    MOMENTS_SHARE,
    DockPage,
    fitted,
    pulled_in,
    side_widths,
)

SIDE_DOCKS = ("library", "export", "segments", "moments", "transcript")  # the editor's: the studio takes their room


class WindowDocks:
    """The docks of ``window``, by name: ``panels`` maps each name to its (title, panel)."""

    def __init__(self, window: QMainWindow, panels: dict[str, tuple[str, QWidget]]):
        self.window = window
        self.docks = {name: self._dock(title, panel) for name, (title, panel) in panels.items()}
        self._hidden_for_studio: list[str] = []

    def _dock(self, title: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")  # saveState needs names
        dock.setWidget(DockPage(widget))  # its content never widens it
        return dock

    def _available(self) -> QRect:
        screen = self.window.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry()

    # -- the window on the screen -------------------------------------------------------------------

    def place(self, app_settings: AppSettings) -> None:
        """The saved size and layout, pulled onto this screen; else the default, fitted to it."""
        w = self.window
        geometry, state = app_settings.window_state()
        if geometry is None or not w.restoreGeometry(geometry):
            w.setGeometry(fitted(self._available()))
        else:
            w.setGeometry(pulled_in(w.geometry(), self._available()))
        self.default_places()
        if state is None or not w.restoreState(state):
            QTimer.singleShot(0, w, self.default_sizes)  # once shown: before, there is no room to share

    def fit_frame(self) -> None:
        """The window's frame (title bar and borders, known once shown) inside the allowed part of
        the screen, too: the inside shrinks by what the frame adds."""
        w = self.window
        allowed = fitted(self._available(), w.frameGeometry().size())
        frame, inside = w.frameGeometry(), w.geometry()
        extra_w, extra_h = frame.width() - inside.width(), frame.height() - inside.height()
        if frame.width() > allowed.width() or frame.height() > allowed.height() or frame.x() < allowed.x() \
                or frame.y() < allowed.y():
            w.setGeometry(allowed.x() + (inside.x() - frame.x()), allowed.y() + (inside.y() - frame.y()),
                          allowed.width() - extra_w, allowed.height() - extra_h)

    # -- the default layout -------------------------------------------------------------------------

    def default_places(self) -> None:
        """Every dock in its default place: library left; export above segments, moments and transcript
        (tabs) on the right; jobs at the bottom."""
        w, docks = self.window, self.docks
        for dock in docks.values():
            dock.setFloating(False)
        w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, docks["library"])
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, docks["export"])
        w.splitDockWidget(docks["export"], docks["segments"], Qt.Orientation.Vertical)
        w.tabifyDockWidget(docks["segments"], docks["moments"])
        w.tabifyDockWidget(docks["moments"], docks["transcript"])
        docks["segments"].raise_()
        w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, docks["jobs"])

    def default_sizes(self) -> None:
        w, docks = self.window, self.docks
        library, side = side_widths(w.width())
        w.resizeDocks([docks["library"], docks["export"]], [library, side], Qt.Orientation.Horizontal)
        column = max(200, docks["export"].height() + docks["segments"].height())
        w.resizeDocks([docks["export"], docks["segments"]],
                      [int(column * EXPORT_SHARE), int(column * (1 - EXPORT_SHARE))], Qt.Orientation.Vertical)
        w.resizeDocks([docks["jobs"]], [JOBS_COMPACT], Qt.Orientation.Vertical)

    def reset(self) -> None:
        """Every dock back in its default place and size, shown, and the window fitted to the screen."""
        w = self.window
        w.setGeometry(fitted(self._available()))
        self.default_places()
        for dock in self.docks.values():
            dock.show()
        w.layout().activate()  # the docks where they now belong, before they are sized
        self.default_sizes()
        QTimer.singleShot(0, w, self.default_sizes)  # and again once the window has its new size

    # -- as the work goes on ------------------------------------------------------------------------

    def open_jobs(self) -> None:
        """Something runs: the compact jobs list opens to a share of the window (if it is not open)."""
        opened = int(min(JOBS_OPEN_MAX, self.window.height() * JOBS_OPEN_SHARE))
        if self.docks["jobs"].height() < opened * 0.8:
            self.window.resizeDocks([self.docks["jobs"]], [opened], Qt.Orientation.Vertical)

    def open_moments(self) -> None:
        """Moments are being found: their tab (under the export panel) takes MOMENTS_SHARE of the
        right column, if it has less and is docked there."""
        w, docks = self.window, self.docks
        moments, export = docks["moments"], docks["export"]
        if moments.isFloating() or export.isFloating() or not export.isVisible() \
                or w.dockWidgetArea(moments) != w.dockWidgetArea(export):
            return
        column = export.height() + moments.height()
        wanted = int(column * MOMENTS_SHARE)
        if moments.height() < wanted * 0.9:
            w.resizeDocks([export, moments], [column - wanted, wanted], Qt.Orientation.Vertical)

    def make_room_for_studio(self, studio: bool) -> None:
        """The Caption Studio (``studio`` True) takes the side docks' room; they come back with the editor."""
        if studio:
            self._hidden_for_studio = [n for n in SIDE_DOCKS if self.docks[n].isVisible()]
            for name in self._hidden_for_studio:
                self.docks[name].hide()
        else:
            for name in self._hidden_for_studio:
                self.docks[name].show()
            self._hidden_for_studio = []
