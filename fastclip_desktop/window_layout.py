"""Where the main window's panels go and how big the window is: fitted to the screen it is on.

- The window opens at most ``SCREEN_SHARE`` of the available screen, centred, and never off it;
  a saved geometry that no longer fits (another screen, a lower resolution) is pulled back in.
- The default layout gives the picture the most room: the library (left) and the export column
  (right) take shares of the width with sensible limits, the jobs list at the bottom is compact
  until something runs.
- A panel's content never widens its dock: each dock holds its panel in a :class:`DockPage`, a
  scroll area whose size hint does not follow the content's width (a long label wraps or the page
  scrolls, the dock keeps the width the user gave it).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

SCREEN_SHARE = 0.9
MIN_WINDOW = QSize(960, 600)
LIBRARY_SHARE, LIBRARY_MIN, LIBRARY_MAX = 0.19, 250, 360
SIDE_SHARE, SIDE_MIN, SIDE_MAX = 0.24, 280, 420
JOBS_COMPACT = 58  # px: the jobs list's height until something runs (its header and one row)
JOBS_OPEN_SHARE, JOBS_OPEN_MAX = 0.18, 150  # once something runs: this share of the window, at most
EXPORT_SHARE = 0.58  # of the right column's height, above the segments and transcript
MOMENTS_SHARE = 0.6  # of the right column's height, for the moments once Find is pressed


def fitted(available: QRect, wanted: QSize | None = None) -> QRect:
    """A window rect inside ``available`` (a screen's available geometry): ``wanted`` (default: the
    largest allowed) shrunk to at most SCREEN_SHARE of it, centred."""
    max_w = max(1, int(available.width() * SCREEN_SHARE))
    max_h = max(1, int(available.height() * SCREEN_SHARE))
    w = max_w if wanted is None else min(max_w, wanted.width())
    h = max_h if wanted is None else min(max_h, wanted.height())
    x = available.x() + (available.width() - w) // 2
    y = available.y() + (available.height() - h) // 2
    return QRect(x, y, w, h)


def pulled_in(frame: QRect, available: QRect) -> QRect:
    """``frame`` (a restored window geometry) moved and shrunk so that it lies inside ``available``."""
    if available.contains(frame):
        return frame
    w = min(frame.width(), available.width())
    h = min(frame.height(), available.height())
    x = min(max(frame.x(), available.x()), available.right() - w + 1)
    y = min(max(frame.y(), available.y()), available.bottom() - h + 1)
    return QRect(x, y, w, h)


def side_widths(window_width: int) -> tuple[int, int]:
    """(library, right column) widths of the default layout for a window this wide."""
    library = int(min(LIBRARY_MAX, max(LIBRARY_MIN, window_width * LIBRARY_SHARE)))
    side = int(min(SIDE_MAX, max(SIDE_MIN, window_width * SIDE_SHARE)))
    return library, side


class _Column(QVBoxLayout):
    """The page's layout: it keeps its content's height-for-width to itself (the scroll area would
    take the content's preferred height for its minimum, and scroll while everything fits); the
    page sets the height its wrapped texts need at its width as the minimum instead."""

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return False


class DockPage(QScrollArea):
    """A dock's content holder that never asks for more width because its content grew."""

    def __init__(self, content: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.content = content
        holder = QWidget()
        column = _Column(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(content)
        self.setWidget(holder)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._hint = QSize(content.sizeHint())
        content.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.content and event.type() == QEvent.Type.LayoutRequest:
            self._fit_height()  # a text changed: it may wrap onto more lines
        return False

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """At this width, wrapped texts need more lines: the content may not be squeezed below that
        (it would squeeze its other rows into one another); past it, the page scrolls."""
        layout = self.content.layout()
        if layout is not None and layout.hasHeightForWidth():
            need = max(layout.totalMinimumSize().height(), layout.totalHeightForWidth(self.viewport().width()))
            if self.widget().minimumHeight() != need:
                self.widget().setMinimumHeight(need)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name): fixed at what the content first asked
        return QSize(self._hint)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, 60)
