"""French typography in the French catalog: the no-break spaces of French punctuation.

French puts a no-break space (U+00A0) before a colon and inside guillemets (« … »), and a
narrow no-break space (U+202F) before a semicolon, a question mark and an exclamation
mark, so a line never starts with the mark or leaves a guillemet alone. Translators type
ordinary spaces; this module puts the right space in every ``msgstr`` of a catalog.

Left as they are: markup and its attributes (``<...>``), ``<code>`` spans, HTML entities
(``&lt;``), placeholders (``%(name)s``, ``{name}``), URLs, marks inside a token
(``10:30``, ``%(file)s:%(line)s``, ``?page=2``), ``::``, a mark that follows no word, and
literals the message id quotes as typed input (``kind: rank`` stays as the study file
spells it when the ``msgid`` has it too).

Usage, from the repository root::

    python -m tools.french_typography          # rewrite the French catalog
    python -m tools.french_typography --check  # list the messages it would change

The catalog is read and written with Babel at the width the project's ``pybabel update``
uses (76), so only the changed ``msgstr`` lines differ.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

__all__ = ["CATALOG", "NBSP", "NNBSP", "check", "fix", "fix_catalog", "main", "typeset"]

NBSP = "\u00a0"
NNBSP = "\u202f"
CATALOG = Path(__file__).resolve().parents[1] / "app/translations/fr/LC_MESSAGES/messages.po"
WIDTH = 76

_SPACES = f" {NBSP}{NNBSP}"
# Spans copied as they are: code, tags, entities, placeholders, URLs.
_KEPT = re.compile(
    r"<code\b[^>]*>.*?</code>"
    r"|</?[A-Za-z][^<>]*>"
    r"|&#?\w+;"
    r"|%\(\w+\)[a-z]|%[a-z%]"
    r"|\{[^{}\s]*\}"
    r"|\b(?:https?|ftp)://[^\s<>\"']+|\bmailto:[^\s<>\"']+",
    re.DOTALL,
)
# A mark or a guillemet with the space typed next to it, if any.
_MARK = re.compile(rf"(?P<space>[{_SPACES}]?)(?P<mark>[:;?!])")
_OPENING = re.compile(rf"«(?P<space>[{_SPACES}]?)")
_CLOSING = re.compile(rf"(?P<space>[{_SPACES}]?)»")
# What may follow a mark: the end, a space, closing punctuation or a tag.
_AFTER = re.compile(r"$|[\s)\]»\"’'.,;:?!<]")
_TOKEN_BEFORE = re.compile(r"\w[\w.\-]*$")
_TOKEN_AFTER = re.compile(r"\w[\w.\-]*")
# After a quotation mark a mark is quoted input ("the ':' after a key"), not prose.
_NO_WORD = frozenset(":;?!«([{'\"‘“")

_Edit = tuple[int, int, str]


def _kept(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _KEPT.finditer(text)]


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _quoted_literal(text: str, start: int, end: int, source: str) -> bool:
    """Whether the words around the mark at ``text[start:end]``, spaced as typed, are a
    literal the ``msgid`` quotes (``kind: rank``): input to copy, not French prose."""
    before = _TOKEN_BEFORE.search(text[:start])
    gap = end + len(text[end:]) - len(text[end:].lstrip(" "))
    after = _TOKEN_AFTER.match(text, gap)
    if before is None or after is None:
        return False
    return text[before.start() : after.end()] in source


def _mark_edits(text: str, source: str, spans: list[tuple[int, int]]) -> list[_Edit]:
    edits = []
    for match in _MARK.finditer(text):
        start, end, mark = match.start(), match.end(), match["mark"]
        previous = text[start - 1 : start]
        following = text[end : end + 1]
        if _inside(match.start("mark"), spans) or not previous or previous.isspace():
            continue
        # No word before it ("::", "?!", "(:", "':'"), or a token such as 10:30 or ?page=2.
        if previous in _NO_WORD or not _AFTER.match(following) or mark + following == "::":
            continue
        if _quoted_literal(text, start, end, source):
            continue
        edits.append((start, end, (NBSP if mark == ":" else NNBSP) + mark))
    return edits


def _guillemet_edits(text: str, spans: list[tuple[int, int]]) -> list[_Edit]:
    edits = []
    for match in _OPENING.finditer(text):
        following = text[match.end() : match.end() + 1]
        if not _inside(match.start(), spans) and following and not following.isspace():
            edits.append((match.start(), match.end(), "«" + NBSP))
    for match in _CLOSING.finditer(text):
        previous = text[match.start() - 1 : match.start()]
        if not _inside(match.end() - 1, spans) and previous and not previous.isspace():
            edits.append((match.start(), match.end(), NBSP + "»"))
    return edits


def typeset(text: str, source: str = "") -> str:
    """``text`` with French no-break spaces before ``: ; ? !`` and inside ``« »``.

    ``source`` is the message id: a ``word: word`` literal that it contains as typed is
    kept. A no-break space of the wrong width is replaced by the right one.

    >>> typeset("Médiane : %(median)s ; pourquoi ?") == (
    ...     f"Médiane{NBSP}: %(median)s{NNBSP}; pourquoi{NNBSP}?"
    ... )
    True
    >>> typeset("à 10:30, voir <a href='https://x.org/?a=1'>ici</a>")
    "à 10:30, voir <a href='https://x.org/?a=1'>ici</a>"
    """
    spans = _kept(text)
    pieces = []
    copied = 0
    for start, end, replacement in sorted(
        _mark_edits(text, source, spans) + _guillemet_edits(text, spans)
    ):
        pieces += [text[copied:start], replacement]
        copied = end
    return "".join([*pieces, text[copied:]])


def _forms(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def fix_catalog(catalog: Catalog) -> list[str]:
    """Typeset every ``msgstr`` of ``catalog`` in place; return the ids of the messages
    that changed (the singular id of a plural message). Ids, comments and locations are
    untouched."""
    changed = []
    for message in catalog:
        if not message.id:
            continue  # the header
        source = " ".join(_forms(message.id))
        old = _forms(message.string)
        new = [typeset(text, source) for text in old]
        if new != old:
            message.string = new[0] if isinstance(message.string, str) else tuple(new)
            changed.append(_forms(message.id)[0])
    return changed


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def check(path: Path = CATALOG) -> list[str]:
    """The ids of the messages in the catalog at ``path`` whose French spacing is wrong."""
    return fix_catalog(_read(path))


def fix(path: Path = CATALOG) -> list[str]:
    """Rewrite the catalog at ``path`` with French spacing; return the changed ids."""
    catalog = _read(path)
    changed = fix_catalog(catalog)
    if changed:
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=WIDTH)
        path.write_bytes(buffer.getvalue())
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: rewrite the catalog, or with ``--check`` list what is wrong (exit 1)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalog", nargs="?", type=Path, default=CATALOG)
    parser.add_argument("--check", action="store_true", help="change nothing; list and fail")
    options = parser.parse_args(argv)
    changed = (check if options.check else fix)(options.catalog)
    for key in changed:
        print(key)
    print(f"{len(changed)} message(s) {'to change' if options.check else 'changed'}")
    return 1 if options.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
