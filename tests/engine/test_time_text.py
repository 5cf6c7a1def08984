"""clock_text: the one way the app writes a time for people (timeline, segment list, transport, CLI).

It rounds at the precision asked for and only then splits into h/m/s, so a carry reaches every field.
"""

from __future__ import annotations

import pytest

from engine.timeline import clock_text


@pytest.mark.parametrize(
    ("seconds", "decimals", "text"),
    [
        # x.949 / x.95 / x.999 at each precision
        (19.949, 0, "0:20"), (19.95, 0, "0:20"), (19.999, 0, "0:20"), (19.5, 0, "0:20"), (19.499, 0, "0:19"),
        (19.949, 1, "0:19.9"), (19.95, 1, "0:20.0"), (19.999, 1, "0:20.0"), (19.979, 1, "0:20.0"),
        (19.949, 2, "0:19.95"), (19.95, 2, "0:19.95"), (19.999, 2, "0:20.00"), (19.994, 2, "0:19.99"),
        (19.949, 3, "0:19.949"), (19.95, 3, "0:19.950"), (19.999, 3, "0:19.999"), (19.9995, 3, "0:20.000"),
        (19.9994, 3, "0:19.999"),
        # a minute
        (59.9996, 3, "1:00.000"), (59.9994, 3, "0:59.999"), (59.95, 1, "1:00.0"), (59.94, 1, "0:59.9"),
        (59.5, 0, "1:00"), (60.0, 3, "1:00.000"), (61.5, 1, "1:01.5"), (599.999, 2, "10:00.00"),
        # an hour
        (3599.96, 1, "1:00:00.0"), (3599.94, 1, "59:59.9"), (3599.9995, 3, "1:00:00.000"),
        (3599.4, 0, "59:59"), (3600, 0, "1:00:00"), (3661.25, 2, "1:01:01.25"),
        # nothing, and a lot
        (0, 3, "0:00.000"), (0, 0, "0:00"), (0.0004, 3, "0:00.000"), (0.0005, 3, "0:00.001"),
        (36000, 3, "10:00:00.000"), (359999.9996, 3, "100:00:00.000"), (86399.95, 1, "24:00:00.0"),
    ],
)
def test_rounds_first_then_splits(seconds, decimals, text):
    assert clock_text(seconds, decimals) == text


def test_three_decimals_by_default_and_ints_work():
    assert clock_text(1.5) == "0:01.500"
    assert clock_text(75) == "1:15.000"


def test_negative_times_read_as_zero():
    # durations and positions are never negative; float noise below zero must not print "-0:00"
    assert clock_text(-1e-9) == "0:00.000"
    assert clock_text(-5, 1) == "0:00.0"


def test_only_zero_to_three_decimals_and_finite_times():
    for bad in (-1, 4, 1.5):
        with pytest.raises(ValueError):
            clock_text(1.0, bad)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            clock_text(bad)
