import threading

import pytest

from engine.cut.encode_thread import encode_in_thread


def doubling(frame):
    return ["flush"] if frame is None else [frame, frame]


def test_packets_come_back_in_order_with_the_flush_last():
    out = list(encode_in_thread(range(500), doubling, depth=4))
    assert out == [n for i in range(500) for n in (i, i)] + ["flush"]


def test_an_encoder_error_reaches_the_caller():
    def broken(frame):
        if frame == 7:
            raise ValueError("encoder broke")
        return [frame]

    with pytest.raises(ValueError, match="encoder broke"):
        list(encode_in_thread(range(100), broken, depth=2))


def test_closing_the_generator_stops_the_thread():
    before = threading.active_count()
    gen = encode_in_thread(range(10_000), doubling, depth=2)
    assert next(gen) == 0
    gen.close()
    assert threading.active_count() == before
