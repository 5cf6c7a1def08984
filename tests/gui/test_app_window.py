"""The early-build window: it opens, and lists the files opened or dropped on it."""

from __future__ import annotations

import locale
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog  # noqa: E402

from fastclip_desktop import app as app_module  # noqa: E402
from fastclip_desktop.app import MainWindow, describe_size  # noqa: E402


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def media(tmp_path):
    path = tmp_path / "holiday clip.mp4"
    path.write_bytes(b"\x00" * 1_234_567)
    return path


def file_mime(*paths) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def shown_rows(w: MainWindow) -> list[str]:
    return [w.file_list.item(i).text() for i in range(w.file_list.count())]


def drop(w: MainWindow, mime: QMimeData) -> tuple[bool, bool]:
    """A real drag-enter then drop on the window; whether each was accepted."""
    pos = QPointF(w.rect().center())
    action, button, modifier = (
        Qt.DropAction.CopyAction,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # QDragEnterEvent takes a QPoint on every PySide6 version; QDropEvent a QPointF
    enter = QDragEnterEvent(pos.toPoint(), action, mime, button, modifier)
    QApplication.sendEvent(w, enter)
    dropped = QDropEvent(pos, action, mime, button, modifier)
    QApplication.sendEvent(w, dropped)
    return enter.isAccepted(), dropped.isAccepted()


def test_window_opens_with_title_and_early_build_notice(window):
    assert window.windowTitle() == "FastClip Desktop"
    assert window.isVisible()
    assert "early build" in window.notice.text()
    assert window.notice.isVisible()
    assert window.open_button.text() == "Open media…"
    assert window.acceptDrops()
    assert shown_rows(window) == []


def test_dropping_a_file_lists_its_path_and_size(window, media):
    entered, dropped = drop(window, file_mime(media))

    assert entered and dropped
    assert window.listed_files == [media]
    [row] = shown_rows(window)
    assert str(media) in row
    assert "1.2 MB (1,234,567 bytes)" in row
    assert "1 file listed" in window.statusBar().currentMessage()


def test_drop_handler_method_lists_files_once(window, media, tmp_path):
    other = tmp_path / "talk.wav"
    other.write_bytes(b"RIFF" + b"\x01" * 10)

    assert window.open_mime(file_mime(media, other)) == 2
    assert window.open_mime(file_mime(media)) == 0  # already listed

    assert window.listed_files == [media, other]
    assert shown_rows(window)[1].endswith("14 bytes")


def test_drop_of_folders_text_or_missing_files_is_refused(window, tmp_path):
    text = QMimeData()
    text.setText("just some text")
    assert drop(window, text) == (False, False)
    assert drop(window, file_mime(tmp_path)) == (False, False)
    assert drop(window, file_mime(tmp_path / "gone.mp4")) == (False, False)
    remote = QMimeData()
    remote.setUrls([QUrl("https://example.invalid/clip.mp4")])
    assert drop(window, remote) == (False, False)
    assert shown_rows(window) == []


def test_open_button_and_ctrl_o_list_the_chosen_files(window, media, tmp_path, qtbot, monkeypatch):
    second = tmp_path / "b.mkv"
    second.write_bytes(b"x" * 2048)
    answers = [[str(media)], [str(second)]]
    asked = []

    def fake_dialog(parent, caption, directory, filters):
        asked.append(caption)
        return answers.pop(0), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(fake_dialog))

    qtbot.mouseClick(window.open_button, Qt.MouseButton.LeftButton)
    assert window.listed_files == [media]

    assert window.open_action.shortcut().toString() == "Ctrl+O"
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert window.listed_files == [media, second]
    assert shown_rows(window)[1].endswith("2.0 kB (2,048 bytes)")
    assert asked == ["Open media", "Open media"]


def test_main_returns_the_event_loops_exit_code(qapp, media, monkeypatch):
    shown = []
    monkeypatch.setattr(MainWindow, "show", lambda self: shown.append(self))
    QTimer.singleShot(0, lambda: qapp.exit(3))

    assert app_module.main(["fastclip-desktop", str(media)]) == 3

    [w] = shown
    assert w.listed_files == [media]
    assert locale.setlocale(locale.LC_NUMERIC) == "C"
    assert os.environ["LC_NUMERIC"] == "C"
    w.deleteLater()


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (1000, "1.0 kB (1,000 bytes)"),
        (5_500_000_000, "5.5 GB (5,500,000,000 bytes)"),
    ],
)
def test_describe_size(size, text):
    assert describe_size(size) == text
