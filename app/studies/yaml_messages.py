"""PyYAML's parse errors as marked messages, so a study file that is not valid YAML is
explained in the reader's language.

PyYAML says what went wrong in English, in two parts: the ``problem``, found where the
error's ``problem_mark`` points (the line the message names), and often a ``context``,
what it was reading when it met the problem, begun at ``context_mark``. :func:`said`
recognises each part by its fixed English beginning, keeps what PyYAML quotes in it (a
character, an alias, a tag, what it found instead of what it expected) as a value, and
says it with a message of ours. A problem not known here is shown in PyYAML's English,
as before; so is a context not known here, beside a problem that is.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

import yaml
from yaml.constructor import SafeConstructor

from app.errors import N_, N_plural, Plural, Say

__all__ = ["impossible_date", "line", "said"]

# What PyYAML reports instead of what it expected: the names of its tokens, which the
# person who wrote the file never saw, and the characters that show nothing. Any other
# character or punctuation token ('-', ']', ':') is shown as PyYAML quoted it.
_FOUND: dict[str, str] = {
    "<scalar>": N_("a value"),
    "<block mapping start>": N_("a key"),
    "<block sequence start>": N_("a list entry"),
    "<block end>": N_("the end of an indented block"),
    "<stream end>": N_("the end of the file"),
    "<alias>": N_("an alias (*)"),
    "<anchor>": N_("an anchor (&)"),
    "<tag>": N_("a tag (!)"),
    "\n": N_("the end of the line"),
    "\x00": N_("the end of the file"),  # PyYAML's own end mark
}

# PyYAML's problems, by their English beginning: the message of ours. The names of the
# groups are the values: ``found`` is said in words (above), ``name`` loses its quotes,
# ``count`` is a number, any other group is shown as PyYAML quoted it. The first match
# counts, so the tab comes before any other character.
_PROBLEMS: tuple[tuple[re.Pattern[str], str | Plural], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (
            r"mapping values are not allowed here",
            N_(
                "': ' is not allowed here: put a text that holds ': ' in quotes, or check "
                "the indentation"
            ),
        ),
        (
            r"mapping keys are not allowed here",
            N_("'? ' cannot start a key here: put a text that starts with '?' in quotes"),
        ),
        (
            r"sequence entries are not allowed here",
            N_("a list entry ('- ') is not allowed here: check the indentation"),
        ),
        (r"could not find expected ':'", N_("the ':' after a key is missing")),
        (
            r"found character '\\t' that cannot start any token",
            N_("a tab character: indent with spaces, not tabs"),
        ),
        (
            r"found character (?P<character>.+) that cannot start any token",
            N_("%(character)s cannot start a value: put the value in quotes"),
        ),
        (
            r"found undefined alias (?P<name>.+)",
            N_("the alias *%(name)s refers to no anchor &%(name)s before it"),
        ),
        (
            r"expected <block end>, but found (?P<found>.+)",
            N_("did not expect %(found)s here: is this line indented like the lines above it?"),
        ),
        (
            r"expected ',' or '\]', but got (?P<found>.+)",
            N_("expected ',' or ']', but found %(found)s: is the closing ']' missing?"),
        ),
        (
            r"expected ',' or '}', but got (?P<found>.+)",
            N_("expected ',' or '}', but found %(found)s: is the closing '}' missing?"),
        ),
        (
            r"expected the node content, but found (?P<found>.+)",
            N_("expected a value, but found %(found)s"),
        ),
        (
            r"expected '<document start>', but found (?P<found>.+)",
            N_("expected '---' to start another document, but found %(found)s"),
        ),
        (
            r"found unexpected end of stream",
            N_("the file ends before the closing quotation mark"),
        ),
        (
            r"found unexpected document separator",
            N_("a line '---' or '...' before the closing quotation mark"),
        ),
        (
            r"found unknown escape character (?P<character>.+)",
            N_(
                "%(character)s after a backslash is not an escape: inside double quotes, "
                "write a backslash twice, or use single quotes"
            ),
        ),
        (
            r"expected escape sequence of (?P<count>\d+) hexadecimal numbers, but found "
            r"(?P<found>.+)",
            N_plural(
                "expected %(count)s hexadecimal digit in the escape sequence, but found "
                "%(found)s: inside double quotes, write a backslash twice, or use single quotes",
                "expected %(count)s hexadecimal digits in the escape sequence, but found "
                "%(found)s: inside double quotes, write a backslash twice, or use single quotes",
            ),
        ),
        (
            r"expected indentation indicator in the range 1-9, but found 0",
            N_("the indentation after | or > is a digit from 1 to 9, not 0"),
        ),
        (
            r"expected chomping or indentation indicators, but found (?P<found>.+)",
            N_("after | or > only +, - or a digit from 1 to 9 may follow, not %(found)s"),
        ),
        (
            r"expected a comment or a line break, but found (?P<found>.+)",
            N_("expected a comment or the end of the line, but found %(found)s"),
        ),
        (
            r"expected alphabetic or numeric character, but found (?P<found>.+)",
            N_("expected a letter or a digit, but found %(found)s"),
        ),
        (
            r"found undefined tag handle (?P<tag>.+)",
            N_("the tag %(tag)s is not declared: put the value in quotes"),
        ),
        (
            r"could not determine a constructor for the tag (?P<tag>.+)",
            N_(
                "the tag %(tag)s is not supported: remove it, or put the value in quotes if "
                "it starts with '!'"
            ),
        ),
        (
            r"found unhashable key",
            N_("a key is a list or a mapping here: a key must be a single value"),
        ),
        (
            r"expected a mapping (?:or list of mappings )?for merging",
            N_("the value of '<<' must be a mapping (such as *name) or a list of them"),
        ),
    )
)

# What PyYAML was reading, by its English beginning: where that began, in our words (the
# line of ``context_mark``). ``None``: the context adds nothing to the problem.
_CONTEXTS: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (r"while scanning for the next token", None),
        (r"while scanning a simple key", N_("in the key on line %(line)s")),
        (
            r"while scanning a (?:double-)?quoted scalar",
            N_("in the quoted text begun on line %(line)s"),
        ),
        (r"while scanning a block scalar", N_("in the text after | or > on line %(line)s")),
        (r"while scanning an anchor", N_("in the anchor on line %(line)s")),
        (r"while scanning an alias", N_("in the alias on line %(line)s")),
        (r"while (?:scanning|parsing) a tag", N_("in the tag on line %(line)s")),
        (r"while (?:scanning|parsing) a directive", N_("in the directive on line %(line)s")),
        (
            r"while (?:parsing a block|constructing a) mapping",
            N_("in the mapping begun on line %(line)s"),
        ),
        (r"while parsing a block collection", N_("in the list begun on line %(line)s")),
        (
            r"while parsing a flow sequence",
            N_("in the list in brackets [ ] begun on line %(line)s"),
        ),
        (
            r"while parsing a flow mapping",
            N_("in the mapping in braces { } begun on line %(line)s"),
        ),
        (r"while parsing a (?:block |flow )?node", N_("in the value begun on line %(line)s")),
    )
)

# Contexts that make one sentence with their problem: the message, for both parts.
_WHOLE: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = (
    (
        re.compile(r"expected a single document in the stream"),
        re.compile(r"but found another document"),
        N_("a second document begins here ('---'): a study file holds only one"),
    ),
    (
        re.compile(r"found duplicate anchor (?P<name>.+); first occurrence"),
        re.compile(r"second occurrence"),
        N_("the anchor &%(name)s is defined again here (first on line %(line)s)"),
    ),
)


def said(exc: yaml.YAMLError) -> Say | str:
    """What ``exc`` says, in a message of ours where PyYAML's words are known.

    A known problem is said with its context, in brackets; a context not known here
    keeps PyYAML's English. A problem not known here (or an error that has none) is
    said in PyYAML's English whole, as PyYAML wrote it.
    """
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        return Say(
            N_("the character U+%(code)s is not allowed in a YAML file"),
            {"code": f"{exc.character:04X}"},
        )
    context: str | None = getattr(exc, "context", None)
    problem: str | None = getattr(exc, "problem", None)
    context_line = _line_of_mark(getattr(exc, "context_mark", None))
    if context and problem:
        for first, second, message in _WHOLE:
            found = first.match(context)
            if found and second.match(problem):
                return Say(message, {**_values(found.groupdict()), "line": context_line})
    ours = _problem(problem) if problem else None
    if ours is None:
        return " ".join(part for part in (context, problem) if part) or str(exc)
    where = _context(context, context_line) if context else None
    return (
        Say(N_("%(problem)s (%(context)s)"), {"problem": ours, "context": where}) if where else ours
    )


def line(exc: yaml.YAMLError, text: str) -> int | None:
    """The 1-based line of the problem in ``text``, if PyYAML tells where it is."""
    mark = _line_of_mark(getattr(exc, "problem_mark", None))
    if mark is not None:
        return mark
    if isinstance(exc, yaml.reader.ReaderError) and 0 <= exc.position <= len(text):
        return text.count("\n", 0, exc.position) + 1
    return None


def impossible_date(node: yaml.Node) -> tuple[int, Say] | None:
    """The line and message of the first value of ``node`` that YAML reads as a date or
    a time that does not exist (``2027-02-30``): PyYAML raises Python's own ``ValueError``
    for it, with no line.
    """
    constructor = SafeConstructor()
    seen: set[int] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if id(current) in seen:  # an alias is the node of its anchor, met again
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            pending.extend(part for pair in reversed(current.value) for part in reversed(pair))
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(reversed(current.value))
        elif isinstance(current, yaml.ScalarNode) and current.tag == "tag:yaml.org,2002:timestamp":
            try:
                constructor.construct_yaml_timestamp(current)
            except ValueError:
                message = N_(
                    "%(value)s is not a date or time that exists: correct it, or put it in "
                    "quotes if it is text"
                )
                return current.start_mark.line + 1, Say(message, {"value": current.value})
    return None


def _problem(problem: str) -> Say | None:
    for pattern, message in _PROBLEMS:
        found = pattern.match(problem)
        if found:
            return Say(message, _values(found.groupdict()))
    return None


def _context(context: str, line: int | None) -> Say | str | None:
    """The context in our words; ``None`` if it adds nothing, PyYAML's if not known here."""
    for pattern, message in _CONTEXTS:
        if pattern.match(context):
            if message is None:
                return None
            return Say(message, {"line": line}) if line else context
    return context


def _values(groups: Mapping[str, str | None]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, text in groups.items():
        if text is None:
            continue
        if name == "count":
            values[name] = int(text)
        elif name == "name":
            values[name] = _unquoted(text)
        elif name == "found":
            token = _unquoted(text)
            values[name] = Say(_FOUND[token]) if token in _FOUND else text
        else:
            values[name] = text
    return values


def _unquoted(text: str) -> str:
    """A value PyYAML wrote with ``%r`` (``'name'``), without the quotes."""
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        return text
    return value if isinstance(value, str) else text


def _line_of_mark(mark: object) -> int | None:
    return mark.line + 1 if isinstance(mark, yaml.Mark) else None
