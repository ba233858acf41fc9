"""Pydantic's validation errors as marked messages, so a study file's problems read whole
in the reader's language.

Pydantic words its errors in English only ("Field required"); :func:`said` says the same
in a message of ours (marked with ``N_``), filled with the values pydantic gives (a limit,
the allowed choices), for the error types a study file can produce. The wording never
depends on a number ("the minimum length is 3", not "at least 3 characters"), so it
needs no plural forms.
"""

from __future__ import annotations

import ast

from pydantic_core import ErrorDetails

from app.errors import N_, Say
from app.studies.schemas import KEY_PATTERN, LANGUAGE_PATTERN, TEXT_PATTERN
from engine.errors import RuleError

__all__ = ["said"]

# What each pattern of the study schemas asks for, in words: a regular expression is no
# explanation for the person who wrote the file.
_PATTERNS: dict[str, Say] = {
    KEY_PATTERN: Say(
        N_(
            "should be a key: lower-case letters (a-z), digits and hyphens, not starting "
            "with a hyphen; the maximum length is %(most)s"
        ),
        {"most": 80},
    ),
    LANGUAGE_PATTERN: Say(N_("should be a language code such as en, fr or pt-BR")),
    TEXT_PATTERN: Say(N_("should not contain a NUL character")),
}

# A value of the wrong type; an empty one (``key:`` with nothing after it) is said as such.
_TYPES: dict[str, str] = {
    "string_type": N_("should be text (in quotes if it looks like a number, a date or true/false)"),
    "int_type": N_("should be a whole number"),
    "float_type": N_("should be a number"),
    "bool_type": N_("should be true or false"),
    "list_type": N_("should be a list"),
    "tuple_type": N_("should be a list"),
    "dict_type": N_("should be a mapping of names to values"),
    "model_type": N_("should be a mapping of fields"),
    "model_attributes_type": N_("should be a mapping of fields"),
    "date_type": N_("should be a date (YYYY-MM-DD)"),
    "datetime_type": N_("should be a date and time (YYYY-MM-DD HH:MM)"),
}

# Errors whose message needs no value.
_PLAIN: dict[str, str] = {
    "missing": N_("required but missing"),
    "extra_forbidden": N_("unknown field: check its spelling, or remove it"),
    "string_unicode": N_("should be text, not binary data"),
    "int_parsing": _TYPES["int_type"],
    "int_parsing_size": N_("too many digits for a number"),
    "int_from_float": N_("should be a whole number, without decimals"),
    "float_parsing": _TYPES["float_type"],
    "bool_parsing": _TYPES["bool_type"],
    # Text that is no date: pydantic tries it as a date and as a date and time.
    "date_parsing": _TYPES["date_type"],
    "date_from_datetime_parsing": _TYPES["date_type"],
    "date_from_datetime_inexact": _TYPES["date_type"],
    "datetime_parsing": _TYPES["datetime_type"],
    "datetime_from_date_parsing": _TYPES["datetime_type"],
}

# Limits on a value: pydantic's ctx key, and our message.
_LIMITS: dict[str, tuple[str, str]] = {
    "greater_than": ("gt", N_("should be greater than %(limit)s")),
    "greater_than_equal": ("ge", N_("should be at least %(limit)s")),
    "less_than": ("lt", N_("should be less than %(limit)s")),
    "less_than_equal": ("le", N_("should be at most %(limit)s")),
}


def said(error: ErrorDetails) -> Say | str:
    """What ``error`` says, as a message of ours when its type is known.

    A :class:`~app.errors.Say` that a schema's validator raised is returned as it is, and
    the engine's :class:`~engine.errors.RuleError` (a consensus rule that does not
    parse) is said with its own marked message; another validator's message and any error
    type not known here keep pydantic's English text.
    """
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "value_error":
        cause = ctx.get("error")
        if isinstance(cause, ValueError) and cause.args and isinstance(cause.args[0], Say):
            return cause.args[0]
        if isinstance(cause, RuleError):
            return Say(cause.template, cause.params)
        return error["msg"].removeprefix("Value error, ")
    if kind in _TYPES:
        if error["input"] is None:
            return Say(N_("empty: a value is needed here"))
        return Say(_TYPES[kind])
    if kind in _PLAIN:
        return Say(_PLAIN[kind])
    if kind in _LIMITS:
        name, message = _LIMITS[kind]
        return Say(message, {"limit": _number(ctx[name])})
    if kind in ("literal_error", "enum"):
        return Say(N_("should be one of %(expected)s"), {"expected": _choices(ctx["expected"])})
    if kind in ("string_too_short", "too_short"):
        if ctx["min_length"] == 1:
            return Say(N_("should not be empty"))
        least = {"min_length": ctx["min_length"]}
        if kind == "string_too_short":
            return Say(N_("too short: the minimum length is %(min_length)s"), least)
        return Say(N_("too few entries: the minimum is %(min_length)s"), least)
    if kind in ("string_too_long", "too_long"):
        most = {"max_length": ctx["max_length"]}
        if kind == "string_too_long":
            return Say(N_("too long: the maximum length is %(max_length)s"), most)
        return Say(N_("too many entries: the maximum is %(max_length)s"), most)
    if kind == "string_pattern_mismatch":
        pattern = ctx["pattern"]
        return _PATTERNS.get(pattern) or Say(
            N_("does not have the expected form %(pattern)s"), {"pattern": pattern}
        )
    return error["msg"]


def _number(value: object) -> object:
    """A limit as the file would write it: ``0``, not the ``0.0`` a float field keeps."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _choices(expected: str) -> str:
    """Pydantic's ``'a', 'b' or 'c'`` as ``'a', 'b', 'c'``: the English "or" is its own.

    The choices are Python literals joined by commas and a last "or", which reads back as
    a Python expression; anything else is shown as pydantic wrote it.
    """
    try:
        tree = ast.parse(expected, mode="eval").body
    except (SyntaxError, ValueError):
        return expected
    choices: list[str] = []
    pending = [tree]
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Tuple):
            pending[:0] = node.elts
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            pending[:0] = node.values
        else:
            try:
                choices.append(repr(ast.literal_eval(node)))
            except ValueError:
                return expected
    return ", ".join(choices)
