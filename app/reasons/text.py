"""Text similarity for reasons and proposals: TF-IDF vectors, cosine scores, key terms.

Similarity works on character n-grams inside word boundaries (3 to 5 characters), so
inflected forms and small typos still match and every script works without a word
segmenter. Key terms are words and two-word phrases with each language's stop words
removed (the ``stop-words`` package, which ships its lists). Nothing here is random:
the same texts always give the same vectors, scores and terms.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import stop_words

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["NEAR_DUPLICATE", "Space", "Terms", "similarity"]


def _vectorizer(**options: Any) -> TfidfVectorizer:
    """A TF-IDF vectoriser; scikit-learn (and the scipy it pulls in, seconds and 150 MB) is
    imported on first use, not by every process that imports the routes."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(**options)


# Two texts this similar say the same thing (in practice: the same words, a few changed).
NEAR_DUPLICATE = 0.75


class Space:
    """``texts`` as L2-normalised TF-IDF rows, fitted once, for similarities among any subset.

    Fitting once for all the reasons of a round and comparing within each statement is what
    keeps a round of 100 statements and 30,000 reasons within seconds.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        vectorizer = _vectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            lowercase=True,
            strip_accents="unicode",
            sublinear_tf=True,
        )
        try:
            self._rows = vectorizer.fit_transform(texts) if texts else None
        except ValueError:  # no text has three characters: nothing to compare
            self._rows = None
        self._size = len(texts)

    def similarity(self, indices: Sequence[int] | None = None) -> npt.NDArray[np.float64]:
        """Cosine similarity, 0 to 1, of every pair among ``indices`` (default: all)."""
        chosen = list(range(self._size)) if indices is None else list(indices)
        if self._rows is None:
            return np.eye(len(chosen))
        rows = self._rows[chosen]
        return np.clip(np.asarray((rows @ rows.T).toarray(), dtype=np.float64), 0.0, 1.0)


def similarity(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Cosine similarity of every pair of ``texts``, 0 to 1, as an (n x n) array."""
    return Space(texts).similarity()


@functools.cache
def _stop_words(language: str) -> frozenset[str]:
    try:
        words = stop_words.get_stop_words(language.split("-")[0])
    except stop_words.StopWordError:
        return frozenset()
    # The same normalisation the vectoriser applies to the texts, so that every stop word
    # is one of its tokens (scikit-learn warns otherwise).
    analyze = _vectorizer(lowercase=True, strip_accents="unicode").build_analyzer()
    return frozenset(token for word in words for token in analyze(word))


class Terms:
    """Words and two-word phrases of ``texts`` weighed by TF-IDF, for :meth:`top`.

    Fitted once on every text (so terms common to all of them weigh little), with the
    stop words of every language among ``languages`` removed.
    """

    def __init__(self, texts: Sequence[str], languages: Iterable[str | None]) -> None:
        stop = frozenset().union(*(_stop_words(lang) for lang in set(languages) if lang))
        vectorizer = _vectorizer(
            lowercase=True,
            strip_accents="unicode",
            ngram_range=(1, 2),
            stop_words=sorted(stop) or None,
            sublinear_tf=True,
        )
        try:
            self._matrix = vectorizer.fit_transform(texts) if texts else None
            self._terms = vectorizer.get_feature_names_out() if texts else np.array([])
        except ValueError:  # nothing but stop words
            self._matrix, self._terms = None, np.array([])

    def top(self, selected: Sequence[int], count: int) -> list[str]:
        """The ``count`` terms that weigh most in the ``selected`` texts on average.

        A term must occur in two of them when two or more are selected; a phrase and the
        words inside it count once; ties go to the alphabetically first term.
        """
        if self._matrix is None or not selected:
            return []
        rows = self._matrix[list(selected)]
        weight = np.asarray(rows.mean(axis=0)).ravel()
        present = np.asarray((rows > 0).sum(axis=0)).ravel()
        needed = 2 if len(selected) >= 2 else 1
        candidates = sorted(
            (-float(weight[i]), str(self._terms[i]))
            for i in np.flatnonzero(present >= needed)
            if weight[i] > 0
        )
        chosen: list[str] = []
        for _, term in candidates:
            if any(term in other or other in term for other in chosen):
                continue
            chosen.append(term)
            if len(chosen) == count:
                break
        return chosen
