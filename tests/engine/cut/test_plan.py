"""The pure cut planner on hand-built GOP lists: what is copied, what is re-encoded, from where.

Time unit: one frame = 1 tick, a GOP every 10 frames (keyframes at 0, 10, 20, ...). Closed GOPs with
B-frames show frames key..key+9 and are decoded from 2 ticks before the keyframe. An open GOP also
shows, before its keyframe, leading frames that refer to the GOP before it.
"""

from __future__ import annotations

from engine.cut.plan import (
    Gop,
    SegmentPlan,
    Step,
    frame_at,
    gop_at,
    plan_keyframe,
    plan_precise,
)


def closed(key: int, size: int = 10) -> Gop:
    return Gop(key, key - 2, tuple(range(key, key + size)))


def gops(count: int = 5, size: int = 10) -> list[Gop]:
    return [closed(k * size, size) for k in range(count)]


def open_gop(key: int, leading: int = 2, size: int = 10) -> Gop:
    return Gop(key, key - 2, tuple(range(key - leading, key + size)))


def with_open_gop_at(key: int, count: int = 5, leading: int = 2) -> list[Gop]:
    """GOPs of 10 where the one at ``key`` is open: the GOP before it ends ``leading`` frames early."""
    out = []
    for k in range(0, count * 10, 10):
        if k == key:
            out.append(open_gop(k, leading))
        elif k + 10 == key:
            out.append(Gop(k, k - 2, tuple(range(k, k + 10 - leading))))
        else:
            out.append(closed(k))
    return out


def kinds(plan: SegmentPlan) -> list[tuple[str, int, int]]:
    return [(s.kind, s.start, s.end) for s in plan.steps]


# ----------------------------------------------------------------------------------- gop_at / frame_at


def test_gop_at_is_the_last_keyframe_at_or_before():
    g = gops()
    assert gop_at(g, 0) == 0
    assert gop_at(g, 9) == 0
    assert gop_at(g, 10) == 1
    assert gop_at(g, 15) == 1
    assert gop_at(g, 49) == 4
    assert gop_at(g, 1000) == 4


def test_gop_at_before_the_first_keyframe_is_the_first():
    assert gop_at([closed(10), closed(20)], 3) == 0


def test_frame_at_is_the_frame_on_screen():
    g = [Gop(0, 0, (0, 3, 4, 9)), Gop(10, 10, (10, 12))]
    assert frame_at(g, 0) == 0
    assert frame_at(g, 2) == 0
    assert frame_at(g, 3) == 3
    assert frame_at(g, 11) == 10
    assert frame_at(g, 100) == 12


def test_frame_at_before_any_frame_is_none():
    assert frame_at([closed(10)], 5) is None


def test_frame_at_sees_the_leading_frames_of_an_open_gop():
    g = with_open_gop_at(20)
    assert frame_at(g, 19) == 19  # shown before keyframe 20, stored in its GOP


# ------------------------------------------------------------------------------------------ precise


def test_start_on_a_keyframe_needs_no_head_encode():
    plan = plan_precise(gops(), 10, 25, smart=True)
    assert (plan.start, plan.end) == (10, 25)
    assert kinds(plan) == [("copy", 10, 20), ("encode", 20, 25)]
    assert plan.steps[0].decode_from == 10


def test_start_mid_gop_encodes_from_the_start_frame_decoding_from_its_keyframe():
    plan = plan_precise(gops(), 13, 30, smart=True)
    assert plan.start == 13
    assert plan.steps == (Step("encode", 13, 20, 10), Step("copy", 20, 30, 20))
    assert plan.encoded == 7


def test_start_between_frames_snaps_back_to_the_frame_shown():
    g = [Gop(0, 0, (0, 2, 4, 6, 8)), Gop(10, 10, (10, 12, 14, 16, 18))]  # one frame every 2 ticks
    plan = plan_precise(g, 5, 20, smart=True)
    assert plan.start == 4
    assert plan.steps == (Step("encode", 4, 10, 0), Step("copy", 10, 20, 10))


def test_end_on_a_keyframe_needs_no_tail_encode():
    plan = plan_precise(gops(), 10, 30, smart=True)
    assert kinds(plan) == [("copy", 10, 30)]
    assert plan.encoded == 0


def test_end_mid_gop_encodes_the_tail():
    plan = plan_precise(gops(), 10, 27, smart=True)
    assert kinds(plan) == [("copy", 10, 20), ("encode", 20, 27)]
    assert plan.steps[1].decode_from == 20


def test_segment_inside_one_gop_is_one_encode_step():
    plan = plan_precise(gops(), 22, 27, smart=True)
    assert plan.steps == (Step("encode", 22, 27, 20),)
    assert (plan.start, plan.end) == (22, 27)


def test_head_and_tail_encodes_around_copied_gops():
    plan = plan_precise(gops(), 5, 35, smart=True)
    assert plan.steps == (
        Step("encode", 5, 10, 0),
        Step("copy", 10, 30, 10),  # two whole GOPs, merged into one copy
        Step("encode", 30, 35, 30),
    )


def test_contiguous_encode_steps_merge_keeping_the_first_decode_point():
    plan = plan_precise(with_open_gop_at(20), 5, 30, smart=True)
    # GOP 10 cannot be copied (its last frames live in the open GOP), nor can the open GOP 20
    assert plan.steps == (Step("encode", 5, 30, 0),)


def test_open_gop_is_never_copied_and_decodes_from_the_gop_before():
    plan = plan_precise(with_open_gop_at(20), 20, 40, smart=True)
    assert plan.steps[0] == Step("encode", 20, 30, 10)
    assert kinds(plan) == [("encode", 20, 30), ("copy", 30, 40)]


def test_start_on_a_leading_frame_of_an_open_gop_decodes_from_the_gop_before():
    g = with_open_gop_at(20)
    plan = plan_precise(g, 18, 30, smart=True)
    assert plan.start == 18
    assert plan.steps == (Step("encode", 18, 30, 10),)


def test_the_gop_before_an_open_gop_is_not_copied():
    plan = plan_precise(with_open_gop_at(30), 10, 50, smart=True)
    assert kinds(plan) == [("copy", 10, 20), ("encode", 20, 40), ("copy", 40, 50)]
    assert plan.steps[1].decode_from == 20


def test_last_gop_of_the_file_is_copied_up_to_the_end():
    g = gops(5)  # frames 0..49
    plan = plan_precise(g, 25, 50, smart=True)
    assert plan.steps == (Step("encode", 25, 30, 20), Step("copy", 30, 50, 30))
    assert plan.end == 50


def test_last_gop_cut_before_its_last_frame_is_encoded():
    plan = plan_precise(gops(5), 40, 45, smart=True)
    assert plan.steps == (Step("encode", 40, 45, 40),)


def test_end_past_the_last_frame_still_copies_the_last_gop():
    plan = plan_precise(gops(5), 40, 52, smart=True)
    assert plan.steps == (Step("copy", 40, 52, 40),)


def test_not_smart_is_a_single_encode_step():
    plan = plan_precise(gops(), 13, 37, smart=False)
    assert plan.steps == (Step("encode", 13, 37, 10),)
    assert plan.encoded == 24


def test_not_smart_from_a_leading_frame_decodes_from_the_gop_before():
    plan = plan_precise(with_open_gop_at(20), 19, 35, smart=False)
    assert plan.steps == (Step("encode", 19, 35, 10),)


def test_steps_tile_the_segment():
    g = gops(8)
    for start in range(0, 70, 3):
        for end in range(start + 1, 80, 7):
            plan = plan_precise(g, start, end, smart=True)
            assert plan.steps[0].start == plan.start == start
            assert plan.steps[-1].end == end
            assert all(a.end == b.start and a.kind != b.kind for a, b in zip(plan.steps, plan.steps[1:]))
            for step in plan.steps:
                if step.kind == "copy":
                    assert step.start % 10 == 0 and step.decode_from == step.start
                else:
                    assert step.decode_from == step.start // 10 * 10


# ----------------------------------------------------------------------------------------- keyframe


def test_keyframe_mode_starts_at_the_keyframe_at_or_before_start():
    plan = plan_keyframe(gops(), 15, 37)
    assert (plan.start, plan.end) == (10, 37)
    assert plan.steps == (Step("copy", 10, 37, 10),)
    assert plan.encoded == 0


def test_keyframe_mode_on_a_keyframe_starts_there():
    plan = plan_keyframe(gops(), 20, 30)
    assert plan.steps == (Step("copy", 20, 30, 20),)


def test_keyframe_mode_on_a_leading_frame_starts_at_the_keyframe_before():
    plan = plan_keyframe(with_open_gop_at(20), 19, 30)
    assert plan.start == 10
