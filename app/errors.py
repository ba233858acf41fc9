"""Domain errors that services raise and the web layer maps to 4xx responses.

A message is written in English with ``%(name)s`` placeholders and marked with ``N_``
where it is raised, so the catalogs hold it; :class:`Say` keeps the English text (for
the API, the command line and the logs) together with what a page needs to show it in
its reader's language::

    raise Conflict(N_("Round %(number)s is already closed."), number=number)

A message whose words follow a number is marked with ``N_plural`` and carries the number
in its values; each language then shows the form its grammar needs for that number
(Russian has three, Arabic six)::

    raise Conflict(
        N_plural("%(count)s statement lacks a text", "%(count)s statements lack a text"),
        count=len(missing),
    )
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs (as :func:`app.i18n.N_`, without importing the
    catalogs, so a command-line service stays light); it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Plural:
    """A message in its two English forms; the value named ``count`` picks the form."""

    singular: str
    plural: str
    count: str = "count"

    def number(self, values: Mapping[str, object]) -> int:
        """The whole number in ``values`` that picks the form."""
        value = values.get(self.count)
        if not isinstance(value, int):
            raise TypeError(f"the message {self.singular!r} needs the number {self.count!r}")
        return value

    def english(self, values: Mapping[str, object]) -> str:
        """The English form for the number in ``values``, filled."""
        return (self.singular if self.number(values) == 1 else self.plural) % values


def N_plural(singular: str, plural: str, count: str = "count") -> Plural:
    """Mark a message whose words depend on the number in its value ``count`` (pybabel
    extracts both forms: see the ``keywords`` of app/translations/babel.cfg)."""
    return Plural(singular, plural, count)


class Say(str):
    """An English message that can also be shown in the language of the page.

    It is the English text itself (``str``), so callers that log, print or return it
    need nothing new; :meth:`text` translates the marked original and fills its values.
    A :class:`Plural` template is shown in the form its ``count`` value asks for.
    """

    template: str | Plural
    params: Mapping[str, object]

    def __new__(cls, template: str | Plural, params: Mapping[str, object] | None = None) -> Say:
        values = dict(params or {})
        if isinstance(template, Plural):
            english = template.english(values)
        else:
            english = template % values if values else template
        self = super().__new__(cls, english)
        self.template = template
        self.params = values
        return self

    def text(self) -> str:
        """The message in the current language (see :func:`app.i18n.use_language`); a value
        that is itself a :class:`Say` (a label, a reason) is translated too."""
        from app import i18n  # the catalogs load only where a page shows an error

        if isinstance(self.template, Plural):
            message = self.template
            n = message.number(self.params)
            return i18n.translate_plural(message.singular, message.plural, n, self.params)
        return i18n.translate(self.template, self.params or None)


def shown(message: object) -> str:
    """``message`` as a page shows it: a :class:`Say` translated, any other text as is."""
    return message.text() if isinstance(message, Say) else str(message)


class Joined(Say):
    """Messages listed in one value, each translated when shown (a list that a sentence
    quotes whole: the problems of a form, the rounds of a file)."""

    parts: tuple[str, ...]
    separator: str

    def __new__(cls, parts: Sequence[str], separator: str = "; ") -> Joined:
        self = str.__new__(cls, separator.join(parts))
        self.template = str(self)
        self.params = {}
        self.parts = tuple(parts)
        self.separator = separator
        return self

    def text(self) -> str:
        return self.separator.join(shown(part) for part in self.parts)


class DomainError(Exception):
    """Base of every error a user can cause; ``status`` is the HTTP status it maps to.

    ``message`` is marked with ``N_``; ``say`` fills its placeholders.
    """

    status = 400

    def __init__(self, message: str | Plural, /, **say: object) -> None:
        text = message if isinstance(message, Say) else Say(message, say)
        super().__init__(text)
        self.message: Say = text

    def text(self) -> str:
        """The message in the current language."""
        return self.message.text()


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """Bad input; ``problems`` lists each one as a human-readable line (text or :class:`Say`)."""

    status = 422

    def __init__(
        self, message: str | Plural, /, problems: Sequence[str] | None = None, **say: object
    ) -> None:
        super().__init__(message, **say)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  - {p}" for p in self.problems)])
