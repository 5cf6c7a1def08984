"""The desktop app's settings, in one declared place.

Two homes, each declared once:

* **Library settings** (``engine.library.SETTINGS``): clip expiry hours, worker count, whisper
  model path, default export folder, default cut mode, import limits. They live in the library
  (``library.db``) and are shared with the ``fastclip`` CLI (``fastclip config``). ``SHOWN`` says
  which of them the Settings dialog offers.
* **App settings** (``APP_SETTINGS`` here): the library folder (where ``library.db`` and the
  clips live; it has to be known before the library opens, so it cannot live in it) and the
  window's layout. They live in ``desktop.ini``, a QSettings INI file in the platformdirs config
  folder, or in ``$FASTCLIP_HOME`` when that is set (every test sets it, so tests never touch
  the real one). ``$FASTCLIP_HOME`` wins over the library folder chosen here.

Window state is kept apart from the user's choices (picard's habit): ``window/geometry`` and
``window/state`` are written on close and restored at start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from engine import config_dir

SHOWN = ("clip_ttl_hours", "workers", "whisper_model_path", "default_export_folder", "default_cut_mode")
INI_NAME = "desktop.ini"


@dataclass(frozen=True, slots=True)
class AppSetting:
    key: str
    default: str
    description: str


APP_SETTINGS = {s.key: s for s in (
    AppSetting("library_folder", "", "where the library (library.db, clips/, fonts/, cache/) lives; "
                                     "empty: the standard data folder. Takes effect at the next start"),
    AppSetting("api_enabled", "0", "serve the FastClip v1 API on this machine while the app runs "
                                   "(loopback only; every request needs one of the library's keys)"),
    AppSetting("api_port", "8484", "the local API's port (1024-65535)"),
)}


def config_path() -> Path:
    """desktop.ini: in $FASTCLIP_HOME when set, else in the platformdirs config folder."""
    return config_dir() / INI_NAME


class AppSettings:
    """desktop.ini: the app settings above and the window state."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else config_path()
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def get(self, key: str) -> str:
        s = APP_SETTINGS[key]
        value = self._qs.value(f"app/{key}", s.default)
        return value if isinstance(value, str) else s.default

    def set(self, key: str, value: str) -> None:
        if key not in APP_SETTINGS:
            raise KeyError(key)
        self._qs.setValue(f"app/{key}", str(value))
        self._qs.sync()

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry, state = self._qs.value("window/geometry"), self._qs.value("window/state")
        return (geometry if isinstance(geometry, QByteArray) else None,
                state if isinstance(state, QByteArray) else None)

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self._qs.setValue("window/geometry", geometry)
        self._qs.setValue("window/state", state)
        self._qs.sync()


def apply_library_folder(settings: AppSettings) -> Path | None:
    """Before anything opens the library: point it at the chosen library folder (unless
    $FASTCLIP_HOME already says where). Returns the folder used, if one was chosen."""
    if os.environ.get("FASTCLIP_HOME"):
        return None
    folder = settings.get("library_folder").strip()
    if not folder:
        return None
    os.environ["FASTCLIP_HOME"] = str(Path(folder).expanduser())
    return Path(os.environ["FASTCLIP_HOME"])
