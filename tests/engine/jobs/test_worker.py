"""Native work runs in a child: its crash fails the work with a clear message, the caller carries on."""

import faulthandler
import os
import signal
import subprocess
import sys

import pytest

from engine.errors import InvalidRequest, ProcessingFailed
from engine.jobs.pool import StartedWorker
from engine.process import ForkedProcess, fork_is_safe, fork_with_pipe, in_worker
from engine.progress import Progress


def counts(n):
    for i in range(n):
        yield Progress("processing", i, n)
    return "done"


def crashes():
    yield Progress("processing", 0, 1)
    os.kill(os.getpid(), signal.SIGSEGV)
    yield Progress("processing", 1, 1)


def refuses():
    raise InvalidRequest("bad end", field="end")
    yield


def breaks():
    yield Progress("processing", 0, 1)
    raise ZeroDivisionError("boom")


def drive(gen):
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as done:
            return events, done.value


def test_progress_and_result_come_back():
    events, value = drive(in_worker(counts, 3))
    assert [e.done for e in events] == [0, 1, 2] and value == "done"


def test_a_crash_fails_the_work_with_a_reason_and_the_caller_lives():
    with pytest.raises(ProcessingFailed, match="crashed on this file"):
        drive(in_worker(crashes))
    events, value = drive(in_worker(counts, 1))  # the next job runs
    assert value == "done"


def test_engine_errors_keep_their_type_and_field():
    with pytest.raises(InvalidRequest) as e:
        drive(in_worker(refuses))
    assert e.value.field == "end" and e.value.message == "bad end"


def test_an_unexpected_error_becomes_one_readable_failure():
    with pytest.raises(ProcessingFailed, match="ZeroDivisionError: boom"):
        drive(in_worker(breaks))


# -- a fork of a clean process: the CLI's first job worker (engine.jobs.pool.StartedWorker.early) --------


linux_only = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


def clean_process_says(setup: str) -> str:
    """fork_is_safe() in a fresh interpreter, after ``setup``."""
    code = f"import sys\n{setup}\nfrom engine.process import fork_is_safe\nprint(fork_is_safe())"
    r = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@linux_only
def test_only_a_process_with_one_thread_and_no_native_library_may_fork_a_worker():
    assert clean_process_says("import json, argparse") == "True"  # what the CLI has when it forks
    assert clean_process_says("import av") == "False"  # FFmpeg's state is not the worker's to share
    assert clean_process_says("import sqlite3") == "False"  # nor an SQLite connection
    assert clean_process_says("import threading; threading.Thread(target=threading.Event().wait, "
                              "daemon=True).start()") == "False"  # a thread holding a lock would hold it forever


def test_a_process_that_is_not_clean_spawns_its_early_worker_and_it_serves():
    assert not fork_is_safe()  # this one has PyAV loaded (the test fixtures make media with it)
    worker = StartedWorker.early()
    try:
        assert worker.start_method == "spawn"
        assert worker.conn.recv()[0] == "ready"
    finally:
        worker.close()
    assert not worker.proc.is_alive()


def stays():
    signal.pause()


def segfaults():
    faulthandler.disable()  # (pytest's would print the crash)
    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_forked_child_reports_how_it_ended_as_a_process_does():
    ok = ForkedProcess(lambda: None)
    ok.join(30)
    assert (ok.is_alive(), ok.exitcode) == (False, 0)
    crashed = ForkedProcess(segfaults)
    crashed.join(30)
    assert crashed.exitcode == -signal.SIGSEGV
    failed = ForkedProcess(lambda: 1 / 0)  # an error never runs on into the parent's code
    failed.join(30)
    assert failed.exitcode == 1
    waiting = ForkedProcess(stays)
    assert waiting.is_alive() and waiting.exitcode is None
    waiting.terminate()
    waiting.join(30)
    assert (waiting.is_alive(), waiting.exitcode) == (False, -signal.SIGTERM)


def echo(fd: int) -> None:
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    conn.send((os.getpid(), conn.recv()))


def test_a_forked_child_talks_over_its_pipe():
    proc, conn = fork_with_pipe(echo)
    conn.send("hello")
    assert conn.recv() == (proc.pid, "hello")
    proc.join(30)
    assert proc.exitcode == 0
    conn.close()


def environment_and_parent(name: str):
    yield Progress("look", 1, 1)
    return os.environ.get(name), os.getppid()


def test_with_other_threads_running_a_worker_is_not_a_fork_of_this_process_yet_sees_its_environment(monkeypatch):
    """The GUI has Qt's and mpv's threads: a fork of it could inherit a lock held forever. Its workers
    come from a forkserver instead, and still see the environment as it is now (FASTCLIP_HOME)."""
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        monkeypatch.setenv("FASTCLIP_WORKER_PROBE", "now")
        _, (value, parent) = drive(in_worker(environment_and_parent, "FASTCLIP_WORKER_PROBE"))
        monkeypatch.setenv("FASTCLIP_WORKER_PROBE", "later")
        _, (later, _) = drive(in_worker(environment_and_parent, "FASTCLIP_WORKER_PROBE"))
    finally:
        stop.set()
        other.join()
    assert parent != os.getpid()  # forked from the server, not from us
    assert (value, later) == ("now", "later")
