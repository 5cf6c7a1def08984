"""Path rules of a cluster batch: this machine's paths as the workers name them, and back."""

from __future__ import annotations

import pytest

from engine import InvalidRequest, PathMap


def test_a_rule_maps_whole_path_components_both_ways():
    m = PathMap.parse(["/mnt/nas=/Volumes/nas/"])
    assert m.to_worker("/mnt/nas/talks/a.mp4") == "/Volumes/nas/talks/a.mp4"
    assert m.to_local("/Volumes/nas/talks/a.mp4") == "/mnt/nas/talks/a.mp4"
    assert m.to_worker("/mnt/nas") == "/Volumes/nas"
    assert m.to_worker("/mnt/nas2/a.mp4") == "/mnt/nas2/a.mp4"  # another folder, not under the rule
    assert m.to_worker("/home/me/a.mp4") == "/home/me/a.mp4" and m.to_worker(None) is None


def test_the_longest_rule_wins_and_no_rules_means_the_same_paths():
    m = PathMap.parse(["/mnt/nas=/nas", "/mnt/nas/fast=/ssd", "/=/srv/root"])
    assert m.to_worker("/mnt/nas/fast/x.mp4") == "/ssd/x.mp4"
    assert m.to_worker("/mnt/nas/slow/x.mp4") == "/nas/slow/x.mp4"
    assert m.to_worker("/etc/x") == "/srv/root/etc/x" and m.to_local("/srv/root/etc/x") == "/etc/x"
    assert not PathMap() and PathMap().to_worker("/a/b") == "/a/b" and PathMap.parse(None).rules == ()


def test_a_windows_worker_gets_its_own_separators():
    m = PathMap.parse([r"/mnt/nas=D:\nas"])
    assert m.to_worker("/mnt/nas/talks/a.mp4") == r"D:\nas\talks\a.mp4"
    assert m.to_local(r"D:\nas\talks\a.mp4") == "/mnt/nas/talks/a.mp4"


@pytest.mark.parametrize("rule, needle", [
    ("/mnt/nas", "LOCAL=REMOTE"), ("=/x", "LOCAL=REMOTE"), ("/a=", "LOCAL=REMOTE"),
    ("nas=/Volumes/nas", "absolute"), ("/mnt/nas=Volumes", "absolute"),
])
def test_a_rule_that_is_not_two_absolute_paths_is_refused(rule, needle):
    with pytest.raises(InvalidRequest) as e:
        PathMap.parse([rule])
    assert needle in e.value.message and e.value.field == "path_map"


def test_one_folder_has_one_rule():
    with pytest.raises(InvalidRequest, match="two path rules"):
        PathMap.parse(["/mnt/nas=/a", "/mnt/nas/=/b"])
