"""Encode on a helper thread while the caller keeps demuxing and decoding.

PyAV releases the GIL inside the encoder, so an audio encode (LAME, AAC) can
run on one core while the generator's thread reads, decodes and resamples on
the other. Packets come back in order on the caller's thread, where they are
muxed; closing the generator stops the helper thread.

Frames are handed over ``batch`` at a time: handed over one by one, each
frame woke both threads (the encoder keeps the queue full, so the producer
waits for every free slot), which cost about as much CPU as decoding the
audio, CPU the encoder does not get on a busy machine.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator

_END = object()


def encode_in_thread(frames: Iterable, encode: Callable, *, depth: int = 4, batch: int = 16) -> Iterator:
    """Yield what ``encode(frame)`` returns for each frame, then for ``encode(None)`` (the flush).

    ``encode`` runs on a helper thread; the caller's thread produces ``frames`` and hands them
    over in lists of ``batch``, up to ``depth`` lists waiting.
    """
    todo: queue.Queue = queue.Queue(depth)
    done: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.is_set():
                chunk = todo.get()
                if chunk is _END:
                    done.put(list(encode(None)))
                    break
                packets = []
                for frame in chunk:
                    packets.extend(encode(frame))
                done.put(packets)
        except BaseException as e:  # handed to the caller's thread
            done.put(e)
        done.put(_END)

    worker = threading.Thread(target=work, name="encoder", daemon=True)
    worker.start()

    def hand_over(chunk) -> Iterator:
        while True:
            try:
                todo.put(chunk, timeout=0.05)
                break
            except queue.Full:
                if not worker.is_alive():
                    break
            yield from _ready(done)
        yield from _ready(done)

    finished = False
    try:
        chunk = []
        for frame in frames:
            chunk.append(frame)
            if len(chunk) >= batch:
                yield from hand_over(chunk)
                chunk = []
        if chunk:
            yield from hand_over(chunk)
        todo.put(_END)
        while True:
            item = done.get()
            if item is _END:
                finished = True
                return
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        if not finished:
            stop.set()
            while worker.is_alive():  # unblock it: drain what it waits on
                try:
                    todo.put_nowait(_END)
                except queue.Full:
                    try:
                        todo.get_nowait()
                    except queue.Empty:
                        pass
                worker.join(0.05)


def _ready(done: queue.Queue) -> Iterator:
    while True:
        try:
            item = done.get_nowait()
        except queue.Empty:
            return
        if item is _END:
            done.put(_END)  # keep the end marker for the final drain
            return
        if isinstance(item, BaseException):
            raise item
        yield from item
