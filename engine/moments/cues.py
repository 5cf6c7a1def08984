"""Hook cues, sentence by sentence: what makes a passage catch the ear (pure).

A question (and the sentence after it, its answer), numbers, exclamations and named things (words
capitalised mid-sentence) draw a listener in; a sentence that opens on a connective ("and", "but",
"so", "because", ...) leans on the one before it, so a moment should not start there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.:%]*")
NUMBER_WORDS = frozenset("""two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds
    thousand thousands million millions billion billions percent half twice double triple dozen""".split())
CONNECTIVES = frozenset("""and but so because or which then also plus nor yet though although whereas
    therefore thus hence""".split())
NOT_NAMES = frozenset({"I", "I'm", "I've", "I'll", "I'd", "OK", "Okay", "Mr", "Mrs", "Ms", "Dr"})


@dataclass(frozen=True, slots=True)
class Cues:
    """One value per sentence."""

    question: np.ndarray  # bool: ends with "?"
    answered: np.ndarray  # bool: a question followed by a sentence that is not one (its answer)
    exclaim: np.ndarray  # bool: ends with "!"
    numbers: np.ndarray  # int: numbers said (digits or number words)
    names: np.ndarray  # int: named things (capitalised mid-sentence, not "I")
    dangling: np.ndarray  # bool: opens on a connective


def sentence_cues(texts: list[str]) -> Cues:
    n = len(texts)
    question = np.zeros(n, bool)
    exclaim = np.zeros(n, bool)
    numbers = np.zeros(n, np.int32)
    names = np.zeros(n, np.int32)
    dangling = np.zeros(n, bool)
    for i, text in enumerate(texts):
        t = text.strip().rstrip("\"'”’)]")
        question[i] = t.endswith("?")
        exclaim[i] = t.endswith("!")
        tokens = _WORD.findall(text)
        numbers[i] = sum(1 for w in tokens if w[0].isdigit() or w.lower().strip("'’") in NUMBER_WORDS
                         or w.endswith("%"))
        names[i] = count_names(tokens)
        dangling[i] = bool(tokens) and tokens[0].lower() in CONNECTIVES
    answered = question & ~np.append(question[1:], True)  # the last sentence's question has no answer here
    return Cues(question, answered, exclaim, numbers, names, dangling)


def count_names(tokens: list[str]) -> int:
    """Named things among a sentence's words: capitalised words after the first, a run of them
    ("New York") counted once."""
    n, in_run = 0, False
    for k, w in enumerate(tokens):
        is_name = k > 0 and w[0].isupper() and w not in NOT_NAMES and not w.isupper() or \
            (k > 0 and w.isupper() and len(w) > 1 and w not in NOT_NAMES)
        if is_name and not in_run:
            n += 1
        in_run = is_name
    return n


def hook_points(answered_count, exclaims, numbers, names):
    """Hook strength of a span from its counts (arrays or numbers): a question answered counts most;
    each kind saturates, so a list of figures does not outweigh a real exchange."""
    return (2.0 * np.minimum(answered_count, 1) + 0.7 * np.minimum(exclaims, 2) + 0.5 * np.minimum(numbers, 3)
            + 0.3 * np.minimum(names, 4))


def hook_score(points):
    """0-1 from :func:`hook_points` (about 0.55 for a question and its answer alone)."""
    return 1.0 - np.exp(-np.asarray(points, float) / 2.5)
