"""The editor in the middle of the main window: player, transport, timeline and segment list.

``EditorView`` (editor_view.py) composes them over one open file; ``SegmentList``
(segment_list.py) lists the timeline's segments.
"""
