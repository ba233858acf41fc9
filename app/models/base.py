"""Declarative base with a naming convention, so constraints migrate by name."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Enum, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Timezone-aware now, the only clock the models use."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The UTC day: responses carry day-coarse dates only, so logs can't re-identify."""
    return utcnow().date()


def str_enum(cls: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum column: stored as its values in VARCHAR, no native ENUM type."""
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e])


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        dt.datetime: DateTime(timezone=True),
    }


class IdMixin:
    id: Mapped[int] = mapped_column(primary_key=True)


def random_id() -> int:
    """A random key below 2**53 (exact in JSON numbers)."""
    return secrets.randbelow(2**53 - 1) + 1


class RandomIdMixin:
    """Random primary keys for the answer side: sequential ids would record the order in
    which people answered, which server logs could then match to requests."""

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=random_id)
