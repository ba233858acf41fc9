"""The schema is built by migrations that go up and down on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData, create_engine, inspect, text

from app.answers.cells import Layout
from app.models import Base
from tests.app.conftest import ROOT, migrate, scratch_database


@pytest.fixture
def empty_database(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    yield from scratch_database(tmp_path_factory, "migrations")


class TestMigrations:
    def test_upgrade_creates_every_table_and_downgrade_removes_them(
        self, empty_database: str
    ) -> None:
        migrate(empty_database)
        engine = create_engine(empty_database)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        migrate(empty_database, "base", down=True)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(empty_database)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        engine.dispose()

    def test_models_and_migrations_agree(self, empty_database: str) -> None:
        migrate(empty_database)
        config = Config(str(ROOT / "alembic.ini"))
        config.attributes["url"] = empty_database
        config.attributes["configure_logging"] = False
        command.check(config)  # raises if autogenerate would find a difference


class TestAnswerSetsMigration:
    """0002 moves drafts into the submission row and stores submitted sets compactly."""

    def _seed(self, engine: Engine) -> None:
        now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        day = now.date()
        rows: list[tuple[str, dict[str, Any]]] = [
            (
                "survey",
                {
                    "id": 1,
                    "key": "s",
                    "title": {"en": "S"},
                    "description": {},
                    "languages": ["en"],
                    "stakeholder_groups": [],
                    "min_group_size": 5,
                    "method": {},
                    "stopping": {},
                    "definition": "",
                    "created_at": now,
                    "state": "active",
                },
            ),
            *[
                (
                    "criterion",
                    {
                        "id": cid,
                        "survey_id": 1,
                        "key": f"c{cid}",
                        "position": pos,
                        "label": {},
                        "question": {},
                        "scale_low": 1,
                        "scale_high": 9,
                        "anchors": {},
                        "agree_low": 7,
                        "agree_high": 9,
                        "disagree_low": 1,
                        "disagree_high": 3,
                    },
                )
                for cid, pos in ((11, 1), (10, 0))
            ],
            ("topic", {"id": 1, "survey_id": 1, "key": "t", "position": 0, "title": {}}),
            *[
                (
                    "statement",
                    {
                        "id": sid,
                        "survey_id": 1,
                        "topic_id": 1,
                        "key": f"k{sid}",
                        "position": sid,
                        "text": {},
                        "created_at": now,
                        "origin": "seeded",
                        "state": "active",
                    },
                )
                for sid in (20, 21)
            ],
            (
                "round",
                {"id": 1, "survey_id": 1, "number": 1, "created_at": now, "state": "open"},
            ),
            # Statement 21 comes first on the round.
            ("round_item", {"id": 1, "round_id": 1, "statement_id": 21, "position": 0}),
            ("round_item", {"id": 2, "round_id": 1, "statement_id": 20, "position": 1}),
            *[
                (
                    "respondent",
                    {"id": rid, "survey_id": 1, "key": f"r{rid}", "stakeholder_group": "g"},
                )
                for rid in (100, 200)
            ],
            # 100 submitted (and has the old draft copy); 200 only saved a draft.
            (
                "submission",
                {
                    "id": 1,
                    "round_id": 1,
                    "respondent_id": 100,
                    "submitted_on": day,
                    "updated_on": day,
                },
            ),
            (
                "submission",
                {
                    "id": 2,
                    "round_id": 1,
                    "respondent_id": 200,
                    "submitted_on": None,
                    "updated_on": day,
                },
            ),
        ]
        answer = 1000
        for rid, kind, cells in (
            (100, "submitted", {(21, 10): 8, (21, 11): None, (20, 10): 2, (20, 11): 3}),
            (100, "draft", {(21, 10): 8, (21, 11): None, (20, 10): 2, (20, 11): 3}),
            (200, "draft", {(20, 11): 5}),
        ):
            for (sid, cid), rating in cells.items():
                answer += 1
                rows.append(
                    (
                        "response",
                        {
                            "id": answer,
                            "round_id": 1,
                            "respondent_id": rid,
                            "statement_id": sid,
                            "criterion_id": cid,
                            "kind": kind,
                            "rating": rating,
                            "cannot_judge": rating is None,
                            "answered_on": day,
                        },
                    )
                )
        for rid, kind, words in (
            (100, "submitted", "why"),
            (100, "draft", "why"),
            (200, "draft", "maybe"),
        ):
            answer += 1
            rows.append(
                (
                    "reason",
                    {
                        "id": answer,
                        "round_id": 1,
                        "respondent_id": rid,
                        "statement_id": 20,
                        "kind": kind,
                        "text": words,
                        "answered_on": day,
                    },
                )
            )
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.begin() as conn:
            for table, values in rows:
                conn.execute(metadata.tables[table].insert().values(**values))

    def test_upgrade_converts_and_downgrade_restores(self, empty_database: str) -> None:
        migrate(empty_database, "0001")
        engine = create_engine(empty_database)
        self._seed(engine)
        migrate(empty_database, "0002")
        layout = Layout.of([21, 20], [10, 11])
        with engine.connect() as conn:
            subs = {
                r.respondent_id: r
                for r in conn.execute(
                    text("SELECT respondent_id, cells, draft_cells, draft_reasons FROM submission")
                )
            }
            kinds = conn.execute(text("SELECT count(*) FROM response")).scalar_one()
            reasons = conn.execute(text("SELECT respondent_id, text FROM reason")).all()
        assert layout.decode(subs[100].cells) == {
            (21, 10): 8,
            (21, 11): None,
            (20, 10): 2,
            (20, 11): 3,
        }
        # The old draft copy of a submitted set is not a draft.
        assert subs[100].draft_cells is None
        assert subs[200].cells is None
        assert layout.decode(subs[200].draft_cells) == {(20, 11): 5}
        draft_reasons = subs[200].draft_reasons
        assert (json.loads(draft_reasons) if isinstance(draft_reasons, str) else draft_reasons) == {
            "20": "maybe"
        }
        assert kinds == 4
        assert [tuple(r) for r in reasons] == [(100, "why")]
        migrate(empty_database, "0001", down=True)
        with engine.connect() as conn:
            back = conn.execute(
                text("SELECT respondent_id, kind, statement_id, criterion_id, rating FROM response")
            ).all()
            reason_rows = conn.execute(text("SELECT respondent_id, kind, text FROM reason")).all()
        assert sorted(tuple(r) for r in back) == sorted(
            [
                (100, "submitted", 21, 10, 8),
                (100, "submitted", 21, 11, None),
                (100, "submitted", 20, 10, 2),
                (100, "submitted", 20, 11, 3),
                (200, "draft", 20, 11, 5),
            ]
        )
        assert sorted(tuple(r) for r in reason_rows) == [
            (100, "submitted", "why"),
            (200, "draft", "maybe"),
        ]
        engine.dispose()


class TestBetweenRoundsMigration:
    """0003 moves parent links to statement_parent and suggestions to proposals, and back."""

    def test_upgrade_moves_links_and_suggestions_and_downgrade_restores_them(
        self, empty_database: str
    ) -> None:
        migrate(empty_database, "0002")
        engine = create_engine(empty_database)
        now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        metadata = MetaData()
        metadata.reflect(engine)
        tables = metadata.tables
        with engine.begin() as conn:
            conn.execute(
                tables["survey"]
                .insert()
                .values(
                    id=1,
                    key="s",
                    title={"en": "S"},
                    description={},
                    languages=["fr", "en"],
                    stakeholder_groups=[],
                    min_group_size=5,
                    method={},
                    stopping={},
                    definition="",
                    created_at=now,
                    state="active",
                )
            )
            conn.execute(
                tables["topic"].insert().values(id=1, survey_id=1, key="t", position=0, title={})
            )
            for sid, parent in ((20, None), (21, 20)):
                conn.execute(
                    tables["statement"]
                    .insert()
                    .values(
                        id=sid,
                        survey_id=1,
                        topic_id=1,
                        key=f"k{sid}",
                        position=sid,
                        text={"fr": "x"},
                        created_at=now,
                        origin="seeded" if parent is None else "reworded",
                        state="active",
                        parent_id=parent,
                    )
                )
            conn.execute(
                tables["round"]
                .insert()
                .values(id=1, survey_id=1, number=1, created_at=now, state="closed")
            )
            conn.execute(
                tables["round_item"].insert().values(id=1, round_id=1, statement_id=20, position=0)
            )
            conn.execute(
                tables["suggestion"]
                .insert()
                .values(
                    id=7,
                    survey_id=1,
                    round_id=1,
                    topic_id=1,
                    respondent_id=None,
                    text="An idea.",
                    state="pending",
                    statement_id=None,
                    proposed_on=now.date(),
                )
            )
        migrate(empty_database, "0004_between")
        with engine.connect() as conn:
            links = conn.execute(text("SELECT statement_id, parent_id FROM statement_parent")).all()
            proposal = conn.execute(text("SELECT id, text, language, state FROM proposal")).one()
            versions = conn.execute(text("SELECT id, version FROM statement ORDER BY id")).all()
            items = conn.execute(text("SELECT statement_id FROM round_item")).all()
        # Rebuilding the statement table on SQLite must not cascade to what refers to it.
        assert [tuple(r) for r in items] == [(20,)]
        assert [tuple(r) for r in links] == [(21, 20)]
        assert tuple(proposal) == (7, "An idea.", "fr", "pending")
        assert [tuple(r) for r in versions] == [(20, 1), (21, 1)]
        with engine.begin() as conn:
            # A second version of k20 and a split of it (origins the old schema lacks).
            conn.execute(
                text(
                    "INSERT INTO statement (id, survey_id, topic_id, key, version, position,"
                    " text, created_at, origin, state) VALUES (22, 1, 1, 'k20', 2, 20,"
                    " '{}', :now, 'split', 'superseded')"
                ),
                {"now": now},
            )
            conn.execute(text("INSERT INTO statement_parent VALUES (22, 20)"))
        migrate(empty_database, "0002", down=True)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, key, parent_id, origin, state FROM statement ORDER BY id")
            ).all()
            suggestion = conn.execute(text("SELECT id, text FROM suggestion")).one()
        assert [tuple(r) for r in rows] == [
            (20, "k20", None, "seeded", "active"),
            (21, "k21", 20, "reworded", "active"),
            (22, "k20-v2", 20, "reworded", "dropped"),
        ]
        assert tuple(suggestion) == (7, "An idea.")
        engine.dispose()


class TestTeamMigration:
    """0005 makes every account from before roles an owner of every study, and reverts."""

    def test_existing_accounts_keep_every_study_as_owners(self, empty_database: str) -> None:
        migrate(empty_database, "0004_between")
        engine = create_engine(empty_database)
        now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        metadata = MetaData()
        metadata.reflect(engine)
        tables = metadata.tables
        with engine.begin() as conn:
            for sid in (1, 2):
                conn.execute(
                    tables["survey"]
                    .insert()
                    .values(
                        id=sid,
                        key=f"s{sid}",
                        title={"en": "S"},
                        description={},
                        languages=["en"],
                        stakeholder_groups=[],
                        min_group_size=5,
                        method={},
                        stopping={},
                        definition="",
                        created_at=now,
                        state="active",
                        feedback={},
                        proposals={},
                    )
                )
            for fid in (7, 8):
                conn.execute(
                    tables["facilitator"]
                    .insert()
                    .values(
                        id=fid,
                        email=f"f{fid}@example.org",
                        name="F",
                        password_hash="x",
                        session_version=0,
                        created_at=now,
                    )
                )
            conn.execute(
                tables["api_key"]
                .insert()
                .values(id=1, name="old", prefix="abc", key_hash="0" * 64, created_at=now)
            )
        migrate(empty_database)
        with engine.connect() as conn:
            roles = conn.execute(
                text("SELECT survey_id, facilitator_id, role FROM membership ORDER BY 1, 2")
            ).all()
            key = conn.execute(
                text("SELECT survey_id, expires_at, last_used_on, created_by FROM api_key")
            ).one()
        assert [tuple(r) for r in roles] == [
            (1, 7, "owner"),
            (1, 8, "owner"),
            (2, 7, "owner"),
            (2, 8, "owner"),
        ]
        assert tuple(key) == (None, None, None, "cli")  # an old key still reads every study
        migrate(empty_database, "0004_between", down=True)
        assert "membership" not in inspect(engine).get_table_names()
        engine.dispose()


class TestFallbacksMigration:
    """0009 reads each study's translation_fallbacks from its stored definition."""

    def test_the_choice_comes_from_the_study_file_and_goes_on_downgrade(
        self, empty_database: str
    ) -> None:
        migrate(empty_database, "0008_rank")
        engine = create_engine(empty_database)
        now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        metadata = MetaData()
        metadata.reflect(engine)
        definitions = {
            1: "key: s1\nlanguages: [en, fr]\ntranslation_fallbacks: true\n",
            2: "key: s2\nlanguages: [en, fr]\n",
            3: "key: [unclosed\n",
            4: "translation_fallbacks: 'yes please'\n",
        }
        with engine.begin() as conn:
            for sid, definition in definitions.items():
                conn.execute(
                    metadata.tables["survey"]
                    .insert()
                    .values(
                        id=sid,
                        key=f"s{sid}",
                        title={"en": "S"},
                        description={},
                        languages=["en", "fr"],
                        stakeholder_groups=[],
                        min_group_size=5,
                        method={},
                        stopping={},
                        definition=definition,
                        created_at=now,
                        state="active",
                        feedback={},
                        proposals={},
                    )
                )
        migrate(empty_database)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, translation_fallbacks FROM survey ORDER BY id")
            ).all()
        assert [(sid, bool(value)) for sid, value in rows] == [
            (1, True),
            (2, False),
            (3, False),
            (4, False),
        ]
        migrate(empty_database, "0008_rank", down=True)
        columns = {c["name"] for c in inspect(engine).get_columns("survey")}
        assert "translation_fallbacks" not in columns
        engine.dispose()
