"""Caption Studio: choose, duplicate, edit and preview caption presets over the open video.

The Qt-free parts are here: ``CaptionStudioModel`` (the presets, the selection and the edited
style, every rule asked of the engine) and ``frames`` (the preview's states drawn by the engine's
renderer). Import the Qt parts from their modules: ``caption_studio.panel.CaptionStudio`` (what the
main window composes), ``preview``, ``rendering``, ``editor``, ``preset_list``.
"""

from .frames import SAMPLE_TEXT, CaptionState, PreviewStates, render_states
from .model import BUNDLED, UPLOAD, CaptionStudioModel, FontChoice, PresetEntry

__all__ = [
    "BUNDLED",
    "SAMPLE_TEXT",
    "UPLOAD",
    "CaptionState",
    "CaptionStudioModel",
    "FontChoice",
    "PresetEntry",
    "PreviewStates",
    "render_states",
]
