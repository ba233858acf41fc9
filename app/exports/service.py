"""Build a closed round's export tables and write them as CSV or one XLSX workbook."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from app.api import service as api
from app.errors import N_, NotFound
from app.exports import analysis_tables as _analysis_tables  # noqa: F401  (registers tables)
from app.exports import ranking_tables as _ranking_tables  # noqa: F401  (registers tables)
from app.exports import tables as _tables  # noqa: F401  (registers the round tables)
from app.exports.registry import ROUND_TABLES, Column, Rows, Table, TableSpec, Value
from app.models import Survey

DICTIONARY = "dictionary"
DICTIONARY_COLUMNS = (
    Column("table", "The table (CSV file or workbook sheet)."),
    Column("column", "The column's name, as in its header row; empty on the table's own row."),
    Column("description", "What the column (or, on the table's own row, the table) holds."),
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def names() -> list[str]:
    """Every table a round exports, the data dictionary last."""
    return [*ROUND_TABLES, DICTIONARY]


def immutable(name: str) -> bool:
    """Whether table ``name`` of a closed round can never change (the dictionary can, with
    a new release; the reasons when one is hidden)."""
    spec = ROUND_TABLES.get(name)
    return spec is not None and spec.immutable


def dictionary(specs: Iterable[TableSpec | Table]) -> Table:
    """The data dictionary of ``specs``: a row per table, then one per column."""
    title = "What every column of every table means."
    rows: Rows = []
    for name, table_title, columns in [
        *((s.name, s.title, s.columns) for s in specs),
        (DICTIONARY, title, DICTIONARY_COLUMNS),
    ]:
        rows.append([name, "", table_title])
        rows += [[name, c.name, c.description] for c in columns]
    return Table(DICTIONARY, title, DICTIONARY_COLUMNS, rows)


def round_tables(session: Session, survey: Survey, number: int) -> list[Table]:
    """Every table of closed round ``number`` (409 while it is open), then the dictionary."""
    round_ = api.closed_round(session, survey, number)
    built = [spec.of(session, survey, round_) for spec in ROUND_TABLES.values()]
    return [*built, dictionary(built)]


def round_table(session: Session, survey: Survey, number: int, name: str) -> Table:
    """One table of closed round ``number``, by name."""
    if name == DICTIONARY:
        api.closed_round(session, survey, number)
        return dictionary(ROUND_TABLES.values())
    spec = ROUND_TABLES.get(name)
    if spec is None:
        raise NotFound(
            N_("no export table %(name)s; there are %(names)s"),
            name=repr(name),
            names=", ".join(names()),
        )
    return spec.of(session, survey, api.closed_round(session, survey, number))


def _text(value: Value) -> str:
    return "" if value is None else str(value)


def to_csv(table: Table) -> str:
    """The table as CSV with a header row; empty cells for missing values."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.column_names)
    writer.writerows([_text(v) for v in row] for row in table.rows)
    return out.getvalue()


def fingerprint(tables: Iterable[Table]) -> str:
    """A hash of the tables' content: the same for the same data whatever the format."""
    digest = hashlib.sha256()
    for table in tables:
        digest.update(table.name.encode() + b"\0" + to_csv(table).encode() + b"\0")
    return digest.hexdigest()


def to_xlsx(tables: Iterable[Table]) -> bytes:
    """One sheet per table, named after it, with a bold header row.

    Every text cell is stored as text: a reason that starts with "=" must not become a
    formula in the analyst's spreadsheet.
    """
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(table.name[:31])
        header = []
        for name in table.column_names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet: object, value: Value) -> object:
    if value is None or value == "":
        return None
    # openpyxl takes a string that starts with "=" for a formula; only those need a cell
    # object (the others go as plain values, several times faster on large sheets).
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
