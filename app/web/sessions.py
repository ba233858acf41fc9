"""The request's unit of work and transactions, as FastAPI dependencies.

Apart from ``app.db`` so that a CLI command that opens a session does not import FastAPI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.db import Transactions, unit_of_work

P = ParamSpec("P")
R = TypeVar("R")


async def get_transactions() -> Transactions:
    return Transactions()


TransactionsDep = Annotated[Transactions, Depends(get_transactions)]


def own_transactions(endpoint: Callable[P, R]) -> Callable[P, R]:
    """Mark a POST endpoint whose service runs its own short transactions.

    Its request session then only reads (the lookups of its dependencies), so the
    service's transactions never wait behind the request's own; see :func:`get_session`.
    """
    setattr(endpoint, _OWN_TRANSACTIONS, True)
    return endpoint


_OWN_TRANSACTIONS = "__delphi_own_transactions__"


def _reads_only(request: Request) -> bool:
    route = request.scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    return request.method in ("GET", "HEAD") or bool(getattr(endpoint, _OWN_TRANSACTIONS, False))


def get_session(request: Request) -> Iterator[Session]:
    """Request-scoped unit of work; committed before the response is sent.

    A GET never changes state, so its session only reads and, on SQLite, waits for no
    writer (and any write it tried would fail: ``PRAGMA query_only``).
    """
    with unit_of_work(readonly=_reads_only(request)) as session:
        yield session


# scope="function" ends the dependency (and so commits) before the response goes out.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
