"""Import the panel (who is invited) from CSV: all rows or none."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import record
from app.errors import N_, Invalid, N_plural, NotFound, Say
from app.file_messages import cannot_read, csv_problem
from app.mail.addresses import normalize_email
from app.mail.outbox import cancel_for_panelist
from app.models import Panelist, Survey
from app.models.base import utcnow
from app.panel import respondents
from app.rounds import links

REQUIRED_COLUMNS = ("email", "name", "stakeholder_group")
MAX_NAME_LENGTH = 200  # the panelist.name column
# No field of a valid row comes near this; a longer one is refused before it is checked.
MAX_FIELD_LENGTH = 1000
MAX_FILE_BYTES = 2_000_000
OPTIONAL_COLUMNS = ("language",)


@dataclass(frozen=True)
class PanelRow:
    email: str
    name: str
    stakeholder_group: str
    language: str


def parse(text: str, survey: Survey, filename: str = "<panel>") -> list[PanelRow]:
    """Validate every row; raise ``Invalid`` listing each bad row by line number."""
    if len(text) > MAX_FILE_BYTES:
        raise Invalid(
            N_("%(file)s: the file is larger than %(size)s MB"),
            file=filename,
            size=MAX_FILE_BYTES // 1_000_000,
        )
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _parse_rows(reader, survey, filename)
    except csv.Error as exc:  # a field past the csv module's own limit (128 kB), for one
        # The DictReader's own line_num lags behind until a row is complete.
        line = reader.reader.line_num
        raise Invalid(
            N_("%(file)s: line %(line)s: not valid CSV: %(problem)s; nothing was imported"),
            file=filename,
            line=line,
            problem=csv_problem(exc),
        ) from None


def _parse_rows(reader: csv.DictReader[str], survey: Survey, filename: str) -> list[PanelRow]:
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise Invalid(
            N_plural(
                "%(file)s: %(count)s column missing: %(missing)s; expected a header line with "
                "%(columns)s",
                "%(file)s: %(count)s columns missing: %(missing)s; expected a header line with "
                "%(columns)s",
            ),
            file=filename,
            missing=", ".join(missing),
            count=len(missing),
            columns=", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS),
        )
    unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise Invalid(
            N_plural(
                "%(file)s: %(count)s unknown column: %(unknown)s",
                "%(file)s: %(count)s unknown columns: %(unknown)s",
            ),
            file=filename,
            unknown=", ".join(unknown),
            count=len(unknown),
        )
    reader.fieldnames = header
    groups = [g["key"] for g in survey.stakeholder_groups]
    problems: list[Say] = []
    rows: list[PanelRow] = []
    first_line: dict[str, int] = {}
    for record_ in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in record_.items() if k is not None}
        if None in record_:
            problems.append(_on_line(line, Say(N_("more fields than columns in the header"))))
            continue
        too_long = [k for k, v in values.items() if len(v) > MAX_FIELD_LENGTH]
        if too_long:
            problems.append(
                _on_line(
                    line,
                    Say(
                        N_plural(
                            "%(column)s: longer than %(most)s character",
                            "%(column)s: longer than %(most)s characters",
                            "most",
                        ),
                        {"column": too_long[0], "most": MAX_FIELD_LENGTH},
                    ),
                )
            )
            continue
        row_problems, row = _check_row(values, survey, groups)
        if row is not None:
            if row.email in first_line:
                row_problems.append(
                    Say(
                        N_("duplicate email (first on line %(line)s)"),
                        {"line": first_line[row.email]},
                    )
                )
            else:
                first_line[row.email] = line
        problems += [_on_line(line, p) for p in row_problems]
        if row is not None and not row_problems:
            rows.append(row)
    if not rows and not problems:
        raise Invalid(N_("%(file)s: no panelists in the file"), file=filename)
    if problems:
        raise Invalid(
            N_plural(
                "%(file)s: %(count)s problem; nothing was imported",
                "%(file)s: %(count)s problems; nothing was imported",
            ),
            problems,
            file=filename,
            count=len(problems),
        )
    return rows


def _on_line(line: int, problem: Say) -> Say:
    return Say(N_("line %(line)s: %(problem)s"), {"line": line, "problem": problem})


def _check_row(
    values: dict[str, str], survey: Survey, groups: list[str]
) -> tuple[list[Say], PanelRow | None]:
    problems: list[Say] = []
    email = values.get("email", "")
    try:
        email = normalize_email(email)
    except Invalid as exc:
        problems.append(exc.message)
    name = values.get("name", "")
    if not name:
        problems.append(Say(N_("name: missing")))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(
            Say(
                N_plural(
                    "name: longer than %(most)s character",
                    "name: longer than %(most)s characters",
                    "most",
                ),
                {"most": MAX_NAME_LENGTH},
            )
        )
    if any("\x00" in value for value in values.values()):
        problems.append(Say(N_("contains a NUL character (is this a text CSV file?)")))
    group = values.get("stakeholder_group", "")
    if group not in groups:
        problems.append(
            Say(
                N_("stakeholder_group: %(value)r is not one of %(keys)s"),
                {"value": group, "keys": ", ".join(groups)},
            )
            if group
            else Say(N_("stakeholder_group: missing"))
        )
    language = values.get("language") or survey.default_language
    if language not in survey.languages:
        problems.append(
            Say(
                N_("language: %(value)r is not one of the study's (%(languages)s)"),
                {"value": language, "languages": ", ".join(survey.languages)},
            )
        )
    row = PanelRow(email=email, name=name, stakeholder_group=group, language=language)
    return problems, row if "@" in email else None


def import_rows(session: Session, survey: Survey, rows: list[PanelRow], *, actor: str) -> int:
    """Insert ``rows``; an email already on the panel is an error for the whole import."""
    existing = set(
        session.scalars(select(func.lower(Panelist.email)).where(Panelist.survey_id == survey.id))
    )
    clashes = [r.email for r in rows if r.email in existing]
    if clashes:
        raise Invalid(
            N_plural(
                "%(count)s email already on the panel of %(key)r; nothing was imported",
                "%(count)s emails already on the panel of %(key)r; nothing was imported",
            ),
            [Say(N_("already on the panel: %(email)s"), {"email": email}) for email in clashes],
            count=len(clashes),
            key=survey.key,
        )
    session.add_all(
        Panelist(
            survey_id=survey.id,
            email=r.email,
            name=r.name,
            stakeholder_group=r.stakeholder_group,
            language=r.language,
        )
        for r in rows
    )
    session.flush()
    record(session, actor, "panel.import", survey.id, {"added": len(rows)})
    return len(rows)


def import_file(session: Session, survey: Survey, path: Path, *, actor: str = "cli") -> int:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise Invalid(
                N_("%(file)s: the file is larger than %(size)s MB"),
                file=path,
                size=MAX_FILE_BYTES // 1_000_000,
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise cannot_read(path, exc) from None
    return import_rows(session, survey, parse(text, survey, str(path)), actor=actor)


def list_for(session: Session, survey: Survey) -> list[Panelist]:
    """The panel as it is now: removed panelists left out."""
    return list(
        session.scalars(
            select(Panelist)
            .where(Panelist.survey_id == survey.id, Panelist.removed_at.is_(None))
            .order_by(Panelist.id)
        )
    )


# ------------------------------------------------------------------ one panelist at a time


def get_or_raise(session: Session, survey: Survey, panelist_id: int) -> Panelist:
    """A panelist of ``survey`` still on the panel, or ``NotFound``."""
    panelist = session.get(Panelist, panelist_id)
    if panelist is None or panelist.survey_id != survey.id or panelist.removed_at is not None:
        raise NotFound(N_("study %(key)r has no panelist %(id)s"), key=survey.key, id=panelist_id)
    return panelist


def get_by_email_or_raise(session: Session, survey: Survey, email: str) -> Panelist:
    """The panelist of ``survey`` with ``email`` (any case), or ``NotFound``."""
    panelist = session.scalar(
        select(Panelist).where(
            Panelist.survey_id == survey.id, func.lower(Panelist.email) == email.strip().lower()
        )
    )
    if panelist is None:
        raise NotFound(
            N_("no panelist with email %(email)r in %(key)r"), email=email.strip(), key=survey.key
        )
    return panelist


def check(
    survey: Survey, *, email: str, name: str, stakeholder_group: str, language: str
) -> PanelRow:
    """Validate one panelist's details as a CSV row is; ``Invalid`` lists every problem."""
    values = {
        "email": email.strip(),
        "name": name.strip(),
        "stakeholder_group": stakeholder_group.strip(),
        "language": language.strip(),
    }
    problems, row = _check_row(values, survey, [g["key"] for g in survey.stakeholder_groups])
    if problems or row is None:
        raise Invalid(N_("The panelist's details are not valid; nothing was changed."), problems)
    return row


def _refuse_taken(session: Session, survey: Survey, email: str, keep: int | None = None) -> None:
    taken = session.scalar(
        select(Panelist.id).where(
            Panelist.survey_id == survey.id,
            func.lower(Panelist.email) == email,
            Panelist.id != (keep or 0),
        )
    )
    if taken is not None:
        raise Invalid(
            N_("The panelist's details are not valid; nothing was changed."),
            [Say(N_("email: %(email)s is already on the panel"), {"email": email})],
        )


def add(session: Session, survey: Survey, row: PanelRow, *, actor: str) -> Panelist:
    """Add one validated panelist; an email already on the panel is refused."""
    _refuse_taken(session, survey, row.email)
    panelist = Panelist(
        survey_id=survey.id,
        email=row.email,
        name=row.name,
        stakeholder_group=row.stakeholder_group,
        language=row.language,
    )
    session.add(panelist)
    session.flush()
    record(session, actor, "panel.add", survey.id, {"panelist": panelist.id})
    return panelist


def update(
    session: Session, survey: Survey, panelist: Panelist, row: PanelRow, *, actor: str
) -> list[str]:
    """Change a panelist's details to ``row``; the names of the fields that changed.

    A new stakeholder group is also the group their answers count in from now on (their
    pseudonym carries it): it is a correction of who they are, not a new person. Mail
    already queued keeps the address and name it was written with.
    """
    _refuse_taken(session, survey, row.email, keep=panelist.id)
    changed = [
        name
        for name in ("email", "name", "stakeholder_group", "language")
        if getattr(panelist, name) != getattr(row, name)
    ]
    for name in changed:
        setattr(panelist, name, getattr(row, name))
    if "stakeholder_group" in changed:
        respondent = respondents.find(session, panelist)
        if respondent is not None:
            respondent.stakeholder_group = row.stakeholder_group
    session.flush()
    # Field names only: the values are personal data.
    record(session, actor, "panel.edit", survey.id, {"panelist": panelist.id, "changed": changed})
    return changed


def remove(session: Session, survey: Survey, panelist: Panelist, *, actor: str) -> None:
    """Take a panelist off the panel and erase their personal data.

    Their email and name are erased; the row stays, with its stakeholder group, so the
    rounds they were invited to keep counting them. Their links to open rounds are
    deleted (the links, and any browser session opened with them, stop working) and
    their unsent mail is cancelled and erased. Their anonymous answers stay: nothing
    joins them to the panel but the pseudonym, whose key the erased row no longer
    leads to anyone.
    """
    links.revoke(session, panelist)
    cancel_for_panelist(session, panelist.id, "panelist removed")
    panelist.email = None
    panelist.name = ""
    panelist.removed_at = utcnow()
    session.flush()
    record(session, actor, "panel.remove", survey.id, {"panelist": panelist.id})
