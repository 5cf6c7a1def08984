"""Media files: what they are (signature, probe, MediaInfo) and what the timeline shows of them
(keyframe index, thumbnails, waveform). Below the cut, the captions and the transcripts; above the library.
"""
