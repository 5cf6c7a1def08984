"""The arithmetic of a timeline's visible range (its zoom and scroll), free of Qt and of the model.

A view is ``(view_start, view_end)`` in seconds. These functions say where a view should go; the
TimelineModel decides when, sets it and tells its listeners. ``fit_view`` keeps any wanted view
inside the media and at least MIN_VIEW wide; the others give the wanted view, to be fitted.
"""

from __future__ import annotations

MIN_VIEW = 0.25  # seconds: the narrowest visible range (the deepest zoom)
PAGE_LEAD = 0.1  # following the playhead, a new page shows it this share of the view from its edge
REVEAL_MARGIN = 0.05  # share of the view kept free beside a segment scrolled into view

View = tuple[float, float]


def fit_view(t0: float, t1: float, start: float, duration: float) -> View:
    """[t0, t1] kept inside the media [start, start + duration] and at least MIN_VIEW wide (or the
    whole media, when it is shorter)."""
    span = min(max(t1 - t0, min(MIN_VIEW, duration)), duration)
    t0 = min(max(t0, start), start + duration - span)
    return t0, t0 + span


def page_view(t: float, view: View) -> View:
    """The page of the same width that shows ``t``, which left ``view``: past its right edge the page
    shows it near its left edge, past its left edge near its right edge."""
    view_start, view_end = view
    span = view_end - view_start
    lead = PAGE_LEAD * span
    return (t - lead, t - lead + span) if t > view_end else (t + lead - span, t + lead)


def reveal_view(t0: float, t1: float, view: View) -> View | None:
    """A view in which [t0, t1] (t0 <= t1) is fully visible with a small margin: ``view`` scrolled when
    the span fits in its width, else just wide enough. None when ``view`` already shows it all."""
    view_start, view_end = view
    if view_start <= t0 and t1 <= view_end:
        return None
    span, length = view_end - view_start, t1 - t0
    margin = REVEAL_MARGIN * span
    if length + 2 * margin <= span:
        return (t0 - margin, t0 - margin + span) if t0 < view_start else (t1 + margin - span, t1 + margin)
    return (t0 - REVEAL_MARGIN * length, t1 + REVEAL_MARGIN * length)


def zoom_view(factor: float, anchor: float, view: View, duration: float) -> View | None:
    """``view`` zoomed in (factor > 1) or out around ``anchor``: the time under the cursor stays under
    it. None when it cannot zoom (no factor, an empty view)."""
    view_start, view_end = view
    old_span = view_end - view_start
    if factor <= 0 or old_span <= 0:
        return None
    share = (anchor - view_start) / old_span
    span = old_span / factor
    span = min(max(span, min(MIN_VIEW, duration)), duration)
    return anchor - share * span, anchor - share * span + span
