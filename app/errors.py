"""Domain errors that services raise and the web layer maps to 4xx responses.

A message is written in English with ``%(name)s`` placeholders and marked with ``N_``
where it is raised, so the catalogs hold it; :class:`Say` keeps the English text (for
the API, the command line and the logs) together with what a page needs to show it in
its reader's language::

    raise Conflict(N_("Round %(number)s is already closed."), number=number)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs (as :func:`app.i18n.N_`, without importing the
    catalogs, so a command-line service stays light); it is translated where it is shown."""
    return message


class Say(str):
    """An English message that can also be shown in the language of the page.

    It is the English text itself (``str``), so callers that log, print or return it
    need nothing new; :meth:`text` translates the marked original and fills its values.
    """

    template: str
    params: Mapping[str, object]

    def __new__(cls, template: str, params: Mapping[str, object] | None = None) -> Say:
        values = dict(params or {})
        self = super().__new__(cls, template % values if values else template)
        self.template = template
        self.params = values
        return self

    def text(self) -> str:
        """The message in the current language (see :func:`app.i18n.use_language`); a value
        that is itself a :class:`Say` (a label, a reason) is translated too."""
        from app import i18n  # the catalogs load only where a page shows an error

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

    def __init__(self, message: str, /, **say: object) -> None:
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
        self, message: str, /, problems: Sequence[str] | None = None, **say: object
    ) -> None:
        super().__init__(message, **say)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  - {p}" for p in self.problems)])
