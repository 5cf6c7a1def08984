"""The worker adapter: engine generators run off the GUI thread; progress and results come back on it."""

from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QThread  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.media.keyframe_index import KeyframeIndex, keyframe_index  # noqa: E402
from engine.media.thumbnails import thumbnails  # noqa: E402
from engine.process import in_worker  # noqa: E402
from engine.progress import Progress  # noqa: E402
from fastclip_desktop.worker_adapter import CANCELLED, FAILED, FINISHED, WorkerAdapter  # noqa: E402


@pytest.fixture
def adapter(qtbot):
    a = WorkerAdapter(max_threads=2)
    yield a
    assert a.shutdown(5000)


def counting(n, threads):
    threads.append(threading.get_ident())
    for i in range(n):
        yield Progress("counting", i + 1, n)
    return "done"


def on_main_thread() -> bool:
    return QThread.currentThread() is QApplication.instance().thread()


def test_progress_then_result_arrive_on_the_main_thread(qtbot, adapter):
    threads, seen = [], []
    task = adapter.run(counting, 5, threads, _min_interval=0)
    task.progress.connect(lambda p: seen.append((p.done, on_main_thread())))
    with qtbot.waitSignals([task.finished, task.settled], timeout=5000):
        pass
    assert seen == [(i, True) for i in range(1, 6)]
    assert threads and threads[0] != threading.get_ident()
    assert task.state == FINISHED and task.result == "done"
    qtbot.waitUntil(lambda: adapter.tasks() == [], timeout=5000)


def test_an_error_is_delivered_as_failed(qtbot, adapter):
    def broken():
        yield Progress("x", 0, 1)
        raise ValueError("bad file")

    task = adapter.run(broken)
    finished = []
    task.finished.connect(finished.append)
    with qtbot.waitSignal(task.failed, timeout=5000) as blocker:
        pass
    assert isinstance(blocker.args[0], ValueError) and str(blocker.args[0]) == "bad file"
    assert task.state == FAILED and finished == []


def test_cancel_closes_the_generator_and_delivers_nothing_more(qtbot, adapter):
    closed, running = threading.Event(), threading.Event()

    def forever():
        try:
            while True:
                running.set()
                yield Progress("spin", 0, 0)
        finally:
            closed.set()

    task = adapter.run(forever, _min_interval=0.01)
    results = []
    task.finished.connect(results.append)
    qtbot.waitUntil(running.is_set, timeout=5000)
    with qtbot.waitSignal(task.cancelled, timeout=1000):
        task.cancel()
    assert task.state == CANCELLED
    with qtbot.waitSignal(task.released, timeout=5000):
        pass
    assert closed.is_set() and results == []
    progress_after = []
    task.progress.connect(progress_after.append)
    qtbot.waitUntil(lambda: adapter.tasks() == [], timeout=5000)
    assert progress_after == []


def test_throttled_progress_still_delivers_the_last_event(qtbot, adapter):
    task = adapter.run(counting, 200, [], _min_interval=60)
    seen = []
    task.progress.connect(seen.append)
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert [p.done for p in seen] == [1, 200]


def test_plain_functions_and_real_engine_work(qtbot, adapter, source, tmp_path):
    task = adapter.run(sum, [1, 2, 3])
    with qtbot.waitSignal(task.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [6]

    task = adapter.run(thumbnails, source("h264"), 4, cache=False)
    with qtbot.waitSignal(task.finished, timeout=10000) as blocker:
        pass
    assert len(blocker.args[0]) == 4 and isinstance(task.last_progress, Progress)


def test_engine_work_in_a_worker_process(qtbot, adapter, source):
    task = adapter.run(in_worker, keyframe_index, source("h264"))
    with qtbot.waitSignal(task.finished, timeout=15000) as blocker:
        pass
    index = blocker.args[0]
    assert isinstance(index, KeyframeIndex) and [float(t) for t in index.times()] == [0, 1, 2, 3]


def test_emit_survives_many_emits():
    # PySide6 6.12.0 on Python 3.11 drops a reference to True at every Python-side emit (the process
    # aborts after a few thousand); the package's emit() gives it back.
    import sys

    from PySide6.QtCore import QObject, Signal

    from fastclip_desktop.worker_adapter import emit

    class Source(QObject):
        ping = Signal(object)

    s, got = Source(), []
    s.ping.connect(got.append)
    before = sys.getrefcount(True)
    for i in range(20000):
        emit(s.ping, i)
    assert len(got) == 20000 and abs(sys.getrefcount(True) - before) < 100
