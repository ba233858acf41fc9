"""Would another reasonable definition of consensus have changed the verdict?

A Delphi study fixes its consensus rule in advance; reporting guidelines (ACCORD,
DELPHISTAR) also ask how the conclusions depend on it. :func:`consensus_sensitivity`
applies the study's rule, the usual published definitions (``PRESETS``) and any
alternatives to the same summary, and names the statements whose verdict flips.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.consensus import PRESETS, ConsensusRule, evaluate
from engine.descriptive import Summary

__all__ = ["Sensitivity", "consensus_sensitivity"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

RuleLike = ConsensusRule | str | Mapping[str, Any]

#: The name of the study's own rule among the rules compared.
STUDY = "study"


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """Verdicts of several consensus rules on one summary (see :func:`consensus_sensitivity`)."""

    names: tuple[str, ...]
    """Rule names: ``"study"`` first when given, then the presets, then alternatives."""
    rules: tuple[ConsensusRule, ...]
    """The rules, in the order of ``names``."""
    verdicts: BoolArray
    """``verdicts[r, s]``: rule ``r`` finds consensus on statement ``s``."""
    robust: BoolArray
    """Every rule gives the same verdict, per statement."""
    share: FloatArray
    """Share of the rules finding consensus, per statement."""
    flips: IntArray
    """Indices of the statements whose verdict depends on the rule."""

    def verdict(self, name: str) -> BoolArray:
        """The verdicts of the rule called ``name``."""
        if name not in self.names:
            raise ValueError(f"no rule named {name!r}; the rules are {', '.join(self.names)}")
        return np.asarray(self.verdicts[self.names.index(name)])


def consensus_sensitivity(
    summary: Summary,
    rule: RuleLike | None = None,
    *,
    alternatives: Mapping[str, RuleLike] | Sequence[RuleLike] = (),
    presets: Sequence[str] | None = None,
) -> Sensitivity:
    """The verdict of each statement under the study's rule, the presets and alternatives.

    Parameters
    ----------
    summary : Summary
        One round on one criterion (:func:`engine.summarize`).
    rule : ConsensusRule, str or dict, optional
        The study's own rule (any form :meth:`ConsensusRule.coerce` takes), named
        ``"study"``.
    alternatives : dict or sequence, optional
        Further rules: name -> rule, or a sequence of rules each named by its
        preset name or expression text.
    presets : sequence of str, optional
        Preset names to include (default: all of ``PRESETS``: core-outcome-70-15,
        iqr-le-1, rand-ucla-appropriate, agreement-75); ``()`` for none.

    Returns
    -------
    Sensitivity
        ``names``, ``rules``, ``verdicts`` (rules x statements), ``robust``,
        ``share`` and ``flips``.

    Notes
    -----
    Each verdict is :func:`engine.evaluate` (a statement without ratings never
    reaches consensus). ``robust[s]`` holds when every rule gives statement ``s``
    the same verdict, consensus or not; ``flips`` lists the others.
    ``share[s]`` is the share of rules finding consensus. The agree and disagree
    shares the presets test use each criterion's own bands, but ``median >= 7`` in
    rand-ucla-appropriate is on the 1-9 scale of the RAND/UCLA method: on another
    scale add ``rand_ucla_class == "appropriate"`` (which rescales) as an
    alternative instead.

    References
    ----------
    Gattrell, W. T., Logullo, P., van Zuuren, E. J., et al. (2024). ACCORD (ACcurate
    COnsensus Reporting Document): a reporting guideline for consensus methods in
    biomedicine developed via a modified Delphi. *PLOS Medicine* 21(1), e1004326.
    Diamond, I. R., Grant, R. C., Feldman, B. M., et al. (2014). Defining consensus:
    a systematic review recommends methodologic criteria for reporting of Delphi
    studies. *Journal of Clinical Epidemiology* 67(4), 401-409.

    Examples
    --------
    >>> from engine import Scale, summarize
    >>> s = summarize([[9, 7, 5], [8, 7, 9], [9, 7, 8], [8, 4, 9], [9, 8, 2]], Scale(1, 9))
    >>> res = consensus_sensitivity(s, "median >= 7 and agree >= 0.8")
    >>> res.names
    ('study', 'core-outcome-70-15', 'iqr-le-1', 'rand-ucla-appropriate', 'agreement-75')
    >>> res.robust.tolist(), res.flips.tolist()
    ([True, False, False], [1, 2])
    >>> res.verdict("iqr-le-1").tolist(), res.verdict("rand-ucla-appropriate").tolist()
    ([True, False, False], [True, True, True])
    >>> res.share.tolist()
    [1.0, 0.8, 0.2]
    """
    if not isinstance(summary, Summary):
        raise ValueError(f"summary must be an engine.Summary, got {type(summary).__name__}")
    named: list[tuple[str, ConsensusRule]] = []
    if rule is not None:
        named.append((STUDY, ConsensusRule.coerce(rule)))
    if isinstance(presets, str):
        raise ValueError(f"presets must be a sequence of preset names, got {presets!r}")
    for name in PRESETS if presets is None else presets:
        named.append((name, ConsensusRule.preset(name)))
    if isinstance(alternatives, Mapping):
        extra = [(str(name), ConsensusRule.coerce(r)) for name, r in alternatives.items()]
    elif isinstance(alternatives, str):
        raise ValueError("alternatives must be a sequence of rules or a name -> rule mapping")
    else:
        extra = [
            (r if isinstance(r, str) else str(ConsensusRule.coerce(r)), ConsensusRule.coerce(r))
            for r in alternatives
        ]
    named.extend(extra)
    if not named:
        raise ValueError("no rule to compare: give the study's rule, presets or alternatives")
    names = [name for name, _ in named]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"rule names must be unique; repeated: {', '.join(repeated)}")
    verdicts = np.array([evaluate(summary, r) for _, r in named], dtype=bool)
    robust = (verdicts == verdicts[:1]).all(axis=0)
    return Sensitivity(
        names=tuple(names),
        rules=tuple(r for _, r in named),
        verdicts=verdicts,
        robust=robust,
        share=verdicts.mean(axis=0),
        flips=np.flatnonzero(~robust).astype(np.int64),
    )
