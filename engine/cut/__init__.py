"""Cutting: the request rules, the pure plan, the export and its per-track executors (video
with smart cut, audio, subtitles, GIF), the encoders and the naming of outputs.
"""
