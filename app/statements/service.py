"""Changing the statements between rounds, with provenance.

A statement's text never changes once a round has rated it: rewording makes a new
version (the same key, the next version number) and splitting or merging makes new
statements; each new row is linked to the versions it came from, which become
``superseded`` and keep their ratings. Nothing may change a statement on the open round
(it would change what is being rated). A changed text must be given in every language
of the study before the next round can launch (:func:`missing_translations`), unless the
study allows translation fallbacks: panelists then read the default language's text,
marked as not translated, as for the study file's own texts. Every change is
audit-logged, without the texts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import record
from app.errors import N_, Conflict, Invalid, N_plural, NotFound, Say
from app.models import (
    Round,
    RoundItem,
    RoundState,
    Statement,
    StatementOrigin,
    StatementState,
    Survey,
    Topic,
)
from app.models.survey import Translations

__all__ = [
    "MAX_TEXT_LENGTH",
    "add",
    "clean_text",
    "current",
    "drop",
    "ensure_translated",
    "every_version",
    "for_next_round",
    "get_or_raise",
    "merge",
    "missing_translations",
    "move",
    "reword",
    "split",
    "topic_or_raise",
    "translate",
]

MAX_TEXT_LENGTH = 2000
MAX_NOTE_LENGTH = 2000
MAX_PARTS = 10
KEY_LENGTH = 80

# What a state is called in a message (the catalogs already hold these words).
STATE_WORDS: dict[StatementState, str] = {
    StatementState.ACTIVE: N_("active"),
    StatementState.CONSENSUS: N_("consensus"),
    StatementState.DROPPED: N_("dropped"),
    StatementState.SUPERSEDED: N_("superseded"),
}

# Why a statement cannot change, per action: each variant is a whole sentence to translate.
BEING_RATED: dict[str, str] = {
    "reword": N_(
        "cannot reword %(label)s: it is being rated in round %(number)s, which is open "
        "(close the round first)"
    ),
    "split": N_(
        "cannot split %(label)s: it is being rated in round %(number)s, which is open "
        "(close the round first)"
    ),
    "merge": N_(
        "cannot merge %(label)s: it is being rated in round %(number)s, which is open "
        "(close the round first)"
    ),
    "drop": N_(
        "cannot drop %(label)s: it is being rated in round %(number)s, which is open "
        "(close the round first)"
    ),
    "move": N_(
        "cannot move %(label)s: it is being rated in round %(number)s, which is open "
        "(close the round first)"
    ),
}
REPLACED: dict[str, str] = {
    "reword": N_("cannot reword %(label)s: a newer version replaces it"),
    "split": N_("cannot split %(label)s: a newer version replaces it"),
    "merge": N_("cannot merge %(label)s: a newer version replaces it"),
    "drop": N_("cannot drop %(label)s: a newer version replaces it"),
    "move": N_("cannot move %(label)s: a newer version replaces it"),
}
NOT_RATED: dict[str, str] = {
    "reword": N_("cannot reword %(label)s: it is %(state)s and no longer rated"),
    "split": N_("cannot split %(label)s: it is %(state)s and no longer rated"),
    "merge": N_("cannot merge %(label)s: it is %(state)s and no longer rated"),
    "drop": N_("cannot drop %(label)s: it is %(state)s and no longer rated"),
    "move": N_("cannot move %(label)s: it is %(state)s and no longer rated"),
}


def state_word(state: StatementState) -> Say:
    """``state`` as a message shows it: the English value, translated on a page."""
    return Say(STATE_WORDS[state])


def get_or_raise(session: Session, survey: Survey, statement_id: int) -> Statement:
    statement = session.get(Statement, statement_id)
    if statement is None or statement.survey_id != survey.id:
        raise NotFound(N_("study %(key)r has no such statement"), key=survey.key)
    return statement


def topic_or_raise(session: Session, survey: Survey, topic_id: int) -> Topic:
    topic = session.get(Topic, topic_id)
    if topic is None or topic.survey_id != survey.id:
        raise Invalid(N_("topic: study %(key)r has no such topic"), key=survey.key)
    return topic


def clean_text(survey: Survey, texts: Mapping[str, str], field: str = "text") -> Translations:
    """A statement's text per language from a form: trimmed, empty languages left out.

    The study's default language is required; the others may follow later (they are
    listed as missing until then).
    """
    result: Translations = {}
    for language, raw in texts.items():
        if language not in survey.languages:
            raise Invalid(
                N_("%(field)s: the study has no language %(language)r"),
                field=field,
                language=language,
            )
        value = " ".join(raw.split())
        if "\x00" in value:
            raise Invalid(
                N_("%(field)s (%(language)s): cannot contain a NUL character"),
                field=field,
                language=language,
            )
        if len(value) > MAX_TEXT_LENGTH:
            raise Invalid(
                N_plural(
                    "%(field)s (%(language)s): at most %(most)s character "
                    "(this one has %(length)s)",
                    "%(field)s (%(language)s): at most %(most)s characters "
                    "(this one has %(length)s)",
                    "most",
                ),
                field=field,
                language=language,
                most=MAX_TEXT_LENGTH,
                length=len(value),
            )
        if value:
            result[language] = value
    if survey.default_language not in result:
        raise Invalid(
            N_("%(field)s: the text in the study's default language (%(language)s) is required"),
            field=field,
            language=survey.default_language,
        )
    return result


def clean_note(value: str, field: str) -> str:
    note = " ".join(value.split())
    if not note:
        raise Invalid(N_("%(field)s: give a reason (it is kept with the decision)"), field=field)
    if len(note) > MAX_NOTE_LENGTH or "\x00" in note:
        raise Invalid(
            N_plural(
                "%(field)s: at most %(most)s character of plain text",
                "%(field)s: at most %(most)s characters of plain text",
                "most",
            ),
            field=field,
            most=MAX_NOTE_LENGTH,
        )
    return note


def open_round_of(session: Session, statement: Statement) -> Round | None:
    """The open round ``statement`` is on, if any."""
    return session.scalar(
        select(Round)
        .join(RoundItem, RoundItem.round_id == Round.id)
        .where(RoundItem.statement_id == statement.id, Round.state == RoundState.OPEN)
    )


def rated(session: Session, statement: Statement) -> bool:
    """Whether any round has had ``statement`` on it."""
    found = session.scalar(
        select(RoundItem.id).where(RoundItem.statement_id == statement.id).limit(1)
    )
    return found is not None


def _changeable(session: Session, statement: Statement, action: str) -> None:
    """Refuse to change a statement that is being rated or no longer current."""
    round_ = open_round_of(session, statement)
    if round_ is not None:
        raise Conflict(BEING_RATED[action], label=statement.label, number=round_.number)
    if statement.state == StatementState.SUPERSEDED:
        raise Conflict(REPLACED[action], label=statement.label)
    if statement.state != StatementState.ACTIVE:
        raise Conflict(NOT_RATED[action], label=statement.label, state=state_word(statement.state))


def _free_key(session: Session, survey: Survey, stem: str) -> str:
    """``stem`` followed by the smallest number that makes a key nobody uses."""
    stem = stem[: KEY_LENGTH - 4]
    taken = set(
        session.scalars(
            select(Statement.key).where(
                Statement.survey_id == survey.id, Statement.key.startswith(stem)
            )
        )
    )
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def _last_position(session: Session, survey: Survey) -> int:
    return int(
        session.scalar(select(func.max(Statement.position)).where(Statement.survey_id == survey.id))
        or 0
    )


def _new(
    survey: Survey,
    *,
    key: str,
    topic: Topic,
    text: Translations,
    origin: StatementOrigin,
    position: int,
    parents: Sequence[Statement] = (),
    version: int = 1,
) -> Statement:
    statement = Statement(
        survey_id=survey.id,
        topic=topic,
        key=key,
        version=version,
        position=position,
        text=text,
        origin=origin,
        state=StatementState.ACTIVE,
    )
    statement.parents = list(parents)
    return statement


def reword(
    session: Session, survey: Survey, statement: Statement, text: Translations, *, actor: str
) -> Statement:
    """A new version of ``statement`` with ``text``; the old one keeps its ratings."""
    _changeable(session, statement, "reword")
    if all(statement.text.get(lang) == value for lang, value in text.items()) and set(text) <= set(
        statement.text
    ):
        raise Invalid(
            N_(
                "text: the new wording of %(label)s is the same as the current one; "
                "change it, or leave the statement as it is"
            ),
            label=statement.label,
        )
    newer = _new(
        survey,
        key=statement.key,
        topic=statement.topic,
        text=text,
        origin=StatementOrigin.REWORDED,
        position=statement.position,
        parents=[statement],
        version=_next_version(session, survey, statement.key),
    )
    statement.state = StatementState.SUPERSEDED
    session.add(newer)
    session.flush()
    record(
        session,
        actor,
        "statement.reword",
        survey.id,
        {"statement": statement.key, "from_version": statement.version, "version": newer.version},
    )
    return newer


def _next_version(session: Session, survey: Survey, key: str) -> int:
    latest = session.scalar(
        select(func.max(Statement.version)).where(
            Statement.survey_id == survey.id, Statement.key == key
        )
    )
    return int(latest or 0) + 1


def split(
    session: Session,
    survey: Survey,
    statement: Statement,
    parts: Sequence[Translations],
    *,
    actor: str,
) -> list[Statement]:
    """Replace ``statement`` by two or more statements, one per part."""
    _changeable(session, statement, "split")
    if len(parts) < 2:
        raise Invalid(
            N_(
                "parts: a split needs at least two parts (got %(count)s); to change the "
                "wording only, reword the statement"
            ),
            count=len(parts),
        )
    if len(parts) > MAX_PARTS:
        raise Invalid(
            N_plural("parts: at most %(most)s part", "parts: at most %(most)s parts", "most"),
            most=MAX_PARTS,
        )
    defaults = [part[survey.default_language] for part in parts]
    if len(set(defaults)) != len(defaults):
        raise Invalid(N_("parts: two parts have the same text"))
    created = []
    for part in parts:
        created.append(
            _new(
                survey,
                key=_free_key(session, survey, f"{statement.key}-s"),
                topic=statement.topic,
                text=part,
                origin=StatementOrigin.SPLIT,
                position=statement.position,
                parents=[statement],
            )
        )
        session.add(created[-1])
        session.flush()
    statement.state = StatementState.SUPERSEDED
    session.flush()
    record(
        session,
        actor,
        "statement.split",
        survey.id,
        {"statement": statement.label, "into": [s.key for s in created]},
    )
    return created


def merge(
    session: Session,
    survey: Survey,
    statements: Sequence[Statement],
    text: Translations,
    *,
    actor: str,
    topic: Topic | None = None,
) -> Statement:
    """Replace ``statements`` (two or more) by one statement with ``text``."""
    ids = [s.id for s in statements]
    if len(set(ids)) != len(ids):
        raise Invalid(N_("statements: a statement cannot be merged into itself"))
    if len(statements) < 2:
        raise Invalid(N_("statements: choose at least two different statements to merge"))
    for statement in statements:
        _changeable(session, statement, "merge")
    first = min(statements, key=lambda s: (s.position, s.id))
    merged = _new(
        survey,
        key=_free_key(session, survey, f"{first.key}-m"),
        topic=topic or first.topic,
        text=text,
        origin=StatementOrigin.MERGED,
        position=first.position,
        parents=list(statements),
    )
    session.add(merged)
    for statement in statements:
        statement.state = StatementState.SUPERSEDED
    session.flush()
    record(
        session,
        actor,
        "statement.merge",
        survey.id,
        {"statements": [s.label for s in statements], "into": merged.key},
    )
    return merged


def drop(
    session: Session, survey: Survey, statement: Statement, reason: str, *, actor: str
) -> None:
    """Take ``statement`` off the following rounds, with the facilitator's reason."""
    _changeable(session, statement, "drop")
    statement.drop_reason = clean_note(reason, "reason")
    statement.state = StatementState.DROPPED
    session.flush()
    record(session, actor, "statement.drop", survey.id, {"statement": statement.label})


def add(
    session: Session,
    survey: Survey,
    topic: Topic,
    text: Translations,
    *,
    actor: str,
    origin: StatementOrigin = StatementOrigin.ADDED,
) -> Statement:
    """A new statement in ``topic``: written by the facilitator, or an accepted proposal."""
    stem = f"{topic.key}-{'p' if origin == StatementOrigin.PROPOSED else 'a'}"
    statement = _new(
        survey,
        key=_free_key(session, survey, stem),
        topic=topic,
        text=text,
        origin=origin,
        position=_last_position(session, survey) + 1,
    )
    session.add(statement)
    session.flush()
    record(
        session,
        actor,
        "statement.add",
        survey.id,
        {"statement": statement.key, "topic": topic.key, "origin": origin.value},
    )
    return statement


def move(
    session: Session, survey: Survey, statement: Statement, topic: Topic, *, actor: str
) -> None:
    """Put ``statement`` under another topic (its text and ratings stay as they are)."""
    _changeable(session, statement, "move")
    if topic.id == statement.topic_id:
        raise Invalid(N_("topic: %(label)s is already under this topic"), label=statement.label)
    before = statement.topic.key
    statement.topic = topic
    session.flush()
    record(
        session,
        actor,
        "statement.move",
        survey.id,
        {"statement": statement.label, "from": before, "to": topic.key},
    )


def translate(
    session: Session, survey: Survey, statement: Statement, text: Translations, *, actor: str
) -> None:
    """Set the texts of a statement no round has rated yet (e.g. give missing languages).

    Once rated, a text is fixed: reword instead.
    """
    if rated(session, statement):
        raise Conflict(
            N_(
                "cannot edit the text of %(label)s: a round has rated it; "
                "reword it to make a new version"
            ),
            label=statement.label,
        )
    if statement.state != StatementState.ACTIVE:
        raise Conflict(
            N_("cannot edit %(label)s: it is %(state)s"),
            label=statement.label,
            state=state_word(statement.state),
        )
    if text == statement.text:
        raise Invalid(N_("text: nothing changed in the texts of %(label)s"), label=statement.label)
    statement.text = text
    session.flush()
    record(
        session,
        actor,
        "statement.translate",
        survey.id,
        {"statement": statement.label, "languages": sorted(text)},
    )


# --------------------------------------------------------------- the next round's list


@dataclass(frozen=True)
class Missing:
    statement: Statement
    languages: list[str]


def missing_translations(session: Session, survey: Survey) -> list[Missing]:
    """Statements the next round will ask that were written or changed here and still
    lack a language of the study (seeded statements follow the study file's rules)."""
    result = []
    for statement in for_next_round(session, survey):
        if statement.origin == StatementOrigin.SEEDED:
            continue
        missing = [lang for lang in survey.languages if not statement.text.get(lang)]
        if missing:
            result.append(Missing(statement, missing))
    return result


def ensure_translated(session: Session, survey: Survey) -> None:
    """Refuse to launch while a changed statement lacks a translation, unless the study
    shows its default language in the place of a missing one (``translation_fallbacks``)."""
    if survey.translation_fallbacks:
        return
    missing = missing_translations(session, survey)
    if missing:
        listed = "; ".join(f"{m.statement.label}: {', '.join(m.languages)}" for m in missing)
        raise Conflict(
            N_plural(
                "the next round cannot launch: %(count)s changed statement lacks a "
                "translation (%(listed)s)",
                "the next round cannot launch: %(count)s changed statements lack a "
                "translation (%(listed)s)",
            ),
            count=len(missing),
            listed=listed,
        )


def every_version(session: Session, survey: Survey) -> list[Statement]:
    """Every statement of ``survey``, replaced versions included, in study order."""
    return list(
        session.scalars(
            select(Statement)
            .where(Statement.survey_id == survey.id)
            .order_by(Statement.position, Statement.id)
        )
    )


def current(session: Session, survey: Survey) -> list[Statement]:
    """Every statement not replaced by a newer version, in study order."""
    return list(
        session.scalars(
            select(Statement)
            .where(Statement.survey_id == survey.id, Statement.state != StatementState.SUPERSEDED)
            .order_by(Statement.position, Statement.id)
        )
    )


def for_next_round(session: Session, survey: Survey) -> list[Statement]:
    """The statements the next round asks: every active one, in study order."""
    return list(
        session.scalars(
            select(Statement)
            .where(Statement.survey_id == survey.id, Statement.state == StatementState.ACTIVE)
            .order_by(Statement.position, Statement.id)
        )
    )
