"""Settings → Local API: the app serves the FastClip v1 API on loopback, on the app's own job
runner, so a script's clip shows in the Jobs panel's queue; a key made in Settings is the one the
server takes; switching it off frees the port; a taken port is said plainly."""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtWidgets import QApplication, QInputDialog

from engine.library import Library
from fastclip_desktop.app_settings import AppSettings
from fastclip_desktop.local_api import LocalApi
from fastclip_desktop.settings_dialog import SettingsDialog


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, key: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture
def settings(tmp_path) -> AppSettings:
    return AppSettings(tmp_path / "desktop.ini")


def test_settings_turn_the_api_on_with_a_key_and_its_clips_run_on_the_apps_runner(
        qtbot, queue, settings, source, monkeypatch):
    api = LocalApi(settings, queue)
    port = free_port()
    with Library() as lib:
        dialog = SettingsDialog(lib, settings, local_api=api)
        qtbot.addWidget(dialog)
        assert dialog.api.status.text() == "Not serving."
        monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("my script", True))
        key = dialog.api.create_key()
        assert key and QApplication.clipboard().text() == key  # shown once, on the clipboard
        assert [dialog.api.keys.item(i).text().split()[:2] for i in range(dialog.api.keys.count())] == [
            ["my", "script"]]
        dialog.api.enabled.setChecked(True)
        dialog.api.port.setValue(port)
        assert dialog.save()
        qtbot.waitUntil(lambda: api.state == "on", timeout=30000)
        url = f"http://127.0.0.1:{port}"
        assert api.url == url and f'href="{url}/docs"' in dialog.api.status.text()
    assert settings.get("api_enabled") == "1" and settings.get("api_port") == str(port)
    try:
        assert call(f"{url}/v1/clips")[0] == 401  # no key
        seen = []
        queue.job_updated.connect(seen.append)
        talk = source("h264")
        home = os.environ["FASTCLIP_HOME"]
        monkeypatch.setenv("HOME", home)  # the API imports in place from the user's home only
        local = os.path.join(home, "talk.mp4")
        os.link(talk, local)
        with Library() as lib:
            lib.set_setting("api_local_folders", home)
        status, upload = call(f"{url}/v1/upload/local", key, {"path": local})
        assert status == 200, upload
        qtbot.waitUntil(lambda: call(f"{url}/v1/upload/{upload['file_id']}", key)[1]["status"] == "ready",
                        timeout=30000)
        status, job = call(f"{url}/v1/clip", key, {"file_id": upload["file_id"], "start": 1, "end": 2})
        assert status == 200, job
        # the app's runner ran it: its Jobs panel heard of it as it ran
        qtbot.waitUntil(lambda: any(u.job_id == job["job_id"] and u.status == "complete" for u in seen),
                        timeout=30000)
        assert call(f"{url}/v1/clip/{job['job_id']}", key)[1]["status"] == "complete"
    finally:
        settings.set("api_enabled", "0")
        api.apply()
    qtbot.waitUntil(lambda: api.state == "off", timeout=30000)
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # nothing listens there any more


def test_a_taken_port_is_said_plainly(qtbot, queue, settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings.set("api_enabled", "1")
        settings.set("api_port", str(port))
        api = LocalApi(settings, queue)
        api.apply()
        qtbot.waitUntil(lambda: api.state == "failed", timeout=30000)
        assert api.text.startswith(f"port {port} is not free")
