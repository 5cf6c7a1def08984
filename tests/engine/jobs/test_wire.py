"""The forked worker's pipe end speaks multiprocessing's framing: a real Connection on the other end
reads what it sends and is read by it, small and large, until one side closes."""

from __future__ import annotations

import socket
import threading
from multiprocessing.connection import Connection

import pytest

from engine.errors import ProcessingFailed
from engine.jobs.wire import WireConnection


@pytest.fixture
def ends():
    a, b = socket.socketpair()
    runner, worker = Connection(a.detach()), WireConnection(b.detach())
    yield runner, worker
    runner.close()
    worker.close()


def test_messages_go_both_ways_as_multiprocessing_frames_them(ends):
    runner, worker = ends
    assert not worker.poll(0)
    runner.send(("clip", "job_0123456789ab", {"path": "/x/talk.mp4", "start": 1.5}))
    assert worker.poll(1.0)
    assert worker.recv() == ("clip", "job_0123456789ab", {"path": "/x/talk.mp4", "start": 1.5})
    worker.send(("failed", "job_0123456789ab", ProcessingFailed("the decoder crashed", field="file")))
    kind, job_id, error = runner.recv()
    assert (kind, job_id, type(error), str(error), error.field) == (
        "failed", "job_0123456789ab", ProcessingFailed, "the decoder crashed", "file")


def test_a_large_message_arrives_whole(ends):
    runner, worker = ends
    big = {"words": ["word"] * 200_000, "blob": bytes(range(256)) * 4000}  # ~2 MB pickled
    sender = threading.Thread(target=worker.send, args=(("done", "job_1", big),))
    sender.start()  # the socket's buffer is smaller than the message: read while it is written
    assert runner.recv() == ("done", "job_1", big)
    sender.join()
    reply = threading.Thread(target=runner.send, args=(big,))
    reply.start()
    assert worker.recv() == big
    reply.join()


def test_the_runner_going_away_is_an_eof(ends):
    runner, worker = ends
    runner.close()
    assert worker.poll(1.0)  # readable: at its end
    with pytest.raises(EOFError):
        worker.recv()
