"""Large rounds for the benchmarks, written in bulk.

``big_round`` creates a study of ``statements`` statements (the demo study's two
criteria, its groups and rules), a panel, an open round 1 with one access link per
panelist, and every panelist's submitted answer set: the same rows
``app.answers.service.submit`` writes (a ``respondent``, a ``submission`` with the
compact cells, and one ``response`` row per statement and criterion, dated today), but
inserted in bulk. The ``response`` rows are expanded by the database itself from one
array per respondent (``json_each`` on SQLite, ``unnest`` on PostgreSQL), so ten
million of them take seconds, not minutes.

Ratings are seeded: per statement a panel-wide lean, per respondent normal noise, 3% of
cells "cannot judge".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import yaml
from harness import POSTGRES, ROOT, STUDY_FILE, app_database, migrate, scratch_database
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.answers.cells import CANNOT_JUDGE
from app.db import unit_of_work
from app.models import (
    AccessLink,
    Panelist,
    Respondent,
    Round,
    RoundItem,
    RoundSnapshot,
    RoundState,
    Statement,
    StatementState,
    Submission,
)
from app.models.base import random_id, utcnow
from app.security import respondent_key
from app.studies import service as studies

SEED = 20_261_201
CANNOT_JUDGE_SHARE = 0.03


@dataclass(frozen=True)
class BigRound:
    key: str
    survey_id: int
    round_id: int
    number: int
    panelists: int
    statements: int
    criteria: int

    @property
    def answers(self) -> int:
        return self.panelists * self.statements * self.criteria


def definition(key: str, statements: int) -> str:
    """The demo study's YAML with ``statements`` generated statements in 10 topics."""
    study = yaml.safe_load(STUDY_FILE.read_text(encoding="utf-8"))
    study["key"] = key
    # the goals are stated for rating criteria alone (2 per answer set)
    study["criteria"] = [c for c in study["criteria"] if c.get("kind", "rating") == "rating"]
    languages = study["languages"]
    topics = []
    per_topic = -(-statements // 10)
    for t in range(10):
        first, last = t * per_topic, min(statements, (t + 1) * per_topic)
        if first >= last:
            break
        topics.append(
            {
                "key": f"topic-{t + 1:02d}",
                "title": dict.fromkeys(languages, f"Topic {t + 1}"),
                "statements": [
                    {
                        "key": f"s-{i + 1:04d}",
                        "text": dict.fromkeys(
                            languages, f"Statement {i + 1}: a strategy the panel rates."
                        ),
                    }
                    for i in range(first, last)
                ],
            }
        )
    study["topics"] = topics
    return yaml.safe_dump(study, allow_unicode=True)


def cells_for(
    rng: np.random.Generator, panelists: int, scales: list[tuple[int, int]], statements: int
) -> np.ndarray:
    """(panelists x statements x criteria) int16 answer sets on each criterion's scale."""
    out = np.empty((panelists, statements, len(scales)), dtype="<i2")
    lean = rng.uniform(0.3, 0.95, statements)
    for c, (low, high) in enumerate(scales):
        span = high - low
        values = low + span * lean + rng.normal(0, span * 0.18, (panelists, statements))
        out[:, :, c] = np.clip(np.rint(values), low, high)
    out[rng.random(out.shape) < CANNOT_JUDGE_SHARE] = CANNOT_JUDGE
    return out


def big_round(key: str, panelists: int, statements: int, seed: int = SEED) -> BigRound:
    """A study and an open round with every panelist's answers submitted (see module)."""
    source = definition(key, statements)
    rng = np.random.default_rng(seed)
    with unit_of_work() as session:
        survey = studies.create(session, studies.parse(source, key), source, actor="bench")
        groups = [g["key"] for g in survey.stakeholder_groups]
        survey_id = survey.id
        criteria = [(c.id, c.scale_low, c.scale_high) for c in survey.criteria]
        ordered = sorted(survey.statements, key=lambda s: (s.position, s.id))
        round_ = Round(survey_id=survey_id, number=1, state=RoundState.OPEN, opened_at=utcnow())
        round_.items = [RoundItem(statement=s, position=i) for i, s in enumerate(ordered)]
        session.add(round_)
        session.flush()
        round_id = round_.id
        statement_ids = [s.id for s in ordered]
        _bulk(
            session,
            Panelist,
            [
                {
                    "survey_id": survey_id,
                    "email": f"panelist{i}@example.org",
                    "name": f"Panelist {i}",
                    "stakeholder_group": groups[i % len(groups)],
                    "language": "en",
                    "created_at": utcnow(),
                }
                for i in range(panelists)
            ],
        )
        panel = list(
            session.execute(
                text("SELECT id, stakeholder_group FROM panelist WHERE survey_id = :s ORDER BY id"),
                {"s": survey_id},
            )
        )
        today = dt.datetime.now(dt.UTC).date()
        _bulk(
            session,
            AccessLink,
            [
                {
                    "round_id": round_id,
                    "panelist_id": pid,
                    "token_hash": secrets.token_hex(32),
                    "created_on": today,
                }
                for pid, _ in panel
            ],
        )
        respondents = [
            {
                "id": random_id(),
                "survey_id": survey_id,
                "key": respondent_key(survey_id, pid),
                "stakeholder_group": group,
            }
            for pid, group in panel
        ]
        _bulk(session, Respondent, respondents)
        answers = cells_for(rng, panelists, [(lo, hi) for _, lo, hi in criteria], statements)
        _bulk(
            session,
            Submission,
            [
                {
                    "id": random_id(),
                    "round_id": round_id,
                    "respondent_id": r["id"],
                    "submitted_on": today,
                    "updated_on": today,
                    "cells": answers[i].tobytes(),
                    "draft_cells": None,
                    "draft_reasons": None,
                }
                for i, r in enumerate(respondents)
            ],
        )
        layout = [(sid, cid) for sid in statement_ids for cid, _, _ in criteria]
        _responses(session, round_id, [r["id"] for r in respondents], answers, layout, today)
    return BigRound(key, survey_id, round_id, 1, panelists, statements, len(criteria))


def _bulk(session: Session, model: type, rows: list[dict[str, object]]) -> None:
    chunk = 5_000
    for start in range(0, len(rows), chunk):
        session.execute(insert(model.__table__), rows[start : start + chunk])  # type: ignore[attr-defined]


def _responses(
    session: Session,
    round_id: int,
    respondent_ids: list[int],
    answers: np.ndarray,
    layout: list[tuple[int, int]],
    today: dt.date,
) -> None:
    """One ``response`` row per cell, expanded in the database from one array per set."""
    flat = answers.reshape(len(respondent_ids), -1)
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        # The random keys land all over their index: keep it in memory while it grows.
        session.execute(text("PRAGMA cache_size = -2000000"))
        constraints: list[tuple[str, str]] = []
        indexes: list[tuple[str, str]] = []
    else:
        constraints, indexes = _drop_constraints(session)
    session.execute(
        text("CREATE TEMPORARY TABLE bench_cell (k INTEGER PRIMARY KEY, sid INTEGER, cid INTEGER)")
    )
    session.execute(
        text("INSERT INTO bench_cell (k, sid, cid) VALUES (:k, :sid, :cid)"),
        [{"k": k, "sid": sid, "cid": cid} for k, (sid, cid) in enumerate(layout)],
    )
    if sqlite:
        statement = text(
            "INSERT INTO response (id, round_id, respondent_id, statement_id, criterion_id, "
            "rating, cannot_judge, answered_on) "
            "SELECT (abs(random()) % 9007199254740991) + 1, :round, :respondent, c.sid, c.cid, "
            f"CASE WHEN j.value = {CANNOT_JUDGE} THEN NULL ELSE j.value END, "
            f"j.value = {CANNOT_JUDGE}, :day "
            "FROM json_each(:values) AS j JOIN bench_cell AS c ON c.k = j.key"
        )
        day: object = today.isoformat()
    else:
        statement = text(
            "INSERT INTO response (id, round_id, respondent_id, statement_id, criterion_id, "
            "rating, cannot_judge, answered_on) "
            "SELECT floor(random() * 9007199254740990)::bigint + 1, :round, :respondent, "
            f"c.sid, c.cid, CASE WHEN v.value = {CANNOT_JUDGE} THEN NULL ELSE v.value END, "
            f"v.value = {CANNOT_JUDGE}, :day "
            "FROM unnest(CAST(:values AS smallint[])) WITH ORDINALITY AS v(value, k) "
            "JOIN bench_cell AS c ON c.k = v.k - 1"
        )
        day = today
    chunk = 500
    for start in range(0, len(respondent_ids), chunk):
        rows = [
            {
                "round": round_id,
                "respondent": respondent_ids[i],
                "values": json.dumps(flat[i].tolist()) if sqlite else flat[i].tolist(),
                "day": day,
            }
            for i in range(start, min(start + chunk, len(respondent_ids)))
        ]
        session.execute(statement, rows)
    session.execute(text("DROP TABLE bench_cell"))
    if sqlite:
        session.execute(text("PRAGMA cache_size = -2000"))
    for _, definition in indexes:
        session.execute(text(definition))
    for name, definition in constraints:
        session.execute(text(f'ALTER TABLE response ADD CONSTRAINT "{name}" {definition}'))


def _drop_constraints(session: Session) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """PostgreSQL: drop the response table's keys and indexes, to be rebuilt in one pass
    each after the bulk insert (row by row, they make it ten times slower). Keys first,
    then the foreign keys, which is also the order they are added back in."""
    session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    constraints = [
        (str(name), str(definition))
        for name, definition in session.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'response'::regclass ORDER BY contype = 'f', conname"
            )
        )
    ]
    indexes = [
        (str(name), str(definition))
        for name, definition in session.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'response' "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint "
                "WHERE conrelid = 'response'::regclass)"
            )
        )
    ]
    for name, _ in reversed(constraints):
        session.execute(text(f'ALTER TABLE response DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        session.execute(text(f'DROP INDEX "{name}"'))
    return constraints, indexes


def reopen(big: BigRound) -> None:
    """Undo a close: no snapshot, the round open, its statements active again."""
    with unit_of_work() as session:
        session.execute(
            RoundSnapshot.__table__.delete().where(RoundSnapshot.round_id == big.round_id)  # type: ignore[attr-defined]
        )
        session.execute(
            Round.__table__.update()  # type: ignore[attr-defined]
            .where(Round.id == big.round_id)
            .values(state=RoundState.OPEN, closed_at=None)
        )
        session.execute(
            Statement.__table__.update()  # type: ignore[attr-defined]
            .where(Statement.survey_id == big.survey_id)
            .values(state=StatementState.ACTIVE)
        )


# ----------------------------------------------------- seeded databases, kept for reuse

CACHE = ROOT / "var" / "bench-cache"
# Bump when big_round writes different data: cached databases of older versions are rebuilt.
SEED_VERSION = 1


def _digest(panelists: int, statements: int) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_heads()
    source = f"{sorted(heads)}-{panelists}-{statements}-{SEED}-{SEED_VERSION}"
    return hashlib.sha256(source.encode()).hexdigest()[:10]


@contextmanager
def seeded(
    kind: str, panelists: int, statements: int, *, fresh: bool = False
) -> Iterator[tuple[str, BigRound]]:
    """A database holding :func:`big_round`'s study, as a fresh copy for this run.

    Seeding ten million answers takes minutes on SQLite (every row lands at a random place
    of the primary-key index), so the seeded database is kept in ``var/bench-cache/`` (a
    file for SQLite, a template database for PostgreSQL), keyed by the schema's head
    revision and the seed, and each run works on a copy of it. ``fresh`` rebuilds it.
    """
    label = f"close_{panelists}x{statements}"
    digest = _digest(panelists, statements)
    CACHE.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        cached = CACHE / f"{label}-{digest}.sqlite3"
        meta = cached.with_suffix(".json")
        if fresh or not cached.exists() or not meta.exists():
            for old in CACHE.glob(f"{label}-*"):
                old.unlink()
            with scratch_database("sqlite", label) as url:
                with app_database(url):
                    big = _seed_timed(label, panelists, statements)
                _backup(url.split(":///", 1)[1], cached)
            meta.write_text(json.dumps(asdict(big)), encoding="utf-8")
        big = BigRound(**json.loads(meta.read_text(encoding="utf-8")))
        with scratch_database("sqlite", label, migrated=False) as url:
            shutil.copyfile(cached, url.split(":///", 1)[1])
            yield url, big
        return
    template = f"delphi_bench_tpl_{label}_{digest}"
    meta = CACHE / f"{template}.json"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            existing = set(
                connection.scalars(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                    {"p": f"delphi_bench_tpl_{label}_%"},
                )
            )
            if fresh or template not in existing or not meta.exists():
                for old in existing:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{template}"'))
                url = make_url(POSTGRES).set(database=template).render_as_string(False)
                migrate(url)
                with app_database(url):
                    big = _seed_timed(label, panelists, statements)
                meta.write_text(json.dumps(asdict(big)), encoding="utf-8")
            big = BigRound(**json.loads(meta.read_text(encoding="utf-8")))
            copy = f"delphi_bench_{label}_{uuid.uuid4().hex[:8]}"
            start = time.perf_counter()
            connection.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"'))
            print(
                f"  copied the seeded database in {time.perf_counter() - start:.1f} s", flush=True
            )
        try:
            yield make_url(POSTGRES).set(database=copy).render_as_string(False), big
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _seed_timed(label: str, panelists: int, statements: int) -> BigRound:
    start = time.perf_counter()
    big = big_round(label.replace("_", "-"), panelists, statements)
    print(
        f"  seeded {big.answers:,} answers in {time.perf_counter() - start:.1f} s "
        f"(kept in {CACHE} for later runs)",
        flush=True,
    )
    return big


def _backup(source: str, target: Path) -> None:
    """A consistent copy of a SQLite database, write-ahead log included."""
    import sqlite3

    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()
