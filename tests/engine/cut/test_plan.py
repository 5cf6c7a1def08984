"""The pure cut planner on hand-built packet lists: what is copied, what is re-encoded, from where.

Time unit: one frame = 1 tick. Packets come in decode order with their flags, as a packet scan gives
them (engine.media.packets). Two streams:

* closed GOPs of 10 frames with 2 B-frames: an IDR every 10 frames, decoded I k, P k+3, B k+1, B k+2,
  P k+6, B k+4, B k+5, P k+9, B k+7, B k+8;
* open GOPs of 8 frames (x265's CRA): a RAP every 8 frames whose leading picture 8k-1 (RASL, or RADL
  when it needs only its RAP) is decoded right after it; then P 8k+4, B 8k+2, b 8k+1, b 8k+3, P 8k+6,
  b 8k+5.
"""

from __future__ import annotations

import itertools

from engine.cut.plan import (
    Copy,
    Encode,
    decodable,
    decode_order,
    frame_at,
    output_dts,
    plan_keyframe,
    plan_precise,
    rap_at_or_before,
    shown_frames,
)
from engine.media.packets import IDR, LEADING, RADL, RAP, VideoPacket


def closed(count: int = 5) -> list[VideoPacket]:
    out = []
    for k in range(0, 10 * count, 10):
        out.append(VideoPacket(k, RAP | IDR))
        out += [VideoPacket(k + d) for d in (3, 1, 2, 6, 4, 5, 9, 7, 8)]
    return out


def open_gops(count: int = 4, *, radl: bool = False) -> list[VideoPacket]:
    out = []
    for k in range(0, 8 * count, 8):
        out.append(VideoPacket(k, RAP | (IDR if k == 0 else 0)))
        if k:
            out.append(VideoPacket(k - 1, LEADING | (RADL if radl else 0)))
        out += [VideoPacket(k + d) for d in (4, 2, 1, 3, 6, 5)]
    return out


def steps(plan) -> list[tuple]:
    return [(s.kind, s.start, s.end) + ((s.decode_from,) if s.kind == "encode" else ()) for s in plan.steps]


def shown_by(plan, packets) -> list[int]:
    """The frames the plan's output shows, in order: each encode's frames, each copy's packets sorted."""
    frames = shown_frames(packets)
    out = []
    for st in plan.steps:
        out += [f for f in frames if st.start <= f < st.end] if st.kind == "encode" else sorted(st.packets)
    return out


# ------------------------------------------------------------------------------------------- helpers


def test_frame_at_is_the_frame_on_screen():
    assert frame_at([0, 3, 4, 9, 10, 12], 2) == 0
    assert frame_at([0, 3, 4, 9, 10, 12], 3) == 3
    assert frame_at([0, 3, 4, 9, 10, 12], 100) == 12
    assert frame_at([10, 20], 5) is None


def test_the_first_raps_leading_pictures_cannot_be_shown_but_later_ones_can():
    packets = open_gops()[7:]  # from the RAP at 8: its leading picture 7 needs the GOP before
    assert packets[0].pts == 8 and packets[1].pts == 7
    assert 7 not in [p.pts for p in decodable(packets)]
    assert 15 in shown_frames(packets)  # the next RAP's leading picture: its GOP is there
    assert 7 in shown_frames(open_gops(radl=True)[7:])  # a RADL picture needs only its RAP


def test_decoding_starts_at_the_last_rap_shown_at_or_before():
    packets = open_gops()
    assert rap_at_or_before(packets, 7) == 0  # a leading picture of 8 decodes from the RAP before
    assert rap_at_or_before(packets, 8) == 8
    assert rap_at_or_before(packets, 100) == 24


# ------------------------------------------------------------------------------------ closed GOPs


def test_start_on_a_keyframe_copies_and_the_tail_is_only_the_last_mini_gop():
    plan = plan_precise(closed(), 10, 25, smart=True)
    assert (plan.start, plan.end) == (10, 25)
    # the copy runs past the keyframe at 20 up to frame 23 (its B-frames 21, 22 come after P 23)
    assert steps(plan) == [("copy", 10, 24), ("encode", 24, 25, 20)]
    assert plan.steps[0].packets == (10, 13, 11, 12, 16, 14, 15, 19, 17, 18, 20, 23, 21, 22)
    assert plan.steps[0].idr and (plan.head, plan.tail, plan.copied) == (0, 1, 14)


def test_start_mid_gop_encodes_from_the_start_frame_decoding_from_its_keyframe():
    plan = plan_precise(closed(), 13, 30, smart=True)
    assert plan.start == 13
    assert steps(plan) == [("encode", 13, 20, 10), ("copy", 20, 30)]
    assert plan.encoded == plan.head == 7 and plan.tail == 0


def test_start_between_frames_snaps_back_to_the_frame_shown():
    packets = [VideoPacket(k, RAP | IDR if k % 10 == 0 else 0) for k in range(0, 30, 2)]  # one frame every 2 ticks
    plan = plan_precise(packets, 5, 20, smart=True)
    assert plan.start == 4
    assert steps(plan) == [("encode", 4, 10, 0), ("copy", 10, 20)]


def test_segment_inside_one_gop_is_one_encode_step():
    plan = plan_precise(closed(), 22, 27, smart=True)
    assert steps(plan) == [("encode", 22, 27, 20)]
    assert (plan.head, plan.tail, plan.copied) == (5, 0, 0)


def test_head_and_tail_encodes_around_copied_gops():
    plan = plan_precise(closed(), 5, 35, smart=True)
    assert steps(plan) == [("encode", 5, 10, 0), ("copy", 10, 34), ("encode", 34, 35, 30)]


def test_last_gop_of_the_file_is_copied_up_to_the_end():
    plan = plan_precise(closed(5), 25, 50, smart=True)
    assert steps(plan) == [("encode", 25, 30, 20), ("copy", 30, 50)]
    assert plan_precise(closed(5), 40, 52, smart=True).steps == (
        Copy(40, 52, (40, 43, 41, 42, 46, 44, 45, 49, 47, 48)),)


def test_not_smart_is_a_single_encode_step():
    plan = plan_precise(closed(), 13, 37, smart=False)
    assert steps(plan) == [("encode", 13, 37, 10)]
    assert plan.encoded == 24


def test_keyframe_mode_starts_at_the_keyframe_at_or_before_start():
    plan = plan_keyframe(closed(), 15, 37)
    assert (plan.start, plan.end) == (10, 37)
    assert steps(plan) == [("copy", 10, 37)]
    assert plan.encoded == 0
    # the copy stops before the first packet shown at or after the end (here P 39), without a gap
    assert plan_keyframe(closed(), 15, 38).steps[0].end == 37


def test_keyframe_mode_re_encoded_is_one_step_from_the_keyframe():
    assert steps(plan_keyframe(closed(), 15, 37, reencode=True)) == [("encode", 10, 37, 10)]


# -------------------------------------------------------------------------------------- open GOPs


def test_open_gop_head_includes_the_raps_leading_picture_and_the_copy_drops_it():
    packets = open_gops()
    plan = plan_precise(packets, 3, 21, smart=True)
    enc, cp = plan.steps
    assert (enc.start, enc.end, enc.decode_from) == (3, 8, 0)  # frame 7, the RASL of RAP 8, is re-encoded
    assert 7 not in cp.packets  # ...and not copied: it needs the GOP before
    assert 15 in cp.packets  # RAP 16's leading picture is copied: its references are copied too
    assert not cp.idr and not cp.radl
    assert shown_by(plan, packets) == list(range(3, 21))


def test_open_gop_end_inside_a_mini_gop_re_encodes_only_the_rest():
    plan = plan_precise(open_gops(), 8, 20, smart=True)
    assert steps(plan) == [("copy", 8, 17), ("encode", 17, 20, 16)]


def test_start_on_a_leading_picture_re_encodes_it_alone():
    plan = plan_precise(open_gops(), 7, 17, smart=True)
    assert steps(plan) == [("encode", 7, 8, 0), ("copy", 8, 17)]


def test_no_rap_inside_is_one_encode():
    assert steps(plan_precise(open_gops(), 9, 14, smart=True)) == [("encode", 9, 14, 8)]


def test_radl_pictures_are_copied_when_all_are_inside():
    plan = plan_precise(open_gops(radl=True), 7, 17, smart=True)
    assert steps(plan) == [("copy", 7, 17)]
    assert plan.steps[0].radl and plan.steps[0].packets[:2] == (8, 7)
    plan = plan_precise(open_gops(radl=True), 3, 17, smart=True)
    assert steps(plan) == [("encode", 3, 7, 0), ("copy", 7, 17)] and plan.steps[1].radl
    # shown before the start: not copied (the output starts at the RAP)
    plan = plan_precise(open_gops(radl=True), 8, 17, smart=True)
    assert steps(plan) == [("copy", 8, 17)] and not plan.steps[0].radl and 7 not in plan.steps[0].packets


def test_keyframe_mode_on_a_leading_picture_starts_at_the_rap_before():
    plan = plan_keyframe(open_gops(), 7, 20)
    assert plan.start == 0
    assert 7 in plan.steps[0].packets  # decoded from RAP 0, the leading picture of 8 is shown


def test_keyframe_mode_drops_the_raps_own_leading_pictures():
    plan = plan_keyframe(open_gops(), 10, 20)
    assert plan.start == 8 and 7 not in plan.steps[0].packets
    assert sorted(plan.steps[0].packets) == list(range(8, plan.steps[0].end))


# ------------------------------------------------------------------------------------- invariants


def test_every_frame_is_shown_exactly_once_in_every_cut():
    for packets in (closed(4), open_gops(5), open_gops(5, radl=True)):
        frames = shown_frames(packets)
        for s, e in itertools.combinations(range(0, frames[-1] + 3), 2):
            plan = plan_precise(packets, s, e, smart=True)
            first = frame_at(frames, s)
            assert shown_by(plan, packets) == [f for f in frames if first <= f < e], (s, e, plan)
            assert all(isinstance(st, Encode | Copy) for st in plan.steps)
            assert all(a.end == b.start for a, b in zip(plan.steps, plan.steps[1:]))


def test_planned_dts_are_increasing_and_never_after_pts():
    packets = open_gops(5)
    for s, e in itertools.combinations(range(0, 40, 3), 2):
        plan = plan_precise(packets, s, e, smart=True)
        order = decode_order(plan, shown_frames(packets))
        dts = output_dts(order)
        assert all(d <= p for d, p in zip(dts, order))
        assert dts == sorted(set(dts)) and len(dts) == len(order)
