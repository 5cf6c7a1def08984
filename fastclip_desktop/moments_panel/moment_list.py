"""MomentList: the moments found, best first, one card each: its rank, time and length, its
confidence, its excerpt (up to three lines) and the reasons it was chosen.

A ``QListWidget`` whose rows are drawn by ``MomentDelegate`` from the ``MomentRow`` each item holds;
``card_lines`` is the one layout both the painting and the row height use, so what a test reads
from it is what is drawn. A click on a card is ``moment_clicked(index)`` (the panel plays it);
Enter on the current card is ``moment_activated(index)``.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ..worker_adapter import emit
from .model import MomentRow

ROW = Qt.ItemDataRole.UserRole
PAD, GAP = 8, 3
EXCERPT_LINES, REASON_LINES = 3, 2  # at most, in a list with room for two cards of that size
SHORT_LIST = 260  # px: a list less high than this shows 2 lines of excerpt and 1 of reasons (tooltip: all)
LEVEL_COLORS = {"high": QColor("#66bb6a"), "medium": QColor("#ffb74d"), "low": QColor("#8b9098")}
COLORS = {"text": QColor("#e3e6ea"), "excerpt": QColor("#cfd3d8"), "muted": QColor("#8b9098"),
          "badge": QColor("#9575cd"), "badge_text": QColor("#15161a"), "selected": QColor("#2b3140"),
          "hover": QColor("#24262b"), "accent": QColor("#b39ddb"), "rule": QColor("#2b2e33")}


def fonts(base: QFont) -> dict[str, QFont]:
    """The card's fonts, from the list's: the head line bold, the excerpt as is, the reasons smaller."""
    head, excerpt, small = QFont(base), QFont(base), QFont(base)
    head.setPixelSize(12)
    head.setBold(True)
    excerpt.setPixelSize(12)
    small.setPixelSize(11)
    return {"head": head, "excerpt": excerpt, "small": small}


def wrapped(text: str, metrics: QFontMetricsF, width: float, max_lines: int) -> list[str]:
    """``text`` wrapped at words into lines at most ``width`` wide, at most ``max_lines`` of them
    (the last one elided when the text goes on)."""
    words, lines, line = text.split(), [], ""
    for i, word in enumerate(words):
        trial = f"{line} {word}" if line else word
        if metrics.horizontalAdvance(trial) <= width or not line:
            line = trial
            continue
        lines.append(line)
        if len(lines) == max_lines:
            rest = " ".join([lines.pop(), *words[i:]])
            lines.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
            return lines
        line = word
    if line:
        lines.append(line if metrics.horizontalAdvance(line) <= width
                     else metrics.elidedText(line, Qt.TextElideMode.ElideRight, width))
    return lines


def card_lines(row: MomentRow, base: QFont, width: float, compact: bool = False) -> dict[str, list[str]]:
    """What a card ``width`` px wide shows: the head line, the excerpt's lines, the reasons' lines
    (fewer when ``compact``)."""
    f = fonts(base)
    inner = max(40.0, width - 2 * PAD)
    return {"head": [row.header], "confidence": [row.confidence],
            "excerpt": wrapped(row.excerpt, QFontMetricsF(f["excerpt"]), inner, EXCERPT_LINES - compact),
            "reasons": wrapped(row.reasons, QFontMetricsF(f["small"]), inner, REASON_LINES - compact)}


def card_height(row: MomentRow, base: QFont, width: float, compact: bool = False) -> int:
    f = fonts(base)
    lines = card_lines(row, base, width, compact)
    head = QFontMetricsF(f["head"]).height()
    body = QFontMetricsF(f["excerpt"]).height() * len(lines["excerpt"])
    small = QFontMetricsF(f["small"]).height() * len(lines["reasons"])
    return int(2 * PAD + head + GAP + body + (GAP + small if lines["reasons"] else 0) + 1)


class MomentDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 (Qt's name)
        row = index.data(ROW)
        width, compact = option.rect.width() or 300, False
        view = self.parent()
        if isinstance(view, MomentList):
            width, compact = view.viewport().width(), view.compact
        return QSize(int(width), card_height(row, option.font, width, compact))

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row: MomentRow = index.data(ROW)
        r = QRectF(option.rect)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if option.state & QStyle.StateFlag.State_Selected:
            p.fillRect(r, COLORS["selected"])
            p.fillRect(QRectF(r.left(), r.top(), 3, r.height()), COLORS["accent"])
        elif option.state & QStyle.StateFlag.State_MouseOver:
            p.fillRect(r, COLORS["hover"])
        p.setPen(COLORS["rule"])
        p.drawLine(r.bottomLeft(), r.bottomRight())
        f = fonts(option.font)
        view = self.parent()
        lines = card_lines(row, option.font, r.width(), isinstance(view, MomentList) and view.compact)
        x, y, inner = r.left() + PAD, r.top() + PAD, r.width() - 2 * PAD
        head_h = QFontMetricsF(f["head"]).height()
        # the rank in a badge, the time and the length; the confidence on the right, in its colour
        p.setFont(f["head"])
        rank = str(row.rank)
        badge = QRectF(x, y, max(head_h, QFontMetricsF(f["head"]).horizontalAdvance(rank) + 8), head_h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(COLORS["badge"])
        p.drawRoundedRect(badge, 4, 4)
        p.setPen(COLORS["badge_text"])
        p.drawText(badge, Qt.AlignmentFlag.AlignCenter, rank)
        p.setPen(LEVEL_COLORS[row.level])
        p.drawText(QRectF(x, y, inner, head_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   row.confidence)
        conf_w = QFontMetricsF(f["head"]).horizontalAdvance(row.confidence) + 8
        p.setPen(COLORS["text"])
        p.drawText(QRectF(badge.right() + 7, y, max(0.0, inner - badge.width() - 7 - conf_w), head_h),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, row.time)
        time_w = QFontMetricsF(f["head"]).horizontalAdvance(row.time)
        p.setFont(f["small"])
        p.setPen(COLORS["muted"])
        length_x = badge.right() + 7 + time_w + 8
        if length_x + QFontMetricsF(f["small"]).horizontalAdvance(row.length) <= x + inner - conf_w:
            p.drawText(QRectF(length_x, y, inner, head_h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       row.length)
        y += head_h + GAP
        for key, font, color in (("excerpt", f["excerpt"], COLORS["excerpt"]), ("reasons", f["small"], COLORS["muted"])):
            p.setFont(font)
            p.setPen(color)
            h = QFontMetricsF(font).height()
            for line in lines[key]:
                p.drawText(QRectF(x, y, inner, h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
                y += h
            y += GAP
        p.restore()


class MomentList(QListWidget):
    moment_clicked = Signal(int)  # a card was clicked: its index (0 is the best)
    moment_activated = Signal(int)  # Enter on the current card

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("momentList")
        self.setItemDelegate(MomentDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.setUniformItemSizes(False)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.itemClicked.connect(lambda item: emit(self.moment_clicked, self.row(item)))
        self.itemActivated.connect(lambda item: emit(self.moment_activated, self.row(item)))

    def set_rows(self, rows: list[MomentRow]) -> None:
        self.clear()
        for row in rows:
            item = QListWidgetItem(row.text())
            item.setData(ROW, row)
            item.setToolTip(row.text())
            self.addItem(item)

    @property
    def compact(self) -> bool:
        """Short of room (a small screen): fewer lines a card."""
        return self.height() < SHORT_LIST

    def lines(self, index: int) -> dict[str, list[str]]:
        """What card ``index`` shows at the list's width (as it is drawn)."""
        return card_lines(self.item(index).data(ROW), self.font(), self.viewport().width(), self.compact)

    def card_rect(self, index: int):
        return self.visualItemRect(self.item(index))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name): about a card; it grows with the dock
        return QSize(260, 96)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, 80)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.doItemsLayout()  # the cards' heights follow the width (the excerpt wraps)
