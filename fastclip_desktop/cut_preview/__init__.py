"""The cut preview: before exporting, where each cut really lands and what it re-encodes.

``asks.py`` (Qt-free) says what to preview (a ``PreviewAsk``: the keyframe index, the MediaInfo,
the outputs' segments and the export's settings) and computes it with the engine's decode-free
``preview_cut``; ``wording.py`` (Qt-free) turns a ``CutPreview`` into what the segment list and the
export panel say. ``previewer.CutPreviewer`` (Qt) computes the latest ask off the GUI thread.
"""

from .asks import PreviewAsk, compute
from .wording import (
    cell_text,
    clip_sentence,
    clips_sentence,
    export_sentence,
    seconds_text,
)

__all__ = ["PreviewAsk", "cell_text", "clip_sentence", "clips_sentence", "compute", "export_sentence", "seconds_text"]
