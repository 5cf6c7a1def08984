"""The Moments panel: a Qt-free MomentsModel (the moments found for a query, a search under way,
the chosen moment, what "Add all" adds) and the widgets over it.

Import the Qt parts from their modules: ``moments_panel.panel.MomentsPanel``,
``moments_panel.moment_list.MomentList``, ``moments_panel.job.MomentsJob``.
"""

from .model import MomentRow, MomentsModel, query_key, row_of, segment_label

__all__ = ["MomentRow", "MomentsModel", "query_key", "row_of", "segment_label"]
