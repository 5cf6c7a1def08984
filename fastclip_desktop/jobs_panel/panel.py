"""JobsPanel: the jobs of the library, newest first, as they run.

A list with one line per job: kind, source file, output file (of a clip), status, a progress bar,
the status message (the
error's message for a failed job), the elapsed time (ticking once a second while it runs) and the
actions the job allows: Cancel (pending or running), Retry (failed), Open (the finished clip) and
Show in folder. The rows are a ``JobsModel`` (Qt-free: it decides the texts and which actions are
allowed); the panel loads the recent jobs from the library, follows ``JobQueue.job_updated``, and
hands cancel and retry to the queue. ``job_completed(JobUpdate)`` tells the main window a job has
finished (to refresh the library panel). Files open through ``QDesktopServices`` (the system's
handler, or one the app registered for "file" URLs).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine import FastClipError, JobUpdate, Library

from ..job_queue import JobQueue
from ..message_bar import MessageBar
from ..worker_adapter import emit
from .model import ACTIONS, CANCEL, OPEN, RETRY, SHOW, JobRow, JobsModel

KIND, SOURCE, OUTPUT, STATUS, PROGRESS, MESSAGE, ELAPSED, ACTION = range(8)
HEADERS = ("Kind", "Source", "Output", "Status", "Progress", "Message", "Elapsed", "")
ACTION_TEXTS = {CANCEL: "Cancel", RETRY: "Retry", OPEN: "Open", SHOW: "Show in folder"}
ACTION_TIPS = {CANCEL: "Stop this job", RETRY: "Run this failed job again", OPEN: "Open the clip",
               SHOW: "Open the folder that holds the clip"}
REFUSED = {CANCEL: "Could not cancel the job", RETRY: "Could not retry the job"}
TICK_MS = 1000

STATUS_COLORS = {
    "pending": QColor("#a4a9b0"),
    "downloading": QColor("#4fb8e8"),
    "processing": QColor("#4fb8e8"),
    "uploading": QColor("#4fb8e8"),
    "complete": QColor("#66bb6a"),
    "failed": QColor("#ff5252"),
}

STYLE = """
QProgressBar { background: #15161a; border: 1px solid #3a3e44; border-radius: 3px; color: #e3e6ea;
               text-align: center; max-height: 14px; }
QProgressBar::chunk { background: #4fb8e8; border-radius: 2px; }
QProgressBar[status="complete"]::chunk { background: #66bb6a; }
QProgressBar[status="failed"]::chunk { background: #8a3a3a; }
QLabel#notice { color: #ff8a80; }
"""


class JobActions(QWidget):
    """The action buttons of one row."""

    def __init__(self, job_id: str, panel: JobsPanel):
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.setSpacing(4)
        self.buttons: dict[str, QToolButton] = {}
        for action in ACTIONS:
            button = QToolButton()
            button.setObjectName(action)
            button.setText(ACTION_TEXTS[action])
            button.setToolTip(ACTION_TIPS[action])
            button.setAutoRaise(True)
            button.clicked.connect(lambda _=False, a=action: panel.act(job_id, a))
            layout.addWidget(button)
            self.buttons[action] = button

    def show_row(self, row: JobRow) -> None:
        for action, button in self.buttons.items():
            button.setEnabled(row.allows(action))


class JobsPanel(QWidget):
    job_completed = Signal(object)  # JobUpdate of a job that has just completed

    def __init__(self, queue: JobQueue, library: Library, parent: QWidget | None = None, *,
                 model: JobsModel | None = None):
        super().__init__(parent)
        self.queue = queue
        self.library = library
        self.model = model if model is not None else JobsModel()
        self._items: dict[str, QTreeWidgetItem] = {}
        self._asked: dict[str, str] = {}  # job_id -> the action last asked of the queue

        self.messages = MessageBar()  # a refused action, a failed job: until dismissed or retried
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(HEADERS))
        self.tree.setHeaderLabels(HEADERS)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.tree.setMinimumHeight(44)  # the header and a row: the compact list at the bottom of the window
        header = self.tree.header()
        header.setStretchLastSection(False)
        for column, mode in ((KIND, QHeaderView.ResizeMode.ResizeToContents),
                             (SOURCE, QHeaderView.ResizeMode.Interactive),
                             (OUTPUT, QHeaderView.ResizeMode.Interactive),
                             (STATUS, QHeaderView.ResizeMode.ResizeToContents),
                             (PROGRESS, QHeaderView.ResizeMode.Fixed),
                             (MESSAGE, QHeaderView.ResizeMode.Stretch),
                             (ELAPSED, QHeaderView.ResizeMode.ResizeToContents),
                             (ACTION, QHeaderView.ResizeMode.ResizeToContents)):
            header.setSectionResizeMode(column, mode)
        header.resizeSection(SOURCE, 160)
        header.resizeSection(OUTPUT, 160)
        header.resizeSection(PROGRESS, 120)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.messages)
        layout.addWidget(self.tree, stretch=1)
        self.setStyleSheet(STYLE)

        unsubscribe = self.model.subscribe(self._on_model)
        self.destroyed.connect(lambda: unsubscribe())  # nothing of self: it is gone
        queue.job_updated.connect(self._on_update)
        queue.action_failed.connect(self._on_action_failed)
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self.model.tick)
        self.ticker.timeout.connect(self.follow)
        self.ticker.start()
        self.reload()

    # -- what the main window and tests use ---------------------------------------------------------

    def reload(self) -> None:
        """Read the recent jobs from the library again."""
        self.model.load(self.library)

    def follow(self) -> None:
        """Once a second: the jobs another process runs (a batch, here or on a cluster), as their
        rows in the library say."""
        try:
            self.model.follow(self.library)
        except FastClipError:  # the library is busy or gone for a moment: the next tick reads it
            pass

    def act(self, job_id: str, action: str) -> None:
        """Do one of a row's actions (what its buttons do), if the job allows it now."""
        row = self.model.row(job_id)
        if row is None or not row.allows(action):
            return
        self._say("")
        self._asked[job_id] = action
        if action == CANCEL:
            self.queue.cancel(job_id)
        elif action == RETRY:
            self.queue.retry(job_id)
        elif action == OPEN:
            self._open(Path(row.output_path), f"the clip {row.output_name}")
        elif action == SHOW:
            self._open(Path(row.output_path).parent, f"the folder of {row.output_name}")

    def item(self, job_id: str) -> QTreeWidgetItem | None:
        return self._items.get(job_id)

    def job_ids(self) -> list[str]:
        """The rows as shown, top to bottom."""
        return [self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
                for i in range(self.tree.topLevelItemCount())]

    def text(self, job_id: str, column: int) -> str:
        item = self._items.get(job_id)
        return "" if item is None else item.text(column)

    def progress_bar(self, job_id: str) -> QProgressBar | None:
        item = self._items.get(job_id)
        return None if item is None else self.tree.itemWidget(item, PROGRESS)

    def button(self, job_id: str, action: str) -> QToolButton | None:
        item = self._items.get(job_id)
        actions = None if item is None else self.tree.itemWidget(item, ACTION)
        return None if actions is None else actions.buttons[action]

    # -- following the queue ------------------------------------------------------------------------

    def _on_update(self, update: JobUpdate) -> None:
        before = self.model.row(update.job_id)
        was_complete = before is not None and before.status == "complete"
        was_failed = before is not None and before.status == "failed"
        row = self.model.apply(update, self.library)
        if row.status == "complete" and not was_complete:
            emit(self.job_completed, update)
        key = f"job:{update.job_id}"
        if row.status == "failed" and not was_failed and not row.cancelled:
            name = row.output_name or row.source_name
            what = f"{row.kind_text} of {name}" if name else row.kind_text
            self.messages.show_message(f"{what} failed: {row.message_text}", key=key)
        elif row.status != "failed" and self.messages.has(key):
            self.messages.clear(key)  # retried: the failure is no longer the news

    def _on_action_failed(self, job_id: str, error) -> None:
        action = self._asked.pop(job_id, "")
        self._say(f"{REFUSED.get(action, 'Could not change the job')}: {error}")

    def _say(self, text: str) -> None:
        if text:
            self.messages.show_message(text, key="action")
        else:
            self.messages.clear("action")

    # -- the model's changes ------------------------------------------------------------------------

    def _on_model(self, what: str, job_ids: tuple[str, ...]) -> None:
        if what == "reset":
            self.tree.clear()
            self._items.clear()
            for i, row in enumerate(self.model.rows):
                self._add_item(i, row)
        elif what == "inserted":
            for job_id in job_ids:
                self._add_item(self.model.index(job_id), self.model.row(job_id))
        elif what == "removed":
            for job_id in job_ids:
                item = self._items.pop(job_id, None)
                if item is not None:
                    self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        elif what == "changed":
            for job_id in job_ids:
                self._show(job_id)
        elif what == "tick":
            now = self.model.now()
            for job_id in job_ids:
                item, row = self._items.get(job_id), self.model.row(job_id)
                if item is not None and row is not None:
                    item.setText(ELAPSED, row.elapsed_text(now))

    def _add_item(self, index: int, row: JobRow) -> None:
        item = QTreeWidgetItem()
        item.setData(0, Qt.ItemDataRole.UserRole, row.job_id)
        self.tree.insertTopLevelItem(index, item)
        self._items[row.job_id] = item
        bar = QProgressBar()
        bar.setRange(0, 100)
        bar.setTextVisible(True)
        self.tree.setItemWidget(item, PROGRESS, bar)
        self.tree.setItemWidget(item, ACTION, JobActions(row.job_id, self))
        self._show(row.job_id)

    def _show(self, job_id: str) -> None:
        item, row = self._items.get(job_id), self.model.row(job_id)
        if item is None or row is None:
            return
        item.setText(KIND, row.kind_text)
        item.setText(SOURCE, row.source_name)
        item.setText(OUTPUT, row.output_name)
        item.setToolTip(OUTPUT, row.output_path or row.target or "")
        item.setText(STATUS, row.status)
        item.setForeground(STATUS, STATUS_COLORS.get(row.status, STATUS_COLORS["pending"]))
        item.setText(MESSAGE, row.message_text)
        item.setToolTip(MESSAGE, row.message_text)
        item.setText(ELAPSED, row.elapsed_text(self.model.now()))
        bar = self.tree.itemWidget(item, PROGRESS)
        if bar is not None:
            bar.setValue(row.progress)
            if bar.property("status") != row.status:
                bar.setProperty("status", row.status)
                bar.style().unpolish(bar)
                bar.style().polish(bar)
        actions = self.tree.itemWidget(item, ACTION)
        if actions is not None:
            actions.show_row(row)

    # -- opening files ------------------------------------------------------------------------------

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        self.act(item.data(0, Qt.ItemDataRole.UserRole), OPEN)

    def _open(self, target: Path, what: str) -> None:
        if not target.exists():
            self._say(f"Could not open {what}: {target} was moved or deleted")
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
            self._say(f"Could not open {what} ({target}): no application opens it")
