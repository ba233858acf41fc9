"""The export tables of a closed round, kept in one registry.

A table is a name, a one-line title, its columns (each with the description that goes
into the data dictionary) and a function that builds its rows from a closed round. Every
export format (CSV per table, one XLSX workbook per round) is written from the registry,
so a new table is one decorated function and appears in the console, the API, the
workbook and the dictionary at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.models import Round, Survey

Value = str | int | float | None
Rows = list[list[Value]]
Builder = Callable[[Session, Survey, Round], Rows]


@dataclass(frozen=True)
class Column:
    name: str
    description: str


@dataclass(frozen=True)
class Table:
    """A built table: its name (file and sheet), title, columns and rows."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Rows

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class TableSpec:
    """What a round table is: registered once, built per round."""

    name: str
    title: str
    columns: tuple[Column, ...]
    build: Builder
    # False where the rows may change after the round closed (a reason hidden later).
    immutable: bool = True

    def of(self, session: Session, survey: Survey, round_: Round) -> Table:
        """This table for closed ``round_``."""
        return Table(self.name, self.title, self.columns, self.build(session, survey, round_))


ROUND_TABLES: dict[str, TableSpec] = {}


def round_table(
    name: str, title: str, columns: Sequence[Column], *, immutable: bool = True
) -> Callable[[Builder], Builder]:
    """Register ``build`` as the round table ``name`` (a file and sheet name)."""

    def register(build: Builder) -> Builder:
        if name in ROUND_TABLES:
            raise ValueError(f"export table {name!r} is registered twice")
        ROUND_TABLES[name] = TableSpec(name, title, tuple(columns), build, immutable)
        return build

    return register
