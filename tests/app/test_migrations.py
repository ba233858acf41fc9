"""The schema is built by migrations that go up and down on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

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
