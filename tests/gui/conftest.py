"""What the GUI tests share: a real JobQueue (the app's face of the job runner) with one worker."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from fastclip_desktop.job_queue import JobQueue


@pytest.fixture
def queue(qtbot):
    """A JobQueue whose runner is up (its start-up recovery done), closed after the test."""
    q = JobQueue(workers=1)
    with qtbot.waitSignal(q.ready, timeout=30000):
        pass
    yield q
    q.close()
