"""Native work runs in a child: its crash fails the work with a clear message, the caller carries on."""

import os
import signal

import pytest

from engine.errors import InvalidRequest, ProcessingFailed
from engine.progress import Progress
from engine.worker import in_worker


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
