"""The transcript panel: a Qt-free TranscriptModel (words laid out as text, the spoken word, search,
selection) and the widgets over it.

Import the Qt parts from their modules: ``transcript_panel.panel.TranscriptPanel``,
``transcript_panel.word_view.WordView``.
"""

from .model import (
    Line,
    TranscriptModel,
    WordSpot,
    clock,
    span_text,
)

__all__ = ["Line", "TranscriptModel", "WordSpot", "clock", "span_text"]
