"""`fastclip segments` and `fastclip clip --marked` as a user runs them: real processes, a real library
(each test has its own FASTCLIP_HOME), real files, exit codes.

The marks are the editor's (engine.library.edits): what the GUI saves, the CLI lists and exports, and
the other way round. Bad input exits 2 with one line naming the problem, and changes nothing.
"""

import json
import subprocess
import sys

import pytest

from engine.library import Library
from engine.library.edits import MarkedSegment
from tests import media

CLI = [sys.executable, "-m", "fastclip_desktop.cli"]
FPS = 30


def fastclip(*args, cwd=None, stdin=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120,
                          input=stdin)


def ok(*args, **kw):
    r = fastclip(*args, **kw)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return r


def refused(needle: str, *args, **kw):
    r = fastclip(*args, **kw)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr, r.stderr
    return r


def marks(source) -> dict:
    return json.loads(ok("segments", source, "--json").stdout)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return media.make_video(tmp_path_factory.mktemp("src") / "talk.mp4", duration=8.0)


def test_set_list_and_clear_the_marks(source):
    r = ok("segments", source)
    assert r.stdout.startswith("talk.mp4 (upl_") and "0 segments marked" in r.stdout
    r = ok("segments", source, "--set", "4-5.5=Outro", "--set", "0:01-0:02.5", "--set", "6-7.25=Q&A, live")
    table = r.stdout.splitlines()
    assert "3 segments marked" in table[0]
    assert table[1].split() == ["#", "start", "end", "duration", "label"]
    assert table[2].split() == ["1", "0:01.000", "0:02.500", "1.5"]  # sorted by start
    assert table[3].split() == ["2", "0:04.000", "0:05.500", "1.5", "Outro"]
    assert table[4].split() == ["3", "0:06.000", "0:07.250", "1.25", "Q&A,", "live"]
    r = ok("segments", source, "--json")
    file_id = json.loads(r.stdout)["file_id"]
    assert file_id.startswith("upl_")
    assert r.stdout.strip() == json.dumps({"file_id": file_id, "segments": [
        {"start": 1.0, "end": 2.5, "label": ""}, {"start": 4.0, "end": 5.5, "label": "Outro"},
        {"start": 6.0, "end": 7.25, "label": "Q&A, live"}]})
    # the library's file_id names the same source; --set replaces every mark
    assert json.loads(ok("segments", file_id, "--set", "2-3", "--json").stdout)["segments"] == [
        {"start": 2.0, "end": 3.0, "label": ""}]
    assert json.loads(ok("segments", source, "--clear", "--json").stdout) == {"file_id": file_id, "segments": []}
    assert marks(source)["segments"] == []


def test_the_cli_sees_what_the_editor_saved_and_keeps_the_rest_of_it(source):
    file_id = marks(source)["file_id"]
    with Library() as lib:
        state = lib.save_edit_state(file_id, {"segments": [{"start": 0.5, "end": 1.5, "label": "Intro"}],
                                              "mode": "keyframe", "playhead": 3.0, "view": [0, 4],
                                              "export": {"format": "mp3", "join": True}})
    assert marks(file_id)["segments"] == [{"start": 0.5, "end": 1.5, "label": "Intro"}]
    ok("segments", source, "--set", "2-3=Two")
    with Library() as lib:
        after = lib.get_edit_state(file_id)
    assert after.segments == (MarkedSegment(2.0, 3.0, "Two"),)
    assert (after.mode, after.playhead, after.view, after.export) == (
        state.mode, state.playhead, state.view, state.export)


@pytest.mark.parametrize(("args", "needle"), [
    (["--set", "1-20"], "invalid_request [segments[0].end]: segments[0].end (20 s) is past the end of the source"),
    (["--set", "1-2", "--set", "3-2"], "invalid_request [segments[1].end]: segment 2 must end after it starts"),
    (["--set", "1-x"], "invalid_request [segments[0].end]: segments[0].end must be seconds or [h:]mm:ss"),
    (["--set", "5"], "invalid_request [segments[0]]: --set must look like START-END"),
    (["--set", "1-2=" + "x" * 201], "invalid_request [segments[0].label]"),
    (["--import-csv", "missing.csv"], "not_found [import_csv]: there is no file missing.csv"),
])
def test_bad_input_exits_2_with_one_line_and_changes_nothing(source, tmp_path, args, needle):
    before = json.loads(ok("segments", source, "--set", "1-2=Keep", "--json").stdout)
    refused(needle, "segments", source, *args, cwd=tmp_path)
    assert marks(source) == before


def test_csv_export_and_import(source, tmp_path):
    ok("segments", source, "--set", "1-2.5=Intro, part 1", "--set", "4-5.125")
    out = tmp_path / "marks.csv"
    assert ok("segments", source, "--export-csv", out).stdout.strip() == f"wrote 2 segments to {out}"
    assert out.read_text() == 'start,end,label\n1,2.5,"Intro, part 1"\n4,5.125,\n'
    assert ok("segments", source, "--export-csv", "-").stdout == out.read_text()
    before = marks(source)
    ok("segments", source, "--clear")
    assert marks(source)["segments"] == []
    ok("segments", source, "--import-csv", out)
    assert marks(source) == before
    # LosslessCut's CSV: no header, clock times, an empty end meaning the end of the source
    lossless = tmp_path / "lossless.csv"
    lossless.write_text('0:00:00.500,0:00:01.500,"A, quoted"\n6,,Tail\n')
    assert marks(source)["segments"] != []
    assert json.loads(ok("segments", source, "--import-csv", lossless, "--json").stdout)["segments"] == [
        {"start": 0.5, "end": 1.5, "label": "A, quoted"}, {"start": 6.0, "end": 8.0, "label": "Tail"}]
    # from stdin too
    ok("segments", source, "--import-csv", "-", stdin="start,end,label\n2,3,In\n")
    assert marks(source)["segments"] == [{"start": 2.0, "end": 3.0, "label": "In"}]


def test_a_bad_csv_names_its_line_and_changes_nothing(source, tmp_path):
    before = json.loads(ok("segments", source, "--set", "1-2=Keep", "--json").stdout)
    bad = tmp_path / "bad.csv"
    bad.write_text("start,end,label\n1,2,a\n5.0,3.0,b\n")
    refused("invalid_request [csv]: line 3: end 3.0 is before start 5.0", "segments", source, "--import-csv", bad)
    bad.write_text("1,2,a\n3,9,b\n")
    refused("invalid_request [csv]: line 2: end 9 is past the end of the source (8 s)",
            "segments", source, "--import-csv", bad)
    bad.write_text("start,end,label\n")
    refused("has no segments", "segments", source, "--import-csv", bad)
    assert marks(source) == before


def test_youtube_chapters(source, tmp_path):
    refused("invalid_request [segments]: no segments are marked", "segments", source, "--chapters")
    ok("segments", source, "--set", "0-2=Intro", "--set", "2-5", "--set", "5-7.5=End")
    assert ok("segments", source, "--chapters").stdout == "0:00 Intro\n0:02 Segment 2\n0:05 End\n"
    chapters = tmp_path / "chapters.txt"
    chapters.write_text("Chapters:\n0:00 Opening\n0:03 - Middle part\n0:06 Close\n")
    assert json.loads(ok("segments", source, "--import-chapters", chapters, "--json").stdout)["segments"] == [
        {"start": 0.0, "end": 3.0, "label": "Opening"}, {"start": 3.0, "end": 6.0, "label": "Middle part"},
        {"start": 6.0, "end": 8.0, "label": "Close"}]  # the last one runs to the end of the source
    before = marks(source)
    chapters.write_text("no chapters in here\n")
    refused("invalid_request [chapters]: no chapters found", "segments", source, "--import-chapters", chapters)
    chapters.write_text("0:00 A\n0:09 B\n")
    refused("invalid_request [chapters]: line 2: the chapter at 0:09 starts at or past the end of the source",
            "segments", source, "--import-chapters", chapters)
    assert marks(source) == before


def test_clip_marked_makes_one_file_per_segment_named_by_its_label(source, tmp_path):
    ok("segments", source, "--set", "1-2.5=Intro", "--set", "3-4=A/B: test", "--set", "4.5-5.5",
       "--set", "6-7=Intro")
    out = tmp_path / "out"
    r = ok("clip", source, "--marked", "-o", f"{out}/", "--json")
    jobs = [json.loads(line) for line in r.stdout.splitlines()]
    names = ["Intro.mp4", "A_B_ test.mp4", "talk_0-4.5-0-5.5.mp4", "Intro (2).mp4"]
    assert [j["file_name"] for j in jobs] == names
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for name, (start, end) in zip(names, [(1, 2.5), (3, 4), (4.5, 5.5), (6, 7)]):
        frames = [n for _, n in media.frame_numbers(out / name)]
        assert frames == list(range(round(start * FPS), round(end * FPS))), name  # exactly the marked span
    with Library() as lib:
        titles = [lib.get_clip(j["clip_id"]).title for j in jobs]
    assert titles == ["Intro", "A/B: test", "talk_0-4.5-0-5.5", "Intro"]


def test_clip_marked_as_library_clips_and_joined(source, tmp_path):
    ok("segments", source, "--set", "1-2=First", "--set", "5-6=Second")
    jobs = [json.loads(line) for line in ok("clip", source, "--marked", "--json").stdout.splitlines()]
    assert [j["file_name"] for j in jobs] == ["First.mp4", "Second.mp4"]
    assert all(j["saved_to_library"] for j in jobs)
    with Library() as lib:
        assert [lib.get_clip(j["clip_id"]).title for j in jobs] == ["First", "Second"]
    # --join and the other clip options work as with --segment: one file, the default name
    joined = tmp_path / "joined.mp4"
    [job] = [json.loads(line) for line in ok("clip", source, "--marked", "--join", "-o", joined, "--mode",
                                             "keyframe", "--json").stdout.splitlines()]
    assert job["segments"] == [[1.0, 2.0], [5.0, 6.0]]
    assert [n for _, n in media.frame_numbers(joined)] == list(range(30, 60)) + list(range(150, 180))


def test_clip_marked_refusals(source, tmp_path):
    for extra in (["--segment", "1-2"], ["--start", "1"], ["--end", "3"]):
        refused("invalid_request [marked]: --marked exports the segments marked on the source; it cannot be "
                "combined with --start, --end or --segment", "clip", source, "--marked", *extra, cwd=tmp_path)
    refused("invalid_request [marked]: no segments are marked on talk.mp4", "clip", source, "--marked",
            "-o", f"{tmp_path}/", cwd=tmp_path)
    # the clip rules apply when the marks are exported: a 0.2 s mark is too short for a clip
    ok("segments", source, "--set", "1-1.2=Blip")
    refused("invalid_request [segments[0].end]", "clip", source, "--marked", "-o", f"{tmp_path}/", cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []
    with Library() as lib:
        assert lib.list_jobs(kind="clip") == []
