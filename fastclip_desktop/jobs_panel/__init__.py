"""The jobs panel: a Qt-free JobsModel (rows, texts, allowed actions, elapsed time) and the
JobsPanel widget over it. Import the widget from its module: ``jobs_panel.panel.JobsPanel``."""

from .model import ACTIONS, CANCEL, OPEN, RETRY, SHOW, JobRow, JobsModel, duration_text

__all__ = ["ACTIONS", "CANCEL", "OPEN", "RETRY", "SHOW", "JobRow", "JobsModel", "duration_text"]
