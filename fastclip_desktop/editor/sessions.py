"""Each source's editing session: its marks, undo history and export choices, never lost.

For every file opened in this run of the app there is one :class:`SourceSession`: the marks the
timeline showed when the user left it (segments with their ids and labels, in/out, view), where
the playhead was, the cut mode and the export choices, and its own ``QUndoStack`` in one
``QUndoGroup`` (so switching away and back still undoes). What a session holds is saved to the
library's edit state of its import (``Library.save_edit_state``) as it changes: a change marks it
dirty and starts a short timer (``SAVE_DELAY_MS``; a change of the playhead alone waits longer),
and each save is one SQLite transaction, so a kill leaves the last saved state whole. A file
opened again in a later run starts from what the library kept (:meth:`EditSessions.stored`).

A session learns its import's file_id when the import is known (``bind``); until then its
changes wait, and are saved as soon as it is bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoGroup, QUndoStack

from engine import EditState, FastClipError, Library, MarkedSegment

from ..timeline.segments import Marks
from ..worker_adapter import emit

SAVE_DELAY_MS = 300  # after an edit
PLAYHEAD_DELAY_MS = 2000  # after the playhead alone moved


@dataclass(eq=False)
class SourceSession:
    path: str
    undo: QUndoStack
    file_id: str | None = None
    marks: Marks | None = None  # None: never shown in this run (the library's state is used then)
    playhead: float = 0.0
    mode: str | None = None
    export: dict = field(default_factory=dict)
    dirty: bool = False

    def state(self) -> EditState:
        m = self.marks
        segments = () if m is None else tuple(MarkedSegment(s, e, label) for s, e, label in m.segment_tuples())
        return EditState(
            segments=segments, in_point=None if m is None else m.in_point,
            out_point=None if m is None else m.out_point, mode=self.mode, export=dict(self.export),
            playhead=max(0.0, self.playhead),
            view=None if m is None or m.view_end <= m.view_start else (m.view_start, m.view_end))


class EditSessions(QObject):
    saved = Signal(str)  # the path whose state was written
    save_failed = Signal(str, str)  # path, the library's reason

    def __init__(self, library: Library, parent: QObject | None = None):
        super().__init__(parent)
        self.library = library
        self.undo_group = QUndoGroup(self)
        self._sessions: dict[str, SourceSession] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self._stopped = False

    def get(self, path: str) -> SourceSession:
        session = self._sessions.get(path)
        if session is None:
            session = SourceSession(path, QUndoStack(self.undo_group))
            self._sessions[path] = session
        return session

    def find(self, path: str) -> SourceSession | None:
        return self._sessions.get(path)

    def bind(self, path: str, file_id: str) -> SourceSession:
        """``path`` is the import ``file_id``; its waiting changes are saved now."""
        session = self.get(path)
        session.file_id = file_id
        if session.dirty:
            self._timer.start(0)
        return session

    def stored(self, session: SourceSession) -> EditState | None:
        """What the library kept for the session's import (None: not imported yet, or gone)."""
        if session.file_id is None:
            return None
        try:
            return self.library.get_edit_state(session.file_id)
        except FastClipError:
            return None

    def activate(self, session: SourceSession) -> None:
        self.undo_group.setActiveStack(session.undo)

    def touch(self, session: SourceSession, *, playhead_only: bool = False) -> None:
        """The session changed: save it soon."""
        session.dirty = True
        if not playhead_only:
            self._timer.start(SAVE_DELAY_MS)
        elif not self._timer.isActive():
            self._timer.start(PLAYHEAD_DELAY_MS)

    def stop(self) -> None:
        """No more saves (the library is about to close): save what is pending first."""
        self.flush()
        self._stopped = True

    def flush(self) -> None:
        """Save every changed session that knows its import, now."""
        self._timer.stop()
        if self._stopped:
            return
        for session in self._sessions.values():
            if not session.dirty or session.file_id is None:
                continue
            try:
                self.library.save_edit_state(session.file_id, session.state())
            except FastClipError as e:
                session.dirty = False  # the same state would be refused again; the next edit tries anew
                emit(self.save_failed, session.path, e.message)
                continue
            session.dirty = False
            emit(self.saved, session.path)
