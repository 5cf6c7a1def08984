"""Moments: the passages of a source worth clipping, found offline from its transcript and audio.

    from engine.moments.analyze import analyze
    moments = yield from analyze("talk.mp4", "where do they talk about customers leaving",
                                 cache_dir=home / "cache")

A :class:`~engine.moments.moment.Moment` has the API's fields (``start``, ``end``, ``excerpt``,
``confidence`` 0-1) and ``reasons`` in words. With a query, passages are ranked by meaning (a small
sentence-embedding model, all-MiniLM-L6-v2, on onnxruntime); without one, by highlight cues (speech
density, loudness against the surroundings, questions and their answers, numbers, exclamations,
names, topic boundaries, whole sentences).

The modules, each small:

    moment      the Moment record (pure)            request    the requests' rules (pure)
    sentences   a transcript as sentences (pure)    cues       hook cues per sentence (pure)
    windows     candidate spans and their sums      topics     TextTiling boundaries (pure)
    ranking     scores, calibration, selection      snapping   edges to silences (pure)
    loudness    the audio's level, from the cached waveform peaks
    embedder    the text-embedding model, loaded once per process (its load time kept apart)
    vectors     sentence vectors, cached by transcript and model
    analyze     the whole: transcript step, audio, vectors, ranking, as a Progress generator

Nothing is imported here: ``engine.moments.request`` and ``engine.moments.moment`` stay light (the
planner and the front door use them), while numpy and onnxruntime come with the modules that need them.
"""
