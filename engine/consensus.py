"""Declarative consensus rules over the fields of a :class:`~engine.descriptive.Summary`.

A study states its consensus definition as a small expression such as
``"agree >= 0.70 and disagree < 0.15"``. The rule parses into a tree of
comparisons joined by ``and``/``or``, serialises to plain dicts (so a study file
can hold it) and evaluates per statement on a summary.

Grammar (``and`` binds tighter than ``or``; parentheses group)::

    rule       := conjunction ("or" conjunction)*
    conjunction:= term ("and" term)*
    term       := "(" rule ")" | field op value
    op         := ">=" | ">" | "<=" | "<" | "=="
    value      := number | number "%" | quoted string (rand_ucla_class only)

Field names are those of :meth:`Summary.metric_names` (case-insensitive).

A rule that cannot be read raises :class:`~engine.errors.RuleError`, a ``ValueError``
that also keeps its message's template and values, for an application to show it in its
reader's language.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.descriptive import Summary
from engine.errors import N_, RuleError

__all__ = ["PRESETS", "AllOf", "AnyOf", "Comparison", "ConsensusRule", "evaluate"]

BoolArray = npt.NDArray[np.bool_]

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
    "==": np.equal,
}
_TEXT_FIELDS = frozenset({"rand_ucla_class"})

#: The consensus definitions most often used in published Delphi studies.
PRESETS: dict[str, tuple[str, str]] = {
    "core-outcome-70-15": (
        "agree >= 0.7 and disagree < 0.15",
        "COMET/GRADE core outcome set: at least 70% rate in the agree band (7-9) and "
        "fewer than 15% in the disagree band (1-3)",
    ),
    "iqr-le-1": ("iqr <= 1", "interquartile range of at most 1 scale point"),
    "rand-ucla-appropriate": (
        "median >= 7 and di <= 1",
        "RAND/UCLA appropriate without disagreement: median 7-9 and IPR <= IPRAS",
    ),
    "agreement-75": ("agree >= 0.75", "at least 75% rate in the agree band"),
}


@dataclass(frozen=True)
class Comparison:
    """``field op value``, e.g. ``median >= 7``."""

    field: str
    op: str
    value: int | float | str

    def __str__(self) -> str:
        value = json.dumps(self.value) if isinstance(self.value, str) else repr(self.value)
        return f"{self.field} {self.op} {value}"


@dataclass(frozen=True)
class AllOf:
    """All of the terms hold (``and``)."""

    terms: tuple[Node, ...]

    def __str__(self) -> str:
        return " and ".join(f"({t})" if isinstance(t, AnyOf) else str(t) for t in self.terms)


@dataclass(frozen=True)
class AnyOf:
    """At least one of the terms holds (``or``)."""

    terms: tuple[Node, ...]

    def __str__(self) -> str:
        return " or ".join(str(t) for t in self.terms)


Node = Comparison | AllOf | AnyOf


def _field_names() -> tuple[str, ...]:
    return Summary.metric_names()


def _comparison(field: Any, op: Any, value: Any) -> Comparison:
    if not isinstance(field, str) or field.lower() not in _field_names():
        raise RuleError(
            N_("unknown field %(field)r in consensus rule; known fields: %(known)s"),
            field=field,
            known=", ".join(_field_names()),
        )
    name = field.lower()
    if op not in _OPERATORS:
        raise RuleError(
            N_("unknown operator %(op)r in consensus rule; use one of >=, >, <=, <, =="), op=op
        )
    if name in _TEXT_FIELDS:
        if not isinstance(value, str) or op != "==":
            raise RuleError(
                N_(
                    "%(field)s can only be compared with == to a quoted class name, e.g. "
                    '%(field)s == "appropriate"'
                ),
                field=name,
            )
        return Comparison(name, op, value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(
            N_("the value compared with %(field)s must be a number, got %(value)r"),
            field=name,
            value=value,
        )
    if not math.isfinite(value):
        raise RuleError(
            N_("the value compared with %(field)s must be finite, got %(value)r"),
            field=name,
            value=value,
        )
    return Comparison(name, op, value)


def _combine(kind: type[AllOf] | type[AnyOf], terms: list[Node]) -> Node:
    flat: list[Node] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, kind) else (term,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?%?)
      | (?P<op>>=|<=|==|>|<)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<text>"[^"]*"|'[^']*')
      | (?P<paren>[()])
    )""",
    re.VERBOSE,
)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _TOKEN.match(text, position)
            if match is None or match.lastgroup is None:
                raise RuleError(
                    N_("cannot read consensus rule %(rule)r at %(rest)r"),
                    rule=text,
                    rest=text[position:],
                )
            self.tokens.append((match.lastgroup, match.group(match.lastgroup), match.start()))
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise RuleError(N_("consensus rule %(rule)r ends too early"), rule=self.text)
        self.index += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "name" and token[1].lower() == word:
            self.index += 1
            return True
        return False

    def rule(self) -> Node:
        terms = [self.conjunction()]
        while self.keyword("or"):
            terms.append(self.conjunction())
        return _combine(AnyOf, terms)

    def conjunction(self) -> Node:
        terms = [self.term()]
        while self.keyword("and"):
            terms.append(self.term())
        return _combine(AllOf, terms)

    def term(self) -> Node:
        kind, text, at = self.take()
        if kind == "paren" and text == "(":
            inner = self.rule()
            closing = self.peek()
            self.index += 1
            if closing is None or closing[:2] != ("paren", ")"):
                raise RuleError(N_("missing ')' in consensus rule %(rule)r"), rule=self.text)
            return inner
        if kind != "name" or text.lower() in ("and", "or"):
            raise RuleError(
                N_("expected a field name at position %(position)s of consensus rule %(rule)r"),
                position=at,
                rule=self.text,
            )
        op_kind, op, op_at = self.take()
        if op_kind != "op":
            raise RuleError(
                N_(
                    "expected a comparison (>=, >, <=, <, ==) after %(field)r at position "
                    "%(position)s of consensus rule %(rule)r"
                ),
                field=text,
                position=op_at,
                rule=self.text,
            )
        value_kind, raw, value_at = self.take()
        value: int | float | str
        if value_kind == "number":
            value = _number(raw)
        elif value_kind == "text":
            value = raw[1:-1]
        else:
            raise RuleError(
                N_(
                    "expected a number after %(field)s %(op)s at position %(position)s of "
                    "consensus rule %(rule)r"
                ),
                field=text,
                op=op,
                position=value_at,
                rule=self.text,
            )
        return _comparison(text, op, value)

    def parse(self) -> Node:
        if not self.tokens:
            raise RuleError(N_("consensus rule is empty"))
        node = self.rule()
        extra = self.peek()
        if extra is not None:
            raise RuleError(
                N_("unexpected %(token)r at position %(position)s of consensus rule %(rule)r"),
                token=extra[1],
                position=extra[2],
                rule=self.text,
            )
        return node


def _number(raw: str) -> int | float:
    if raw.endswith("%"):
        return float(raw[:-1]) / 100.0
    if re.fullmatch(r"[-+]?\d+", raw):
        return int(raw)
    return float(raw)


def _node_from_dict(data: Any) -> Node:
    if not isinstance(data, Mapping):
        raise RuleError(N_("a consensus rule node must be a mapping, got %(node)r"), node=data)
    keys = set(data)
    if keys == {"field", "op", "value"}:
        return _comparison(data["field"], data["op"], data["value"])
    for key, kind in (("all", AllOf), ("any", AnyOf)):
        if keys == {key}:
            terms = data[key]
            if not isinstance(terms, list | tuple) or not terms:
                raise RuleError(N_("%(key)r of a consensus rule must be a non-empty list"), key=key)
            return _combine(kind, [_node_from_dict(t) for t in terms])
    raise RuleError(
        N_(
            "a consensus rule node is {'field', 'op', 'value'}, {'all': [...]} or "
            "{'any': [...]}; got keys %(keys)s"
        ),
        keys=sorted(keys),
    )


def _node_to_dict(node: Node) -> dict[str, Any]:
    if isinstance(node, Comparison):
        return {"field": node.field, "op": node.op, "value": node.value}
    key = "all" if isinstance(node, AllOf) else "any"
    return {key: [_node_to_dict(t) for t in node.terms]}


def _comparisons(node: Node) -> list[Comparison]:
    if isinstance(node, Comparison):
        return [node]
    return [c for t in node.terms for c in _comparisons(t)]


@dataclass(frozen=True)
class ConsensusRule:
    """A consensus definition over the per-statement fields of a summary.

    Build one with :meth:`parse`, :meth:`from_dict` or :meth:`preset`; apply it
    with :func:`evaluate`.

    Examples
    --------
    >>> rule = ConsensusRule.parse("median >= 7 and agree >= 70% and disagree < 0.15")
    >>> str(rule)
    'median >= 7 and agree >= 0.7 and disagree < 0.15'
    >>> ConsensusRule.from_dict(rule.to_dict()) == rule
    True
    >>> rule.to_dict()["all"][0]
    {'field': 'median', 'op': '>=', 'value': 7}
    """

    root: Node

    @classmethod
    def parse(cls, text: str) -> ConsensusRule:
        """Read a rule such as ``"iqr <= 1"`` or ``"di <= 1 and median >= 7"``.

        Parameters
        ----------
        text : str
            Comparisons ``field op value`` joined by ``and`` / ``or`` (``and``
            binds tighter), with optional parentheses. A number may carry ``%``
            (``70%`` is 0.7).

        Returns
        -------
        ConsensusRule

        Raises
        ------
        RuleError
            On a syntax error or an unknown field (the message names it).
        """
        if not isinstance(text, str):
            raise RuleError(N_("consensus rule must be a string, got %(rule)r"), rule=text)
        return cls(_Parser(text).parse())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConsensusRule:
        """Rebuild a rule from :meth:`to_dict` output, or from ``{"expression": text}``."""
        if isinstance(data, Mapping) and set(data) == {"expression"}:
            return cls.parse(data["expression"])
        return cls(_node_from_dict(data))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data: ``{"field", "op", "value"}`` leaves, ``all``/``any`` lists."""
        return _node_to_dict(self.root)

    def fields(self) -> tuple[str, ...]:
        """The summary fields the rule reads, in order of appearance, without repeats."""
        return tuple(dict.fromkeys(c.field for c in _comparisons(self.root)))

    def __str__(self) -> str:
        return str(self.root)

    @classmethod
    def preset(cls, name: str) -> ConsensusRule:
        """One of the named definitions in ``PRESETS``.

        ``core-outcome-70-15`` (``agree >= 0.7 and disagree < 0.15``, the
        COMET/GRADE core outcome set rule with bands 7-9 and 1-3), ``iqr-le-1``
        (``iqr <= 1``), ``rand-ucla-appropriate`` (``median >= 7 and di <= 1``:
        appropriate without disagreement, Fitch et al. 2001) and ``agreement-75``
        (``agree >= 0.75``).

        Examples
        --------
        >>> str(ConsensusRule.preset("iqr-le-1"))
        'iqr <= 1'
        """
        if name not in PRESETS:
            raise RuleError(
                N_("unknown preset %(name)r; choose one of %(presets)s"),
                name=name,
                presets=", ".join(PRESETS),
            )
        return cls.parse(PRESETS[name][0])

    @classmethod
    def presets(cls) -> dict[str, ConsensusRule]:
        """All presets, name -> rule."""
        return {name: cls.preset(name) for name in PRESETS}

    @classmethod
    def coerce(cls, rule: ConsensusRule | str | Mapping[str, Any]) -> ConsensusRule:
        """A rule from any of the forms a study file or a caller may give.

        Parameters
        ----------
        rule : ConsensusRule, str or dict
            A rule; a preset name (``"iqr-le-1"``) or an expression
            (``"iqr <= 1"``); ``{"preset": name}``, ``{"expression": text}`` or the
            :meth:`to_dict` form.

        Returns
        -------
        ConsensusRule

        Raises
        ------
        RuleError
            For anything that is not a rule, an unknown preset or a rule that does not
            parse.

        Notes
        -----
        A preset name can never be read as an expression (names hold ``-``, which
        the grammar does not allow after a field name), so a string is looked up
        among the presets first.

        Examples
        --------
        >>> ConsensusRule.coerce("agreement-75") == ConsensusRule.coerce({"preset": "agreement-75"})
        True
        >>> str(ConsensusRule.coerce("median >= 8"))
        'median >= 8'
        """
        if isinstance(rule, ConsensusRule):
            return rule
        if isinstance(rule, str):
            return cls.preset(rule) if rule in PRESETS else cls.parse(rule)
        if isinstance(rule, Mapping):
            if set(rule) == {"preset"}:
                return cls.preset(rule["preset"])
            return cls.from_dict(rule)
        raise RuleError(
            N_("rule must be a ConsensusRule, a string or a dict, got %(rule)r"), rule=rule
        )


def _evaluate(node: Node, summary: Summary) -> BoolArray:
    if isinstance(node, Comparison):
        values = getattr(summary, node.field)
        return np.asarray(_OPERATORS[node.op](values, node.value), dtype=bool)
    parts = [_evaluate(t, summary) for t in node.terms]
    combine = np.logical_and if isinstance(node, AllOf) else np.logical_or
    return np.asarray(combine.reduce(parts, axis=0), dtype=bool)


def evaluate(
    summary: Summary, rule: ConsensusRule | str | Mapping[str, Any]
) -> npt.NDArray[np.bool_]:
    """Whether each statement of ``summary`` meets ``rule``.

    Parameters
    ----------
    summary : Summary
        Output of :func:`engine.summarize`.
    rule : ConsensusRule, str or dict
        The rule, a preset name, or its text / dict form (see
        :meth:`ConsensusRule.coerce`).

    Returns
    -------
    numpy.ndarray of bool, shape (statements,)

    Notes
    -----
    Comparisons with NaN are false, and a statement without ratings (``n == 0``)
    never reaches consensus whatever the rule says.

    References
    ----------
    Diamond, I. R., Grant, R. C., Feldman, B. M., et al. (2014). Defining consensus:
    a systematic review recommends methodologic criteria for reporting of Delphi
    studies. *Journal of Clinical Epidemiology* 67(4), 401-409.
    Williamson, P. R., Altman, D. G., Bagley, H., et al. (2017). The COMET Handbook:
    version 1.0. *Trials* 18(Suppl 3), 280.
    Fitch, K., et al. (2001). *The RAND/UCLA Appropriateness Method User's Manual*.
    RAND, MR-1269-DG-XII/RE.

    Examples
    --------
    >>> from engine import Scale, summarize
    >>> s = summarize([[9, 1], [8, 5], [7, 9], [8, 2]], Scale(1, 9))
    >>> evaluate(s, "agree >= 0.75 and iqr <= 2").tolist()
    [True, False]
    """
    if not isinstance(summary, Summary):
        raise ValueError(f"summary must be an engine.Summary, got {type(summary).__name__}")
    rule = ConsensusRule.coerce(rule)
    return _evaluate(rule.root, summary) & (summary.n > 0)
