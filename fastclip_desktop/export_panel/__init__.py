"""The export panel: a Qt-free ExportModel (the form, the options the engine allows, the ClipRequest
it makes) and the widget over it.

Import the Qt part from its module: ``export_panel.panel.ExportPanel``.
"""

from .model import FIELDS, GENERAL, ExportModel, Option, duration_text, form_field

__all__ = ["FIELDS", "GENERAL", "ExportModel", "Option", "duration_text", "form_field"]
