"""Why an imported file cannot be read, in messages of ours, so it is said in the reader's
language.

Python says it in English: the operating system's reason a file does not open, the
codec's for bytes that are not UTF-8, the csv module's for a line it will not read. All
three imports (study, panel, round) read a file and two of them CSV; the messages live
here, beside those domains, so that none of them imports another for its words.
"""

from __future__ import annotations

import csv
import re

from app.errors import N_, Invalid, N_plural, Say

__all__ = ["cannot_read", "csv_problem"]

# The operating system's common refusals; any other keeps its own (English) reason.
_REFUSALS: tuple[tuple[type[OSError], str], ...] = (
    (FileNotFoundError, N_("there is no such file")),
    (IsADirectoryError, N_("it is a folder, not a file")),
    (PermissionError, N_("permission denied")),
)

_FIELD_LIMIT = re.compile(r"field larger than field limit \((?P<most>\d+)\)")


def cannot_read(file: object, exc: OSError | UnicodeDecodeError) -> Invalid:
    """The error to raise for ``file``, which ``exc`` kept from being read as UTF-8 text."""
    if isinstance(exc, UnicodeDecodeError):
        return Invalid(
            N_("%(file)s: not UTF-8 text; save the file as UTF-8 and try again"), file=file
        )
    refusal = next((message for kind, message in _REFUSALS if isinstance(exc, kind)), None)
    return Invalid(
        N_("%(file)s: cannot read the file (%(problem)s)"),
        file=file,
        problem=Say(refusal) if refusal else exc.strerror or str(exc),
    )


def csv_problem(exc: csv.Error) -> Say | str:
    """What the csv module's ``exc`` says, in a message of ours where its words are known,
    else the csv module's English.

    A NUL character is no error of the csv module since Python 3.11; the imports refuse
    it themselves.
    """
    text = str(exc)
    limit = _FIELD_LIMIT.match(text)
    if limit:
        return Say(
            N_plural(
                "a field is longer than %(most)s character: is a closing quotation mark missing?",
                "a field is longer than %(most)s characters: is a closing quotation mark missing?",
                "most",
            ),
            {"most": int(limit["most"])},
        )
    return text
