"""What every Qt-free model of the GUI shares: listeners, told what changed.

A model (TimelineModel, ExportModel, ...) subclasses ``Observable``; its view subscribes and
gets, after every change, the set of the names of what changed ("segments", "selection", ...).
"""

from __future__ import annotations

from collections.abc import Callable


class Observable:
    def __init__(self) -> None:
        self._listeners: list[Callable] = []

    def subscribe(self, listener: Callable) -> Callable[[], None]:
        """Call ``listener`` after every change; returns a function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, *args) -> None:
        for listener in list(self._listeners):
            listener(*args)

    def _changed(self, *what: str) -> None:
        """Tell the listeners which fields changed."""
        self._notify(set(what))
